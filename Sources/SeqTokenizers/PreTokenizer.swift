import CUTF8Proc

/// Splits valid UTF-8 the way GPT-2's pattern does, with utf8proc's categories instead of a regex engine:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// `"Hello  world's"` → `"Hello"`, `" "`, `" world"`, `"'s"`.
struct PreTokenizer {
    let p: UnsafeBufferPointer<UInt8>
    private(set) var position = 0

    init(_ p: UnsafeBufferPointer<UInt8>) { self.p = p }

    /// Scalar classes of the pattern.
    enum Class: UInt8 { case letter, number, space, other }

    /// The class of an ASCII byte.
    @inline(__always)
    static func asciiClass(_ c: UInt8) -> Class {
        if (c | 0x20) &- 0x61 < 26 { return .letter }
        if c &- 0x30 < 10 { return .number }
        if c == 0x20 || c &- 0x09 < 5 { return .space }
        return .other
    }

    /// The class and byte length of the scalar at `i`.
    @inline(__always)
    func classify(at i: Int) -> (Class, Int) {
        let b = p[i]
        if b < 0x80 { return (Self.asciiClass(b), 1) }
        var c: Int32 = 0
        let length = decodeScalar(p, at: i, into: &c)
        if isWhiteSpace(c) { return (.space, length) }
        let category = utf8proc_category(c).rawValue
        if category >= UTF8PROC_CATEGORY_LU.rawValue && category <= UTF8PROC_CATEGORY_LO.rawValue {
            return (.letter, length)
        }
        if category >= UTF8PROC_CATEGORY_ND.rawValue && category <= UTF8PROC_CATEGORY_NO.rawValue {
            return (.number, length)
        }
        return (.other, length)
    }

    /// The end of the run of scalars of class `cls` starting at `i`.
    @inline(__always)
    func runEnd(from i: Int, of cls: Class) -> Int {
        var j = i
        let n = p.count
        while j < n {
            let b = p[j]
            if b < 0x80 {
                if Self.asciiClass(b) != cls { break }
                j &+= 1
            } else {
                let (k, length) = classify(at: j)
                if k != cls { break }
                j &+= length
            }
        }
        return j
    }

    /// The next pre-token as a byte range, or `nil` at the end.
    @inline(__always)
    mutating func next() -> Range<Int>? {
        let n = p.count
        let i = position
        guard i < n else { return nil }
        let end = tokenEnd(at: i, n)
        position = end
        return i..<end
    }

    @inline(__always)
    private func tokenEnd(at i: Int, _ n: Int) -> Int {
        let b = p[i]
        if b == 0x27, i + 1 < n {  // contractions: 's 't 'm 'd 're 've 'll
            let c1 = p[i + 1]
            if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { return i + 2 }
            if i + 2 < n {
                let c2 = p[i + 2]
                if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) {
                    return i + 3
                }
            }
        }
        let (cls, length) = classify(at: i)
        switch cls {
        case .letter, .number, .other:
            return runEnd(from: i + length, of: cls)
        case .space:
            if b == 0x20 && i + 1 < n {
                let (next, nextLength) = classify(at: i + 1)
                if next != .space { return runEnd(from: i + 1 + nextLength, of: next) }
            }
            // \s+(?!\S)|\s+ : a run ending the text is whole; otherwise its last scalar starts the next token.
            var j = i + length
            var lastStart = i
            while j < n {
                let (k, l) = classify(at: j)
                if k != .space { break }
                lastStart = j
                j += l
            }
            if j == n || lastStart == i { return j }
            return lastStart
        }
    }
}

/// GPT-2's reversible map from bytes to printable scalars, used for the keys of a byte-level `tokenizer.json`:
/// printable Latin-1 bytes map to themselves, the other 68 to U+0100 onward (`0x20` → `"Ġ"`, `0x0A` → `"Ċ"`).
enum ByteLevel {
    /// The scalar of each byte.
    static let scalarOfByte: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = UInt32(b)
            } else {
                table[b] = next
                next += 1
            }
        }
        return table
    }()

    /// The byte of each scalar below U+0144, or -1.
    static let byteOfScalar: [Int16] = {
        var table = [Int16](repeating: -1, count: 0x144)
        for b in 0..<256 { table[Int(scalarOfByte[b])] = Int16(b) }
        return table
    }()

    /// The byte-level string of `bytes`: `ByteLevel.encode(Array(" hi".utf8)) == "Ġhi"`.
    static func encode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(Unicode.Scalar(scalarOfByte[Int(b)])!) }
        return String(s)
    }

    /// The bytes of a byte-level string, or `nil` if a scalar is outside the alphabet.
    ///
    /// `ByteLevel.decode("Ġhi") == Array(" hi".utf8)`
    static func decode(_ string: String) -> [UInt8]? {
        var out = [UInt8]()
        for s in string.unicodeScalars {
            guard s.value < 0x144 else { return nil }
            let b = byteOfScalar[Int(s.value)]
            if b < 0 { return nil }
            out.append(UInt8(b))
        }
        return out
    }
}
