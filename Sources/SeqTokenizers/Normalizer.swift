import CUTF8Proc

/// Applies a sequence of ``Normalization`` steps to valid UTF-8, segment by segment, keeping an alignment
/// from the output back to the input.
///
/// Segments start before every scalar below U+0300 and before every grapheme-cluster start with canonical
/// combining class 0 that is not a Hangul medial or final jamo (or a compatibility letter that becomes one): no
/// normalization form composes or reorders across such a point, so normalizing segments one by one equals
/// normalizing the whole text.
struct Normalizer: Sendable {
    let steps: [Normalization]
    /// The steps other than `.whitespace`, in order.
    let scalarSteps: [Normalization]
    let collapsesWhitespace: Bool
    let lowersASCII: Bool

    init(_ steps: [Normalization]) {
        self.steps = steps
        scalarSteps = steps.filter { $0 != .whitespace }
        collapsesWhitespace = steps.contains(.whitespace)
        lowersASCII = steps.contains(.lowercase) || steps.contains(.casefold)
    }

    /// True when the steps change nothing.
    var isIdentity: Bool { steps.isEmpty }

    /// The normalized bytes of valid UTF-8 `input`.
    ///
    /// `Normalizer([.nfc]).apply(Array("e\u{301}".utf8)[...]) == Array("é".utf8)`
    func apply(_ input: ArraySlice<UInt8>) -> [UInt8] {
        var alignment = ByteAlignment()
        return apply(input, alignment: &alignment, recordAlignment: false)
    }

    /// The normalized bytes of valid UTF-8 `input`; `alignment` gets the changed spans relative to `input`'s start.
    func apply(_ input: ArraySlice<UInt8>, alignment: inout ByteAlignment, recordAlignment: Bool = true) -> [UInt8] {
        if isIdentity { return Array(input) }
        var out = [UInt8]()
        out.reserveCapacity(input.count + input.count / 8 + 4)
        var scratch = NormalizerScratch()
        input.withUnsafeBufferPointer { p in
            run(p, into: &out, alignment: &alignment, record: recordAlignment, scratch: &scratch)
        }
        return out
    }

