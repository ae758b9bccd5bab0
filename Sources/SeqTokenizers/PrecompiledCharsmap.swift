import Foundation

/// A sentencepiece `precompiled_charsmap` (the `Precompiled` normalizer of T5, ALBERT, XLM-R, mBART files): a
/// little-endian `u32` byte length, a darts-clone double-array trie over UTF-8 bytes of that length, then the
/// replacement strings, each ended by a NUL, which the trie's values point into.
///
/// `charsmap.transform(Array("Ａ".utf8))` is `"A"` when the map folds full-width letters.
struct PrecompiledCharsmap {
    let units: [UInt32]
    let replacements: [UInt8]

    init(base64: String, field: String) throws {
        guard let data = Data(base64Encoded: base64), data.count >= 4 else {
            throw TokenizerError.malformedFile(field: field, reason: "is not base64 of a sentencepiece charsmap")
        }
        let bytes = [UInt8](data)
        let size = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard size % 4 == 0, 4 + size <= bytes.count, size >= 4 else {
            throw TokenizerError.malformedFile(field: field, reason: "has a trie longer than the charsmap")
        }
        units = stride(from: 4, to: 4 + size, by: 4).map {
            UInt32(bytes[$0]) | UInt32(bytes[$0 + 1]) << 8 | UInt32(bytes[$0 + 2]) << 16 | UInt32(bytes[$0 + 3]) << 24
        }
        replacements = Array(bytes[(4 + size)...])
        guard String(validating: replacements, as: UTF8.self) != nil else {
            throw TokenizerError.malformedFile(field: field, reason: "has replacement strings that are not UTF-8")
        }
    }

    // A trie unit: bit 8 says a leaf follows, the low byte (and bit 31) is the label, bits 10... the offset.
    private static func hasLeaf(_ u: UInt32) -> Bool { (u >> 8) & 1 == 1 }
    private static func value(_ u: UInt32) -> Int { Int(u & ((1 << 31) - 1)) }
    private static func label(_ u: UInt32) -> UInt32 { u & ((1 << 31) | 0xFF) }
    private static func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }

    /// The replacement of the SHORTEST prefix of `key` the map has (the library takes the first match), or `nil`.
    func transform(_ key: some Collection<UInt8>) -> String? {
        guard !units.isEmpty else { return nil }
        var node = Self.offset(units[0])
        for c in key {
            if c == 0 { break }
            node ^= Int(c)
            guard node >= 0 && node < units.count else { return nil }
            let unit = units[node]
            if Self.label(unit) != UInt32(c) { return nil }
            node ^= Self.offset(unit)
            guard node >= 0 && node < units.count else { return nil }
            if Self.hasLeaf(unit) { return replacement(at: Self.value(units[node])) }
        }
        return nil
    }

    private func replacement(at index: Int) -> String? {
        guard index <= replacements.count else { return nil }
        var end = index
        while end < replacements.count && replacements[end] != 0 { end += 1 }
        return String(validating: replacements[index..<end], as: UTF8.self)
    }
}

extension NormalizedText {
    /// Applies a sentencepiece charsmap as the tokenizers library does: each grapheme shorter than 6 bytes is
    /// replaced whole when the map has a prefix of it, otherwise each scalar is replaced on its own.
    mutating func apply(_ map: PrecompiledCharsmap) {
        var dest: [(Unicode.Scalar, Int)] = []  // (scalar, +1 inserted / 0 replaced / -n replaced and n removed)
        var modified = false
        func replace(_ old: Int, with new: String) {
            modified = true
            let added = Array(new.unicodeScalars)
            dest += added.map { ($0, 0) }
            let diff = added.count - old
            if diff > 0 {
                for k in (dest.count - diff)..<dest.count { dest[k].1 = 1 }
            } else if diff < 0, !dest.isEmpty {
                dest[dest.count - 1].1 += diff
            }
        }
        for cluster in string {
            let scalars = Array(cluster.unicodeScalars)
            let bytes = Array(String(cluster).utf8)
            if bytes.count < 6, let new = map.transform(bytes) {
                replace(scalars.count, with: new)
                continue
            }
            for s in scalars {
                if let new = map.transform(Array(String(s).utf8)) {
                    replace(1, with: new)
                } else {
                    dest.append((s, 0))
                }
            }
        }
        if modified { transform(dest) }
    }

    /// Rebuilds the text from `dest` as the library's `NormalizedString::transform` does: a scalar with change 0
    /// takes the range of the next old scalar, `-n` also drops the `n` old scalars after it, and `+1` is inserted
    /// with the range of the old scalar before it.
    mutating func transform(_ dest: [(Unicode.Scalar, Int)]) {
        let old = items
        let origin = old.first.map { Item(scalar: " ", start: $0.start, end: $0.start) }
        var out: [Item] = []
        var p = 0
        for (scalar, change) in dest {
            let anchor: Item?
            if change > 0 {
                anchor = p > 0 ? old[min(p, old.count) - 1] : origin
            } else {
                anchor = p < old.count ? old[p] : old.last
                p += 1 + max(0, -change)
            }
            guard let anchor else { continue }
            out.append(Item(scalar: scalar, start: anchor.start, end: anchor.end, inserted: change > 0))
        }
        items = out
    }
}
