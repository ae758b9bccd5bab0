import Foundation

/// The model part of a Hugging Face pipeline: one pre-tokenized piece in, tokens with byte ranges of the piece out.
protocol PieceModel {
    /// The number of ids of the model's vocabulary.
    var count: Int { get }
    /// The id of a piece, if the vocabulary has it.
    func id(of piece: String) -> Int?
    /// The piece of an id, if there is one.
    func piece(of id: Int) -> String?
    /// The tokens of `text`, each with the UTF-8 byte range of `text` it covers.
    func tokenize(_ text: String) throws -> [(id: Int, start: Int, end: Int)]
}

/// A sentencepiece Unigram model (`"model": {"type": "Unigram", "vocab": [["▁the", -3.2], …], "unk_id": 2}`):
/// the split of a piece whose summed log-probabilities are highest (Viterbi), scalars no piece covers becoming
/// `unk_id` at the lowest score minus 10, runs of unknowns fused into one token, and with `byte_fallback` an
/// unknown run spelled as `<0xE2>`-style byte pieces (each with the range of the whole run).
struct UnigramModel: PieceModel {
    let pieces: [String]
    let scores: [Double]
    let table: ByteKeyed<Int>
    let unknown: Int?
    let byteFallback: Bool
    let longest: Int  // the most scalars in one piece
    let unknownScore: Double
    /// Byte-fallback tokens cover their own byte instead of the whole unknown run (SeqKit's offsets).
    var exactBytes = false

    var count: Int { pieces.count }

    init(json model: [String: Any], exactPieces: [String]?) throws {
        guard let vocab = model["vocab"] as? [Any], !vocab.isEmpty else {
            throw TokenizerError.malformedFile(
                field: "model.vocab", reason: "is missing or not a non-empty list of [piece, score] pairs")
        }
        var pieces: [String] = []
        var scores: [Double] = []
        for (i, entry) in vocab.enumerated() {
            guard let pair = entry as? [Any], pair.count == 2, let piece = pair[0] as? String,
                let score = (pair[1] as? NSNumber)?.doubleValue
            else {
                throw TokenizerError.malformedFile(field: "model.vocab[\(i)]", reason: "is not a [piece, score] pair")
            }
            pieces.append(exactPieces?[safe: i] ?? piece)
            scores.append(score)
        }
        var table = ByteKeyed<Int>()
        for (id, piece) in pieces.enumerated() { table[piece] = id }  // a repeated piece keeps its last id
        self.pieces = pieces
        self.scores = scores
        self.table = table
        if let value = model["unk_id"], !(value is NSNull) {
            guard let id = integer(value), id >= 0, id < pieces.count else {
                throw TokenizerError.malformedFile(
                    field: "model.unk_id", reason: "is not an id of the vocabulary (0..<\(pieces.count))")
            }
            unknown = id
        } else {
            unknown = nil
        }
        byteFallback = model["byte_fallback"] as? Bool ?? false
        longest = pieces.map { $0.unicodeScalars.count }.max() ?? 1
        unknownScore = (scores.min() ?? 0) - 10
    }

    func id(of piece: String) -> Int? { table[piece] }
    func piece(of id: Int) -> String? { pieces[safe: id] }

    func tokenize(_ text: String) throws -> [(id: Int, start: Int, end: Int)] {
        let scalars = Array(text.unicodeScalars)
        let n = scalars.count
        if n == 0 { return [] }
        var byteAt = [Int](repeating: 0, count: n + 1)  // scalar index → byte offset
        for (i, s) in scalars.enumerated() { byteAt[i + 1] = byteAt[i] + UTF8.width(s) }
        // best[e]: the best path ending at scalar e, as (score, start of its last token, that token's id).
        var best = [(score: Double, start: Int, id: Int)](repeating: (0, -1, -1), count: n + 1)
        for start in 0..<n {
            if start > 0 && best[start].start < 0 { continue }
            let base = best[start].score
            var single = false
            var piece = String.UnicodeScalarView()
            // Shorter pieces first, and a later candidate wins only when strictly better: the library's order.
            for end in (start + 1)...max(start + 1, min(n, start + longest)) {
                piece.append(scalars[end - 1])
                guard let id = table[String(piece)] else { continue }
                let score = base + scores[id]
                if best[end].start < 0 || score > best[end].score { best[end] = (score, start, id) }
                if end == start + 1 { single = true }
            }
            if !single {
                guard let unknown else {
                    throw TokenizerError.unencodable(offset: byteAt[start])
                }
                let score = base + unknownScore
                if best[start + 1].start < 0 || score > best[start + 1].score {
                    best[start + 1] = (score, start, unknown)
                }
            }
        }
        // Walk back, fusing runs of unknowns.
        var spans: [(start: Int, end: Int)] = []
        var end = n
        var fusedStart: Int?
        var fusedEnd = 0
        while end > 0 {
            let node = best[end]
            if node.id == unknown {
                if fusedStart == nil { fusedEnd = end }
                fusedStart = node.start
            } else {
                if let s = fusedStart { spans.append((s, fusedEnd)) }
                fusedStart = nil
                spans.append((node.start, end))
            }
            end = node.start
        }
        if let s = fusedStart { spans.append((s, fusedEnd)) }
        var out: [(id: Int, start: Int, end: Int)] = []
        for span in spans.reversed() {
            let (a, b) = (byteAt[span.start], byteAt[span.end])
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[span.start..<span.end])
            let string = String(piece)
            if let id = table[string] {
                out.append((id, a, b))
                continue
            }
            if byteFallback {
                let ids = string.utf8.compactMap { table[byteToken($0)] }
                if ids.count == string.utf8.count {
                    for (k, id) in ids.enumerated() { out.append(exactBytes ? (id, a + k, a + k + 1) : (id, a, b)) }
                    continue
                }
            }
            guard let unknown else { throw TokenizerError.unencodable(offset: a) }
            out.append((unknown, a, b))
        }
        return out
    }
}

/// A table keyed by a string's UTF-8 bytes. Swift's `String` equality is canonical equivalence (`"é" == "e\u{301}"`),
/// so a `[String: Int]` vocabulary finds pieces the tokenizers library, which compares bytes, does not.
struct ByteKeyed<Value> {
    private var storage: [[UInt8]: Value] = [:]

    init() {}

    subscript(_ key: String) -> Value? {
        get { storage[Array(key.utf8)] }
        set { storage[Array(key.utf8)] = newValue }
    }

    subscript(bytes key: [UInt8]) -> Value? { storage[key] }
}

/// The sentencepiece name of a byte piece: `byteToken(0x0A) == "<0x0A>"`.
func byteToken(_ b: UInt8) -> String {
    let hex = String(b, radix: 16, uppercase: true)
    return "<0x" + (hex.count == 1 ? "0" : "") + hex + ">"
}
