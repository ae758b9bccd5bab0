import Foundation

extension NormalizedText {
    /// Applies a Unicode normalization form (NFC, NFD, NFKC, NFKD; others leave the text alone) as the tokenizers
    /// library's normalizers do, text and alignment: each scalar is decomposed alone, the first scalar of its
    /// decomposition standing for it (change 0) and the others new (change +1); canonical ordering sorts each run of
    /// non-starters by combining class, the changes moving with the scalars; composing (NFC, NFKC) two scalars gives
    /// the composite their changes' sum minus one. Then, in order, a scalar with change c ≤ 0 takes the range of the
    /// next input scalar and skips −c more; a new one takes the range of the last input scalar taken.
    ///
    /// NFD of `"ü\u{5B7}"` (bytes 0..<2, 2..<4) is `u` 0..<2, `\u{5B7}` 2..<4, `\u{308}` 2..<4: canonical order puts
    /// the patah first, and it keeps its own bytes. (Foundation's own NFD of a whole string skips that reordering for
    /// some scalars, `"ĵ\u{F81}"`, and its NFC leaves `"가\u{11A8}"` apart, so the steps are done here.)
    mutating func normalize(_ form: Normalization) {
        guard [.nfc, .nfd, .nfkc, .nfkd].contains(form) else { return }
        let compatibility = form == .nfkc || form == .nfkd
        let composes = form == .nfc || form == .nfkc
        func combiningClass(_ s: Unicode.Scalar) -> UInt8 {
            s.value < 0x300 ? 0 : s.properties.canonicalCombiningClass.rawValue
        }
        // Decomposition, with the change of each scalar.
        var stream: [(scalar: Unicode.Scalar, change: Int)] = []
        stream.reserveCapacity(items.count)
        for item in items {
            if item.scalar.value < 0xC0 && !(compatibility && item.scalar.value >= 0xA0) {
                stream.append((item.scalar, 0))
                continue
            }
            let text = String(item.scalar)
            let parts =
                (compatibility
                ? text.decomposedStringWithCompatibilityMapping : text.decomposedStringWithCanonicalMapping)
                .unicodeScalars
            for (k, s) in parts.enumerated() { stream.append((s, k == 0 ? 0 : 1)) }
        }
        // Canonical ordering: a stable sort of each run of non-starters by combining class.
        var start = 0
        while start < stream.count {
            guard combiningClass(stream[start].scalar) != 0 else {
                start += 1
                continue
            }
            var end = start + 1
            while end < stream.count && combiningClass(stream[end].scalar) != 0 { end += 1 }
            if end - start > 1 {
                let run = stream[start..<end].enumerated().sorted {
                    (combiningClass($0.element.scalar), $0.offset) < (combiningClass($1.element.scalar), $1.offset)
                }
                stream.replaceSubrange(start..<end, with: run.map(\.element))
            }
            start = end
        }
        // Canonical composition: a scalar not blocked from the last starter joins it when they have a composite.
        if composes {
            var composed: [(scalar: Unicode.Scalar, change: Int)] = []
            composed.reserveCapacity(stream.count)
            var starter: Int? = nil  // index in `composed` of the last starter
            var lastClass: UInt8? = nil  // class of the last scalar kept after that starter
            for (s, change) in stream {
                let c = combiningClass(s)
                if let k = starter, lastClass.map({ $0 < c }) ?? true,
                    let composite = Self.composePair(composed[k].scalar, s)
                {
                    composed[k] = (composite, composed[k].change + change - 1)
                    continue
                }
                if c == 0 {
                    starter = composed.count
                    lastClass = nil
                } else if starter != nil {
                    lastClass = c
                }
                composed.append((s, change))
            }
            stream = composed
        }
        // Alignment.
        var out: [Item] = []
        out.reserveCapacity(stream.count)
        var next = 0  // the next input scalar to take
        for (s, change) in stream {
            let anchor: Item
            if change > 0 || next >= items.count {
                anchor = items[max(0, min(next, items.count) - 1)]
            } else {
                anchor = items[next]
                next += 1 - change
            }
            out.append(Item(scalar: s, start: anchor.start, end: anchor.end, inserted: anchor.inserted))
        }
        items = out
    }

    /// The primary composite of `a` and `b`, if any: Hangul syllables by arithmetic, others as NFC composes the pair.
    static func composePair(_ a: Unicode.Scalar, _ b: Unicode.Scalar) -> Unicode.Scalar? {
        let (x, y) = (a.value, b.value)
        guard y >= 0x300 else { return nil }  // no composite ends in a scalar below U+0300
        if (0x1100...0x1112).contains(x) && (0x1161...0x1175).contains(y) {
            return Unicode.Scalar(0xAC00 + ((x - 0x1100) * 21 + (y - 0x1161)) * 28)
        }
        if (0xAC00...0xD7A3).contains(x) && (x - 0xAC00) % 28 == 0 && (0x11A8...0x11C2).contains(y) {
            return Unicode.Scalar(x + (y - 0x11A7))
        }
        // The second scalar of every other composite is a combining mark; skip Foundation for anything else.
        let category = b.properties.generalCategory
        guard
            b.properties.canonicalCombiningClass != .notReordered
                || [.nonspacingMark, .spacingMark, .enclosingMark].contains(category)
        else { return nil }
        var pair = String.UnicodeScalarView()
        pair.append(a)
        pair.append(b)
        let composed = String(pair).precomposedStringWithCanonicalMapping.unicodeScalars
        return composed.count == 1 ? composed.first : nil
    }
}
