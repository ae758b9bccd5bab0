/// UTF-8 validation and repair on raw bytes (Unicode 15, table 3-7 "well-formed UTF-8 byte sequences").

/// The length of the well-formed scalar starting at `p[i]`, or `-k` where `k` is the length of the
/// maximal invalid subpart there (the bytes one U+FFFD replaces). Requires `i < n`.
///
/// `utf8SequenceLength([0xC3, 0xA9], 2, at: 0) == 2`; `utf8SequenceLength([0xE2, 0x82], 2, at: 0) == -2`.
@inline(__always)
func utf8SequenceLength(_ p: UnsafeBufferPointer<UInt8>, _ n: Int, at i: Int) -> Int {
    let b0 = p[i]
    if b0 < 0x80 { return 1 }
    var length: Int
    var low: UInt8 = 0x80
    var high: UInt8 = 0xBF
    switch b0 {
    case 0xC2...0xDF: length = 2
    case 0xE0:
        length = 3
        low = 0xA0
    case 0xE1...0xEC, 0xEE...0xEF: length = 3
    case 0xED:
        length = 3
        high = 0x9F
    case 0xF0:
        length = 4
        low = 0x90
    case 0xF1...0xF3: length = 4
    case 0xF4:
        length = 4
        high = 0x8F
    default: return -1
    }
    var k = 1
    while k < length {
        guard i + k < n else { return -k }
        let b = p[i + k]
        if k == 1 {
            if b < low || b > high { return -1 }
        } else if b < 0x80 || b > 0xBF {
            return -k
        }
        k += 1
    }
    return length
}

/// Returns the offset of the first invalid byte of `bytes`, or `nil` when they are valid UTF-8.
///
/// `firstInvalidUTF8Offset([0x61, 0xFF]) == 1`
func firstInvalidUTF8Offset(_ p: UnsafeBufferPointer<UInt8>) -> Int? {
    let n = p.count
    var i = 0
    while i < n {
        // Eight ASCII bytes at a time.
        if i &+ 8 <= n {
            let word = UnsafeRawPointer(p.baseAddress! + i).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 == 0 {
                i &+= 8
                continue
            }
        }
        let length = utf8SequenceLength(p, n, at: i)
        if length < 0 { return i }
        i &+= length
    }
    return nil
}

/// Where repair replaced bytes: each change maps `original` bytes to `repaired` bytes.
struct ByteAlignment: Sendable {
    /// Changed spans, in order: `original` range in the input, `output` range in the result.
    var changes: [(original: Range<Int>, output: Range<Int>)] = []

    /// The input position where output position `p` starts (a token starting inside a change starts at its start).
    func originalStart(_ p: Int) -> Int {
        guard let k = lastChange(where: { $0.output.lowerBound <= p }) else { return p }
        let change = changes[k]
        if p < change.output.upperBound { return change.original.lowerBound }
        return p - change.output.upperBound + change.original.upperBound
    }

    /// The input position where output position `p` ends (a token ending inside a change ends at its end).
    func originalEnd(_ p: Int) -> Int {
        guard let k = lastChange(where: { $0.output.lowerBound < p }) else { return p }
        let change = changes[k]
        if p <= change.output.upperBound { return change.original.upperBound }
        return p - change.output.upperBound + change.original.upperBound
    }

    /// The last change index whose predicate holds, the predicate being monotone (true then false).
    private func lastChange(where holds: ((original: Range<Int>, output: Range<Int>)) -> Bool) -> Int? {
        var low = 0
        var high = changes.count
        while low < high {
            let mid = (low + high) / 2
            if holds(changes[mid]) { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }
}

/// Validates UTF-8: returns the bytes unchanged, or with each maximal invalid subpart replaced by U+FFFD
/// (`replace`), or throws ``TokenizerError/invalidUTF8(offset:)`` naming the first bad byte (`error`).
///
/// `try repairUTF8([0x61, 0xC3], policy: .replace, alignment: &a) == [0x61, 0xEF, 0xBF, 0xBD]`
func repairUTF8(
    _ bytes: [UInt8], policy: TokenizerOptions.InvalidUTF8Policy, alignment: inout ByteAlignment
) throws -> [UInt8] {
    let first = bytes.withUnsafeBufferPointer { firstInvalidUTF8Offset($0) }
    guard let first else { return bytes }
    if policy == .error { throw TokenizerError.invalidUTF8(offset: first) }
    var out = [UInt8]()
    out.reserveCapacity(bytes.count + 16)
    out.append(contentsOf: bytes[0..<first])
    bytes.withUnsafeBufferPointer { p in
        let n = p.count
        var i = first
        while i < n {
            let length = utf8SequenceLength(p, n, at: i)
            if length > 0 {
                for k in 0..<length { out.append(p[i + k]) }
                i += length
            } else {
                let start = out.count
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])
                alignment.changes.append((original: i..<(i - length), output: start..<out.count))
                i -= length
            }
        }
    }
    return out
}
