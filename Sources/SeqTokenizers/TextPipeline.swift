/// The steps every tokenizer runs before its model: UTF-8 validation (or repair), special-token splitting on the
/// raw text, then normalization of the text between special tokens, keeping the way back to input offsets.
struct TextPipeline: Sendable {
    let normalizer: Normalizer
    /// Special tokens, longest first so a match is leftmost-longest.
    let specials: [(bytes: [UInt8], id: Int)]
    /// Which bytes start a special token.
    let startsSpecial: [Bool]
    let invalidUTF8: TokenizerOptions.InvalidUTF8Policy

    init(normalization: [Normalization], specials: [String: Int], invalidUTF8: TokenizerOptions.InvalidUTF8Policy) {
        normalizer = Normalizer(normalization)
        let sorted = specials.map { (bytes: Array($0.key.utf8), id: $0.value) }
            .filter { !$0.bytes.isEmpty }
            .sorted {
                $0.bytes.count != $1.bytes.count
                    ? $0.bytes.count > $1.bytes.count : $0.bytes.lexicographicallyPrecedes($1.bytes)
            }
        self.specials = sorted
        var starts = [Bool](repeating: false, count: 256)
        for s in sorted { starts[Int(s.bytes[0])] = true }
        startsSpecial = starts
        self.invalidUTF8 = invalidUTF8
    }

    /// A piece of the input after validation and special splitting: a special token, or normalized text.
    struct Segment {
        /// The special token's id, or -1 for text.
        let specialID: Int
        /// The normalized text (for a special token, its bytes).
        let text: UnsafeBufferPointer<UInt8>
        /// Where the segment starts in the validated input.
        let base: Int
        /// Normalization changes, relative to the segment.
        let normalization: ByteAlignment?
        /// UTF-8 repair changes, relative to the whole input.
        let repair: ByteAlignment

        /// The input byte range of normalized bytes `r` of this segment.
        func originalRange(_ r: Range<Int>) -> Range<Int> {
            var start = r.lowerBound
            var end = r.upperBound
            if let normalization {
                start = normalization.originalStart(start)
                end = normalization.originalEnd(end)
            }
            if repair.changes.isEmpty { return (base + start)..<(base + end) }
            let s = repair.originalStart(base + start)
            return s..<max(s, repair.originalEnd(base + end))
        }
    }

    /// Calls `body` with each segment of `input` in order.
    func run(_ input: [UInt8], offsets: Bool, _ body: (Segment) throws -> Void) throws {
        var repair = ByteAlignment()
        let valid = try repairUTF8(input, policy: invalidUTF8, alignment: &repair)
        try valid.withUnsafeBufferPointer { p in
            let n = p.count
            var start = 0
            var i = 0
            if !specials.isEmpty {
                while i < n {
                    if startsSpecial[Int(p[i])], let (length, id) = matchSpecial(p, at: i) {
                        try text(p, start, i, offsets: offsets, repair: repair, body)
                        try body(
                            Segment(
                                specialID: id, text: UnsafeBufferPointer(rebasing: p[i..<(i + length)]), base: i,
                                normalization: nil, repair: repair))
                        i += length
                        start = i
                    } else {
                        i += 1
                    }
                }
            }
            try text(p, start, n, offsets: offsets, repair: repair, body)
        }
    }

    private func matchSpecial(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (Int, Int)? {
        let n = p.count
        for special in specials where special.bytes.count <= n - i {
            var k = 0
            while k < special.bytes.count && p[i + k] == special.bytes[k] { k += 1 }
            if k == special.bytes.count { return (k, special.id) }
        }
        return nil
    }

    private func text(
        _ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, offsets: Bool, repair: ByteAlignment,
        _ body: (Segment) throws -> Void
    ) throws {
        guard start < end else { return }
        let slice = UnsafeBufferPointer(rebasing: p[start..<end])
        if normalizer.isIdentity
            || (!normalizer.lowersASCII && !normalizer.collapsesWhitespace && isASCII(slice))
        {
            try body(Segment(specialID: -1, text: slice, base: start, normalization: nil, repair: repair))
            return
        }
        var alignment = ByteAlignment()
        let normalized = normalizer.apply(ArraySlice(slice), alignment: &alignment, recordAlignment: offsets)
        try normalized.withUnsafeBufferPointer { q in
            try body(Segment(specialID: -1, text: q, base: start, normalization: alignment, repair: repair))
        }
    }
}

/// True when every byte is below 0x80.
func isASCII(_ p: UnsafeBufferPointer<UInt8>) -> Bool {
    let n = p.count
    guard let base = p.baseAddress else { return true }
    var i = 0
    var acc: UInt64 = 0
    while i &+ 8 <= n {
        acc |= UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
        i &+= 8
    }
    while i < n {
        acc |= UInt64(base[i])
        i &+= 1
    }
    return acc & 0x8080_8080_8080_8080 == 0
}
