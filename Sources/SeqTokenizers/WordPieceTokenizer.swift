import Foundation

/// A BERT-style tokenizer read from a Hugging Face `tokenizer.json` (`"model": {"type": "WordPiece"}`), as BERT,
/// MiniLM and the sentence-transformers encoders ship it: the `BertNormalizer` (clean text, spaces around Chinese
/// characters, accents stripped, lowercase), the `BertPreTokenizer` (split on whitespace, every punctuation
/// character alone), greedy longest-match WordPiece with the `##` continuation prefix and `[UNK]` for words it
/// cannot cover, the `TemplateProcessing` / `BertProcessing` post-processor (`[CLS] $A [SEP]`) and the `WordPiece`
/// decoder. Special tokens in the input are matched as they are. Offsets are byte ranges of the original input.
///
/// A part of the file it does not know is refused with one line naming the part. The file's `truncation` and `padding`
/// are not applied by `encode`: a sentence encoder cuts at its own `max_seq_length` and batches without padding, as
/// sentence-transformers does whatever the file says.
final class WordPieceTokenizer: Tokenizer, @unchecked Sendable {
    let vocabulary: ByteKeyed<Int>  // by bytes: "é" and "e\u{301}" are different pieces
    let pieces: [String]  // id → piece
    let unknown: Int
    let prefix: String
    let maxCharactersPerWord: Int
    let cleanText: Bool
    let chineseCharacters: Bool
    let stripAccents: Bool
    let lowercase: Bool
    let specials: [(content: String, id: Int)]  // longest first
    let template: [TemplatePart]  // the single-sequence template
    let decoderCleanup: Bool
    let source: [String: Any]  // the file as read, written back by serialized()

    /// One element of a post-processing template: a special token or the sequence itself.
    enum TemplatePart: Equatable {
        case special(Int)
        case sequence
    }

    var vocabularySize: Int { pieces.count }
    var specialTokens: [String: Int] {
        Dictionary(specials.map { ($0.content, $0.id) }, uniquingKeysWith: { a, _ in a })
    }
    var normalization: [Normalization] { [] }

    init(file: TokenizerFile) throws {
        source = file.root
        let model = file.model
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.malformedFile(field: "model.vocab", reason: "is missing or not an object of ids")
        }
        var table = ByteKeyed<Int>()
        var byID: [String?] = Array(repeating: nil, count: vocab.count)
        for (piece, value) in vocab {
            guard let id = integer(value), id >= 0, id < vocab.count, byID[id] == nil else {
                throw TokenizerError.malformedFile(
                    field: "model.vocab", reason: "maps '\(piece)' to an id that is not one of 0..<\(vocab.count) once")
            }
            table[piece] = id
            byID[id] = piece
        }
        vocabulary = table
        pieces = byID.map { $0 ?? "" }
        let unknownToken = (model["unk_token"] as? String) ?? "[UNK]"
        guard let unknownID = table[unknownToken] else {
            throw TokenizerError.malformedFile(
                field: "model.unk_token", reason: "'\(unknownToken)' is not in the vocabulary")
        }
        unknown = unknownID
        prefix = (model["continuing_subword_prefix"] as? String) ?? "##"
        maxCharactersPerWord = integer(model["max_input_chars_per_word"]) ?? 100

