import CUTF8Proc

/// Turns ids pushed one at a time into text, returning only complete UTF-8 and complete grapheme clusters,
/// whatever the tokenizer: a BPE vocabulary splits 👍🏽, 🇫🇷 or e + U+0301 across tokens as readily as a byte
/// tokenizer splits a scalar, so the last cluster is always held back until a later push shows it has ended
/// (or ``finish()`` is called).
///
/// ```swift
/// let stream = tokenizer.makeStreamingDecoder()
/// var text = ""
/// for id in ids { text += try stream.push(id) }
/// text += stream.finish()  // text == (try tokenizer.decode(ids))
/// ```
public final class StreamingDecoder {
    private let pieces: [[UInt8]?]
    /// Bytes that may still be the start of a scalar.
    private var pending: [UInt8] = []
    /// Complete UTF-8 held back because the last grapheme cluster may continue.
    private var held: [UInt8] = []

    init(pieces: [[UInt8]?]) {
        self.pieces = pieces
    }

    /// Adds one id and returns the text it completes (often `""`).
    ///
    /// Throws ``TokenizerError/unknownID(_:)`` for an id outside the vocabulary, leaving the stream as it was.
    public func push(_ id: Int) throws -> String {
        guard id >= 0 && id < pieces.count, let piece = pieces[id] else { throw TokenizerError.unknownID(id) }
        pending.append(contentsOf: piece)
        return String(decoding: drain(final: false), as: UTF8.self)
    }

    /// Adds several ids and returns the text they complete.
    ///
    /// `try stream.push([72, 105])` returns `"Hi"` for a char tokenizer that maps 72 → "H" and 105 → "i".
    public func push(_ ids: [Int]) throws -> String {
        for id in ids where !(id >= 0 && id < pieces.count && pieces[id] != nil) { throw TokenizerError.unknownID(id) }
        for id in ids { pending.append(contentsOf: pieces[id]!) }
        return String(decoding: drain(final: false), as: UTF8.self)
    }

    /// Returns everything held back (an unfinished scalar becomes U+FFFD) and empties the stream.
    ///
    /// `stream.finish()` after the last id; the stream can then start a new text.
    public func finish() -> String {
        String(decoding: drain(final: true), as: UTF8.self)
    }

    /// Moves complete scalars from `pending` to `held`, replacing invalid ones, then releases complete clusters.
    private func drain(final: Bool) -> [UInt8] {
        pending.withUnsafeBufferPointer { p in
            let n = p.count
            var i = 0
            while i < n {
                let length = utf8SequenceLength(p, n, at: i)
                if length > 0 {
                    held.append(contentsOf: UnsafeBufferPointer(rebasing: p[i..<(i + length)]))
                    i += length
                } else if i - length == n && !final {
                    break  // an incomplete scalar at the end: wait for more bytes
                } else {
                    held.append(contentsOf: [0xEF, 0xBF, 0xBD])
                    i -= length
                }
            }
            pending.removeFirst(i)
        }
        if final {
            defer { held.removeAll(keepingCapacity: true) }
            return held
        }
        let cut = held.withUnsafeBufferPointer { lastGraphemeStart($0) }
        let out = Array(held[0..<cut])
        held.removeFirst(cut)
        return out
    }
}

/// The byte offset where the last extended grapheme cluster of valid UTF-8 `p` starts (0 if it has one cluster).
func lastGraphemeStart(_ p: UnsafeBufferPointer<UInt8>) -> Int {
    var state: Int32 = 0
    var previous: Int32 = -1
    var last = 0
    var i = 0
    while i < p.count {
        var c: Int32 = 0
        let length = decodeScalar(p, at: i, into: &c)
        if previous >= 0 && utf8proc_grapheme_break_stateful(previous, c, &state) { last = i }
        previous = c
        i += length
    }
    return last
}

/// The bytes of every id back to back, so decoding is one bounds check and one copy per id.
struct PieceArena: Sendable {
    /// Id `i` is `bytes[starts[i]..<starts[i + 1]]`; an empty range marks an id with no piece.
    let bytes: [UInt8]
    let starts: [Int]

    init(_ pieces: [[UInt8]?]) {
        var bytes = [UInt8]()
        var starts = [0]
        starts.reserveCapacity(pieces.count + 1)
        for piece in pieces {
            bytes.append(contentsOf: piece ?? [])
            starts.append(bytes.count)
        }
        self.bytes = bytes
        self.starts = starts
    }

    /// The pieces of `ids` concatenated; throws ``TokenizerError/unknownID(_:)`` for an id with no piece.
    func concatenate(_ ids: [Int]) throws -> [UInt8] {
        let n = starts.count - 1
        var total = 0
        try starts.withUnsafeBufferPointer { starts in
            for id in ids {
                guard id >= 0 && id < n && starts[id &+ 1] > starts[id] else { throw TokenizerError.unknownID(id) }
                total &+= starts[id &+ 1] &- starts[id]
            }
        }
        return bytes.withUnsafeBufferPointer { source in
            starts.withUnsafeBufferPointer { starts in
                [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
                    var at = 0
                    for id in ids {
                        let start = starts[id]
                        let length = starts[id &+ 1] &- start
                        (buffer.baseAddress! + at).update(from: source.baseAddress! + start, count: length)
                        at &+= length
                    }
                    count = at
                }
            }
        }
    }
}