    private func run(
        _ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], alignment: inout ByteAlignment, record: Bool,
        scratch: inout NormalizerScratch
    ) {
        let n = p.count
        var runStart = 0  // bytes in [runStart, segmentStart) are ASCII segments not yet written
        var segmentStart = 0
        var segmentASCII = true
        var previous: Int32 = -1
        var state: Int32 = 0
        var i = 0

        func flushASCII(_ a: Int, _ b: Int) {
            if a >= b { return }
            if lowersASCII {
                for k in a..<b {
                    let c = p[k]
                    out.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
                }
            } else {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: p[a..<b]))
            }
        }
        func flushPending(upTo end: Int) {
            if segmentASCII {
                flushASCII(runStart, end)
            } else {
                flushASCII(runStart, segmentStart)
                let start = out.count
                normalizeSegment(UnsafeBufferPointer(rebasing: p[segmentStart..<end]), into: &out, scratch: &scratch)
                if record && out.count - start != end - segmentStart {
                    alignment.changes.append((original: segmentStart..<end, output: start..<out.count))
                }
            }
            runStart = end
            segmentStart = end
            segmentASCII = true
        }

        while i < n {
            let b = p[i]
            var c = Int32(b)
            var length = 1
            if b >= 0x80 {
                length = decodeScalar(p, at: i, into: &c)
            }
            if collapsesWhitespace && isWhiteSpace(c) {
                flushPending(upTo: i)
                var j = i + length
                while j < n {
                    var d = Int32(p[j])
                    let l = p[j] >= 0x80 ? decodeScalar(p, at: j, into: &d) : 1
                    if !isWhiteSpace(d) { break }
                    j += l
                }
                let start = out.count
                let keep = i > 0 && j < n
                if keep { out.append(0x20) }
                if record && !(keep && j - i == 1) {
                    alignment.changes.append((original: i..<j, output: start..<out.count))
                }
                i = j
                runStart = j
                segmentStart = j
                previous = -1
                state = 0
                continue
            }
            if b < 0x80 {
                if !segmentASCII { flushPending(upTo: i) }
                segmentStart = i
                previous = c
                state = 0
                i += 1
                continue
            }
            let breaks = utf8proc_grapheme_break_stateful(previous, c, &state)
            let boundary =
                c < 0x300
                || (breaks && utf8proc_get_property(c).pointee.combining_class == 0 && !isHangulMedialOrFinal(c))
            if boundary {
                if segmentASCII {
                    segmentStart = i
                } else {
                    flushPending(upTo: i)
                }
            }
            segmentASCII = false
            previous = c
            i += length
        }
        flushPending(upTo: n)
    }

    /// Normalizes one segment of valid UTF-8 through every scalar step and appends its UTF-8.
    private func normalizeSegment(
        _ p: UnsafeBufferPointer<UInt8>, into out: inout [UInt8], scratch: inout NormalizerScratch
    ) {
        scratch.a.removeAll(keepingCapacity: true)
        var i = 0
        while i < p.count {
            var c: Int32 = 0
            i += decodeScalar(p, at: i, into: &c)
            scratch.a.append(c)
        }
        for step in scalarSteps {
            scratch.b.removeAll(keepingCapacity: true)
            switch step {
            case .nfc, .nfd, .nfkc, .nfkd, .stripAccents:
                var options = UTF8PROC_DECOMPOSE.rawValue
                if step == .nfkc || step == .nfkd { options |= UTF8PROC_COMPAT.rawValue }
                decompose(scratch.a, options: options, into: &scratch.b)
                canonicalOrder(&scratch.b)
                if step == .nfc || step == .nfkc {
                    let count = scratch.b.withUnsafeMutableBufferPointer { q in
                        // STABLE makes utf8proc honour the composition exclusions (U+2ADC stays U+2ADD U+0338).
                        utf8proc_normalize_utf32(
                            q.baseAddress, q.count,
                            utf8proc_option_t(
                                rawValue: UTF8PROC_COMPOSE.rawValue | UTF8PROC_STABLE.rawValue | options))
                    }
                    if count >= 0 { scratch.b.removeLast(scratch.b.count - count) }
                } else if step == .stripAccents {
                    scratch.b.removeAll {
                        let category = utf8proc_category($0)
                        return category == UTF8PROC_CATEGORY_MN || category == UTF8PROC_CATEGORY_MC
                            || category == UTF8PROC_CATEGORY_ME
                    }
                }
            case .casefold:
                decompose(scratch.a, options: UTF8PROC_CASEFOLD.rawValue, into: &scratch.b)
            case .lowercase:
                for c in scratch.a {
                    if c == 0x130 {  // İ: the one scalar whose full lowercase is two scalars (as Rust and Python do)
                        scratch.b.append(0x69)
                        scratch.b.append(0x307)
                    } else {
                        scratch.b.append(utf8proc_tolower(c))
                    }
                }
            case .whitespace:
                scratch.b.append(contentsOf: scratch.a)
            }
            swap(&scratch.a, &scratch.b)
        }
        for c in scratch.a { appendUTF8(c, to: &out) }
    }

    private func decompose(_ scalars: [Int32], options: UInt32, into out: inout [Int32]) {
        var buffer = [Int32](repeating: 0, count: 32)
        for c in scalars {
            var boundclass: Int32 = 0
            var count = buffer.withUnsafeMutableBufferPointer { q in
                utf8proc_decompose_char(c, q.baseAddress, q.count, utf8proc_option_t(rawValue: options), &boundclass)
            }
            if count > buffer.count {
                buffer = [Int32](repeating: 0, count: count)
                count = buffer.withUnsafeMutableBufferPointer { q in
                    utf8proc_decompose_char(
                        c, q.baseAddress, q.count, utf8proc_option_t(rawValue: options), &boundclass)
                }
            }
            if count < 0 {
                out.append(c)
            } else {
                out.append(contentsOf: buffer[0..<count])
            }
        }
    }

    /// Canonical ordering: stable-sorts each run of non-starters by combining class.
    ///
    /// Runs of up to ``Normalizer/insertionSortLimit`` marks (all real text) use an insertion sort; longer runs use a
    /// stable counting sort over the 256 combining classes, so a run of n marks costs O(n), not O(n²). This keeps the
    /// exact canonical order Unicode defines, unlike UAX #15's Stream-Safe Text Format, which would insert U+034F
    /// into such runs and so change the normalized text.
    private func canonicalOrder(_ s: inout [Int32]) {
        guard s.count > 1 else { return }
        var i = 0
        while i < s.count {
            guard Self.combiningClass(s[i]) != 0 else {
                i += 1
                continue
            }
            var j = i + 1
            while j < s.count && Self.combiningClass(s[j]) != 0 { j += 1 }
            if j - i > Self.insertionSortLimit {
                Self.countingSort(&s, i..<j)
            } else if j - i > 1 {
                Self.insertionSort(&s, i..<j)
            }
            i = j
        }
    }

    /// The longest run of non-starters sorted by insertion; longer runs are counting-sorted.
    static let insertionSortLimit = 32

    @inline(__always)
    static func combiningClass(_ c: Int32) -> Int {
        Int(utf8proc_get_property(c).pointee.combining_class)
    }

    /// Stable insertion sort of `s[r]` by combining class: O(r.count²), fastest for the short runs of real text.
    static func insertionSort(_ s: inout [Int32], _ r: Range<Int>) {
        var i = r.lowerBound + 1
        while i < r.upperBound {
            let c = s[i]
            let ci = combiningClass(c)
            var j = i
            while j > r.lowerBound && combiningClass(s[j - 1]) > ci {
                s[j] = s[j - 1]
                j -= 1
            }
            s[j] = c
            i += 1
        }
    }

    /// Stable counting sort of `s[r]` by combining class (0...255): O(r.count + 256).
    static func countingSort(_ s: inout [Int32], _ r: Range<Int>) {
        var counts = [Int](repeating: 0, count: 257)
        for k in r { counts[combiningClass(s[k]) + 1] += 1 }
        for k in 1..<257 { counts[k] += counts[k - 1] }
        let run = Array(s[r])
        for c in run {
            let slot = combiningClass(c)
            s[r.lowerBound + counts[slot]] = c
            counts[slot] += 1
        }
    }
}