        // Normalizer: BertNormalizer, or none.
        let normalizer = file.root["normalizer"] as? [String: Any]
        switch normalizer?["type"] as? String {
        case nil:
            (cleanText, chineseCharacters, stripAccents, lowercase) = (false, false, false, false)
        case "BertNormalizer":
            let lower = (normalizer?["lowercase"] as? Bool) ?? true
            cleanText = (normalizer?["clean_text"] as? Bool) ?? true
            chineseCharacters = (normalizer?["handle_chinese_chars"] as? Bool) ?? true
            stripAccents = (normalizer?["strip_accents"] as? Bool) ?? lower
            lowercase = lower
        case let other?:
            throw TokenizerError.malformedFile(
                field: "normalizer.type",
                reason: "'\(other)' is not supported with a WordPiece model (BertNormalizer is)")
        }
        if let pre = file.root["pre_tokenizer"] as? [String: Any] {
            let type = (pre["type"] as? String) ?? "?"
            guard type == "BertPreTokenizer" else {
                throw TokenizerError.malformedFile(
                    field: "pre_tokenizer.type",
                    reason: "'\(type)' is not supported with a WordPiece model (BertPreTokenizer is)")
            }
        }
        let added = try file.addedTokens()
        specials = added.map { ($0.content, $0.id) }.sorted { $0.content.utf8.count > $1.content.utf8.count }
        for token in added where token.id >= pieces.count {
            throw TokenizerError.malformedFile(
                field: "added_tokens", reason: "gives '\(token.content)' id \(token.id), outside the vocabulary")
        }
        func id(_ content: String, field: String) throws -> Int {
            if let id = table[content] ?? added.first(where: { $0.content == content })?.id { return id }
            throw TokenizerError.malformedFile(field: field, reason: "names '\(content)', which is not a token")
        }
        // Post-processor: the single-sequence template.
        let post = file.root["post_processor"] as? [String: Any]
        switch post?["type"] as? String {
        case nil:
            template = [.sequence]
        case "TemplateProcessing":
            guard let single = post?["single"] as? [[String: Any]] else {
                throw TokenizerError.malformedFile(field: "post_processor.single", reason: "is missing or not a list")
            }
            template = try single.map { part in
                if let special = part["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                    return .special(try id(name, field: "post_processor.single"))
                }
                if part["Sequence"] != nil { return .sequence }
                throw TokenizerError.malformedFile(
                    field: "post_processor.single", reason: "has a part that is neither SpecialToken nor Sequence")
            }
        case "BertProcessing":
            guard let cls = (post?["cls"] as? [Any])?.first as? String,
                let sep = (post?["sep"] as? [Any])?.first as? String
            else {
                throw TokenizerError.malformedFile(field: "post_processor", reason: "BertProcessing needs cls and sep")
            }
            template = [
                .special(try id(cls, field: "post_processor.cls")), .sequence,
                .special(try id(sep, field: "post_processor.sep")),
            ]
        case let other?:
            throw TokenizerError.malformedFile(
                field: "post_processor.type",
                reason: "'\(other)' is not supported with a WordPiece model (TemplateProcessing, BertProcessing are)")
        }
        let decoder = file.root["decoder"] as? [String: Any]
        switch decoder?["type"] as? String {
        case nil, "WordPiece": decoderCleanup = (decoder?["cleanup"] as? Bool) ?? true
        case let other?:
            throw TokenizerError.malformedFile(
                field: "decoder.type", reason: "'\(other)' is not supported with a WordPiece model (WordPiece is)")
        }
    }

    // MARK: Encoding

    func encode(_ text: String) throws -> [Int] { try encodeWithOffsets(bytes: Array(text.utf8)).map(\.id) }

    func encode(bytes: [UInt8]) throws -> [Int] { try encodeWithOffsets(bytes: bytes).map(\.id) }

    func encodeWithOffsets(bytes: [UInt8]) throws -> [TokenSpan] {
        if let offset = bytes.withUnsafeBufferPointer(firstInvalidUTF8Offset) {
            throw TokenizerError.invalidUTF8(offset: offset)
        }
        var content: [TokenSpan] = []
        // Special tokens are matched in the raw input first; the text between them is normalized and split.
        var start = 0
        var i = 0
        while i < bytes.count {
            if let special = specials.first(where: { matches($0.content, bytes, at: i) }) {
                content += words(bytes, start..<i)
                let end = i + special.content.utf8.count
                content.append(TokenSpan(id: special.id, start: i, end: end))
                (i, start) = (end, end)
            } else {
                i += 1
            }
        }
        content += words(bytes, start..<bytes.count)
        var out: [TokenSpan] = []
        for part in template {
            switch part {
            case .special(let id): out.append(TokenSpan(id: id, start: 0, end: 0))
            case .sequence: out += content
            }
        }
        return out
    }

    private func matches(_ token: String, _ bytes: [UInt8], at i: Int) -> Bool {
        let t = Array(token.utf8)
        guard !t.isEmpty, i + t.count <= bytes.count else { return false }
        for k in 0..<t.count where bytes[i + k] != t[k] { return false }
        return true
    }

    /// The normalized scalars of `bytes[range]`, each with the byte range of the input scalar it came from.
    private func normalized(_ bytes: [UInt8], _ range: Range<Int>) -> [(scalar: Unicode.Scalar, start: Int, end: Int)] {
        var out: [(Unicode.Scalar, Int, Int)] = []
        var i = range.lowerBound
        let text = String(decoding: bytes[range], as: UTF8.self)
        for scalar in text.unicodeScalars {
            let (start, end) = (i, i + UTF8.width(scalar))
            i = end
            // ASCII has no accents to strip and a one-scalar lowercase: no per-scalar strings on the common path.
            if scalar.isASCII && !(cleanText && (scalar.value == 0 || Self.isControl(scalar))) {
                let ascii = cleanText && Self.isWhitespace(scalar) ? " " : scalar
                let lowered =
                    lowercase && (65...90).contains(ascii.value) ? Unicode.Scalar(ascii.value + 32)! : ascii
                out.append((lowered, start, end))
                continue
            }
            var emitted: [Unicode.Scalar] = [scalar]
            if cleanText {
                if scalar.value == 0 || scalar.value == 0xFFFD || Self.isControl(scalar) { continue }
                if Self.isWhitespace(scalar) { emitted = [" "] }
            }
            if chineseCharacters && Self.isChinese(scalar) { emitted = [" ", scalar, " "] }
            if stripAccents {
                emitted = emitted.flatMap { s -> [Unicode.Scalar] in
                    String(s).decomposedStringWithCanonicalMapping.unicodeScalars.filter {
                        $0.properties.generalCategory != .nonspacingMark
                    }
                }
            }
            if lowercase { emitted = emitted.flatMap { Array($0.properties.lowercaseMapping.unicodeScalars) } }
            for s in emitted { out.append((s, start, end)) }
        }
        return out
    }

    /// Normalizes `bytes[range]`, splits it into words and punctuation, and WordPiece-encodes each.
    private func words(_ bytes: [UInt8], _ range: Range<Int>) -> [TokenSpan] {
        guard !range.isEmpty else { return [] }
        let scalars = normalized(bytes, range)
        var out: [TokenSpan] = []
        var word: [(scalar: Unicode.Scalar, start: Int, end: Int)] = []
        func flush() {
            if !word.isEmpty { out += wordPiece(word) }
            word.removeAll(keepingCapacity: true)
        }
        for item in scalars {
            if Self.isWhitespace(item.scalar) {
                flush()
            } else if Self.isPunctuation(item.scalar) {
                flush()
                word.append(item)
                flush()
            } else {
                word.append(item)
            }
        }
        flush()
        return out
    }

    /// Greedy longest-match-first pieces of one word; the whole word is `[UNK]` when a part has no piece or the
    /// word is longer than `max_input_chars_per_word`.
    private func wordPiece(_ word: [(scalar: Unicode.Scalar, start: Int, end: Int)]) -> [TokenSpan] {
        let whole = TokenSpan(id: unknown, start: word[0].start, end: word[word.count - 1].end)
        if word.count > maxCharactersPerWord { return [whole] }
        var out: [TokenSpan] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var found: Int?
            while start < end {
                var piece = start > 0 ? prefix : ""
                piece.unicodeScalars.append(contentsOf: word[start..<end].map(\.scalar))
                if let id = vocabulary[piece] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [whole] }
            out.append(TokenSpan(id: id, start: word[start].start, end: word[end - 1].end))
            start = end
        }
        return out
    }

    // Character classes as BERT's tokenizer defines them.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\n" || s == "\r" || s.properties.isWhitespace
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) {
            return true
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return true
        default: return false
        }
    }

    static func isChinese(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }

    // MARK: Decoding

    /// The text of `ids` as the `WordPiece` decoder gives it: special tokens left out; every piece after the first
    /// gets a space before it unless it starts with `##` (which is dropped); with `cleanup`, each piece's space
    /// before punctuation (`" ."` → `"."`, …) goes.
    func decode(_ ids: [Int]) throws -> String {
        let specialIDs = Set(specials.map(\.id))
        var text = ""
        var first = true
        for id in ids {
            guard id >= 0 && id < pieces.count else { throw TokenizerError.unknownID(id) }
            if specialIDs.contains(id) { continue }
            var piece = pieces[id]
            if !first { piece = dropPrefix(prefix, of: piece) ?? " " + piece }
            first = false
            if decoderCleanup {
                for (from, to) in Self.cleanups { piece = replaceBytes(from, with: to, in: piece) }
            }
            text += piece
        }
        return text
    }

    /// The WordPiece decoder's cleanup, applied to each piece in this order.
    static let cleanups = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ]

    func decodeBytes(_ ids: [Int]) throws -> [UInt8] { Array(try decode(ids).utf8) }

    func piece(for id: Int) throws -> String {
        guard id >= 0 && id < pieces.count else { throw TokenizerError.unknownID(id) }
        return pieces[id]
    }

    /// Streams whole pieces: a word's first piece with a space before it, a `##` piece glued on, special tokens
    /// as nothing (the decoder's cleanup of spaces before punctuation is left to ``decode(_:)``).
    func makeStreamingDecoder() -> StreamingDecoder {
        let specialIDs = Set(specials.map(\.id))
        return StreamingDecoder(
            pieces: pieces.enumerated().map { id, piece in
                if specialIDs.contains(id) { return [] }
                return Array((dropPrefix(prefix, of: piece) ?? " " + piece).utf8)
            })
    }

    /// The file as it was read (SeqKit does not train WordPiece vocabularies).
    func serialized() throws -> Data { try TokenizerFile.serialize(source) }
}
