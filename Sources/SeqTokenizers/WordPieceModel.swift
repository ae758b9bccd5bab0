import Foundation

/// The `WordPiece` model as a pipeline part: greedy longest-match-first pieces of a word, every piece after the
/// first with `continuing_subword_prefix`; the whole word is `unk_token` when a part has no piece or the word has
/// more than `max_input_chars_per_word` scalars. (``WordPieceTokenizer`` runs BERT's own files faster; files with
/// parts it does not know run here.)
struct WordPieceModel: PieceModel {
    let pieces: [String?]
    let table: ByteKeyed<Int>
    let unknown: Int
    let prefix: String
    let maxCharacters: Int

    var count: Int { pieces.count }

    init(json model: [String: Any]) throws {
        (pieces, table) = try Self.vocabulary(model)
        let unk = model["unk_token"] as? String ?? "[UNK]"
        guard let unknown = table[unk] else {
            throw TokenizerError.malformedFile(field: "model.unk_token", reason: "'\(unk)' is not in model.vocab")
        }
        self.unknown = unknown
        prefix = model["continuing_subword_prefix"] as? String ?? "##"
        maxCharacters = integer(model["max_input_chars_per_word"]) ?? 100
    }

    /// A `{"piece": id}` vocabulary as pieces by id and ids by piece.
    static func vocabulary(_ model: [String: Any]) throws -> (pieces: [String?], table: ByteKeyed<Int>) {
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.malformedFile(field: "model.vocab", reason: "is missing or not an object of ids")
        }
        var table = ByteKeyed<Int>()
        var maxID = -1
        var entries: [(String, Int)] = []
        for (piece, value) in vocab {
            guard let id = integer(value), id >= 0, id < 1 << 24 else {
                throw TokenizerError.malformedFile(
                    field: "model.vocab[\"\(piece)\"]", reason: "is not a non-negative integer id below 2^24")
            }
            table[piece] = id
            entries.append((piece, id))
            maxID = max(maxID, id)
        }
        var pieces = [String?](repeating: nil, count: maxID + 1)
        for (piece, id) in entries { pieces[id] = piece }
        return (pieces, table)
    }

    func id(of piece: String) -> Int? { table[piece] }
    func piece(of id: Int) -> String? { pieces[safe: id] ?? nil }

    func tokenize(_ text: String) throws -> [(id: Int, start: Int, end: Int)] {
        let scalars = Array(text.unicodeScalars)
        let whole = [(id: unknown, start: 0, end: text.utf8.count)]
        if scalars.count > maxCharacters { return whole }
        var byteAt = [Int](repeating: 0, count: scalars.count + 1)
        for (i, s) in scalars.enumerated() { byteAt[i + 1] = byteAt[i] + UTF8.width(s) }
        var out: [(id: Int, start: Int, end: Int)] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int?
            while start < end {
                var piece = String.UnicodeScalarView()
                piece.append(contentsOf: scalars[start..<end])
                let candidate = (start > 0 ? prefix : "") + String(piece)
                if let id = table[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return whole }
            out.append((id, byteAt[start], byteAt[end]))
            start = end
        }
        return out
    }
}

/// The `WordLevel` model: each pre-tokenized piece is one token, or `unk_token` when the vocabulary lacks it.
struct WordLevelModel: PieceModel {
    let pieces: [String?]
    let table: ByteKeyed<Int>
    let unknown: String

    var count: Int { pieces.count }

    init(json model: [String: Any]) throws {
        let vocabulary = try WordPieceModel.vocabulary(model)
        (pieces, table) = (vocabulary.pieces, vocabulary.table)
        unknown = model["unk_token"] as? String ?? "<unk>"
    }

    func id(of piece: String) -> Int? { table[piece] }
    func piece(of id: Int) -> String? { pieces[safe: id] ?? nil }

    func tokenize(_ text: String) throws -> [(id: Int, start: Int, end: Int)] {
        guard let id = table[text] ?? table[unknown] else { throw TokenizerError.unencodable(offset: 0) }
        return [(id, 0, text.utf8.count)]
    }
}