/// Reused buffers of scalars, so a segment allocates nothing in steady state.
struct NormalizerScratch {
    var a: [Int32] = []
    var b: [Int32] = []
}

/// Decodes the scalar of valid UTF-8 at `p[i]`, returning its length in bytes.
@inline(__always)
func decodeScalar(_ p: UnsafeBufferPointer<UInt8>, at i: Int, into c: inout Int32) -> Int {
    let b0 = Int32(p[i])
    if b0 < 0x80 {
        c = b0
        return 1
    }
    if b0 < 0xE0 {
        c = (b0 & 0x1F) << 6 | Int32(p[i + 1] & 0x3F)
        return 2
    }
    if b0 < 0xF0 {
        c = (b0 & 0x0F) << 12 | Int32(p[i + 1] & 0x3F) << 6 | Int32(p[i + 2] & 0x3F)
        return 3
    }
    c = (b0 & 0x07) << 18 | Int32(p[i + 1] & 0x3F) << 12 | Int32(p[i + 2] & 0x3F) << 6 | Int32(p[i + 3] & 0x3F)
    return 4
}

/// Appends the UTF-8 of scalar `c`.
@inline(__always)
func appendUTF8(_ c: Int32, to out: inout [UInt8]) {
    let u = UInt32(bitPattern: c)
    if u < 0x80 {
        out.append(UInt8(u))
    } else if u < 0x800 {
        out.append(UInt8(0xC0 | u >> 6))
        out.append(UInt8(0x80 | u & 0x3F))
    } else if u < 0x10000 {
        out.append(UInt8(0xE0 | u >> 12))
        out.append(UInt8(0x80 | (u >> 6) & 0x3F))
        out.append(UInt8(0x80 | u & 0x3F))
    } else {
        out.append(UInt8(0xF0 | u >> 18))
        out.append(UInt8(0x80 | (u >> 12) & 0x3F))
        out.append(UInt8(0x80 | (u >> 6) & 0x3F))
        out.append(UInt8(0x80 | u & 0x3F))
    }
}

/// Unicode White_Space (the set `\s` matches in the GPT-2 pattern).
@inline(__always)
func isWhiteSpace(_ c: Int32) -> Bool {
    switch c {
    case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
    default: return false
    }
}

/// Hangul medial vowels and final consonants, which compose with a preceding syllable or initial, and the
/// compatibility and halfwidth Hangul letters whose NFKC and NFKD are such jamo (`ᄃ` + `ￇ` is `데` in NFKC).
@inline(__always)
func isHangulMedialOrFinal(_ c: Int32) -> Bool {
    (c >= 0x1160 && c <= 0x11FF) || (c >= 0xD7B0 && c <= 0xD7FF) || (c >= 0x3131 && c <= 0x318E)
        || (c >= 0xFFA0 && c <= 0xFFDC)
}
