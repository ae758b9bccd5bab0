import Foundation

/// A Hugging Face `tokenizer.json` run part by part as the tokenizers library runs it: added tokens cut out of the
/// raw text (`normalized: false`) or of the normalized text (`normalized: true`), honouring `single_word`, `lstrip`
/// and `rstrip`; the `normalizer`; the `pre_tokenizer`; the model (`Unigram`, or `BPE` over scalars with byte
/// fallback); the `post_processor` template; and the `decoder` chain. This is how SeqKit reads sentencepiece-style
/// files (T5, ALBERT, Llama 2, Mistral) and any file whose parts it knows.
///
/// Offsets are byte ranges of the original input. With ``OffsetConvention/wholeCharacters`` they are exactly the
/// library's: a token of inserted text (a prepended `▁`) has the range of the character it was inserted at, and a
/// token inside a character (a byte-fallback or byte-level piece) the range of the whole character. With
/// ``OffsetConvention/exactBytes`` (the default) inserted text covers no byte and a token inside a character that
/// the normalizer left as it was covers its own bytes. A part SeqKit does not know is refused with one
/// line naming it. ``serialized()`` writes the file back as it was read.
final class HFPipelineTokenizer: Tokenizer, @unchecked Sendable {
    let model: any PieceModel
    let normalizer: PipelineNormalizer?
    let preTokenizer: PipelinePreTokenizer?
    let decoder: PipelineDecoder?
    let template: [TemplatePart]  // the single-sequence template
    let trimOffsets: (addPrefixSpace: Bool, on: Bool)  // the ByteLevel / Roberta post-processors' trim_offsets
    let lengths: LengthSettings  // the file's truncation and padding
    let added: [AddedToken]
    let addedByID: [Int: AddedToken]
    let source: [String: Any]
    let invalidUTF8: TokenizerOptions.InvalidUTF8Policy
    let exactBytes: Bool  // a token inside a character covers its own bytes, not the whole character

    /// A token of `added_tokens`, with its content as matched: the content itself, or its normalized form when
    /// `normalized` is true.
    struct AddedToken {
        var id: Int
        var content: String
        var match: [Unicode.Scalar]
        var special: Bool
        var normalized: Bool
        var singleWord: Bool
        var lstrip: Bool
        var rstrip: Bool
    }

    /// One element of a post-processing template: a token id with no text, or the encoded sequence.
    enum TemplatePart: Equatable {
        case special(Int)
        case sequence
    }

    var vocabularySize: Int { max(model.count, (added.map(\.id).max() ?? -1) + 1) }
    var specialTokens: [String: Int] {
        Dictionary(added.filter(\.special).map { ($0.content, $0.id) }, uniquingKeysWith: { a, _ in a })
    }
    var normalization: [Normalization] { [] }

    /// Reads `file`; with `applyLengths` false its `truncation` and `padding` are left to the caller (a WordPiece
    /// sentence encoder cuts and pads at its own lengths).
    init(
        file: TokenizerFile, invalidUTF8: TokenizerOptions.InvalidUTF8Policy = .error,
        offsets: OffsetConvention = .exactBytes, applyLengths: Bool = true
    ) throws {
        source = file.root
        self.invalidUTF8 = invalidUTF8
        exactBytes = offsets == .exactBytes
        switch file.modelType {
        case "Unigram":
            var unigram = try UnigramModel(json: file.model, exactPieces: nil)
            unigram.exactBytes = offsets == .exactBytes
            model = unigram
        case "BPE": model = try PieceBPEModel(json: file.model)
        case "WordPiece": model = try WordPieceModel(json: file.model)
        case "WordLevel": model = try WordLevelModel(json: file.model)
        default:
            throw TokenizerError.malformedFile(
                field: "model.type", reason: "names an unsupported model type '\(file.modelType)'")
        }
        func part(_ key: String) throws -> [String: Any]? {
            guard let value = file.root[key], !(value is NSNull) else { return nil }
            guard let object = value as? [String: Any] else {
                throw TokenizerError.malformedFile(field: key, reason: "is not an object or null")
            }
            return object
        }
        normalizer = try part("normalizer").map { try PipelineNormalizer(json: $0, field: "normalizer") }
        preTokenizer = try part("pre_tokenizer").map { try PipelinePreTokenizer(json: $0, field: "pre_tokenizer") }
        decoder = try part("decoder").map { try PipelineDecoder(json: $0, field: "decoder") }

        // Added tokens, with the content a normalized one is matched as.
        var tokens: [AddedToken] = []
        let basics = try file.addedTokens()
        for (i, entry) in ((file.root["added_tokens"] as? [Any]) ?? []).enumerated() {
            guard let basic = basics[safe: i] else { break }
            let object = entry as? [String: Any] ?? [:]
            let normalized = object["normalized"] as? Bool ?? !basic.special
            var match = Array(basic.content.unicodeScalars)
            if normalized, let normalizer {
                var text = NormalizedText(bytes: Array(basic.content.utf8), range: 0..<basic.content.utf8.count)
                normalizer.apply(&text)
                match = text.items.map(\.scalar)
            }
            tokens.append(
                AddedToken(
                    id: basic.id, content: basic.content, match: match, special: basic.special,
                    normalized: normalized, singleWord: object["single_word"] as? Bool ?? false,
                    lstrip: object["lstrip"] as? Bool ?? false, rstrip: object["rstrip"] as? Bool ?? false))
        }
        added = tokens
        addedByID = Dictionary(tokens.map { ($0.id, $0) }, uniquingKeysWith: { _, b in b })

        // Post-processor: offset trimming and the single-sequence template.
        var post = PostProcessing()
        if let object = try part("post_processor") {
            try post.read(object, field: "post_processor", addedTokens: tokens, model: model)
        }
        template = post.template ?? [.sequence]
        trimOffsets = post.trimOffsets
        lengths = try LengthSettings(
            root: applyLengths ? file.root : [:], addedCount: template.filter { $0 != .sequence }.count)
        for token in tokens where token.id >= 1 << 24 {
            throw TokenizerError.malformedFile(field: "added_tokens", reason: "has id \(token.id), above 2^24")
        }
    }

    // MARK: Encoding

    func encode(_ text: String) throws -> [Int] { try encodeWithOffsets(bytes: Array(text.utf8)).map(\.id) }

    func encode(bytes: [UInt8]) throws -> [Int] { try encodeWithOffsets(bytes: bytes).map(\.id) }

    func encodeWithOffsets(bytes input: [UInt8]) throws -> [TokenSpan] {
        let bytes = input
        let raw: NormalizedText
        if let offset = bytes.withUnsafeBufferPointer(firstInvalidUTF8Offset) {
            guard invalidUTF8 == .replace else { throw TokenizerError.invalidUTF8(offset: offset) }
            raw = NormalizedText(lossy: bytes)  // U+FFFD for each invalid sequence, offsets still into `input`
        } else {
            raw = NormalizedText(bytes: bytes, range: 0..<bytes.count)
        }
        // 1. Added tokens matched in the raw text; 2. the rest normalized, then normalized added tokens matched.
        var pieces: [(text: NormalizedText, token: Int?)] = []
        for (part, token) in extractAdded(raw, normalized: false) {
            if let token {
                pieces.append((part, token))
                continue
            }
            var text = part
            normalizer?.apply(&text)
            for (sub, subToken) in extractAdded(text, normalized: true) { pieces.append((sub, subToken)) }
        }
        var content: [TokenSpan] = []
        var strings: [String] = []  // each token's text as the library's Encoding.tokens holds it
        for (text, token) in pieces {
            if let token {
                let (start, end) = text.original(0..<text.items.count)
                content.append(TokenSpan(id: token, start: start, end: end))
                strings.append(text.string)
                continue
            }
            let words = preTokenizer?.apply([text], exactBytes: exactBytes) ?? [text]
            for word in words where !word.isEmpty {
                let string = word.string
                // Byte offset in `string` → scalar index of `word`, and each scalar's first byte.
                var scalarAt = [Int](repeating: 0, count: string.utf8.count + 1)
                var firstByte = [Int](repeating: 0, count: word.items.count + 1)
                var b = 0
                for (i, item) in word.items.enumerated() {
                    let width = UTF8.width(item.scalar)
                    for k in 0..<width { scalarAt[b + k] = i }
                    firstByte[i] = b
                    b += width
                }
                scalarAt[b] = word.items.count
                firstByte[word.items.count] = b
                for t in try model.tokenize(string) {
                    let first = scalarAt[t.start]
                    let last = t.end > t.start ? scalarAt[t.end - 1] + 1 : first
                    var (start, end) = word.original(first..<last)
                    if exactBytes && t.end > t.start {
                        // SeqKit's offsets: inserted text covers no byte, and a token starting or ending inside a
                        // character the normalizer left as it was covers exactly its own bytes of it.
                        let real = (first..<last).filter { !word.items[$0].inserted }
                        if let r = real.first, let q = real.last {
                            let (a, z) = (word.items[r], word.items[q])
                            (start, end) = (a.start, z.end)
                            if r == first && t.start > firstByte[first] && a.end - a.start == UTF8.width(a.scalar) {
                                start = a.start + t.start - firstByte[first]
                            }
                            if q == last - 1 && t.end < firstByte[last] && z.end - z.start == UTF8.width(z.scalar) {
                                end = z.start + t.end - firstByte[last - 1]
                            }
                        } else {
                            (start, end) = (word.items[first].start, word.items[first].start)
                        }
                    }
                    content.append(TokenSpan(id: t.id, start: start, end: end))
                    strings.append(model.piece(of: t.id) ?? "")
                }
            }
        }
        if trimOffsets.on { content = trimmed(content, strings, bytes) }
        content = lengths.truncated(content)
        var out: [TokenSpan] = []
        for part in template {
            switch part {
            case .special(let id): out.append(TokenSpan(id: id, start: 0, end: 0))
            case .sequence: out += content
            }
        }
        return lengths.padded(out)
    }

    /// Offsets without the spaces at either end of each token's string (`Ġ` or white space), as the ByteLevel
    /// post-processor's `trim_offsets` does, counting characters of the original input as the library does; with
    /// `add_prefix_space`, the single space of the first token stays.
    private func trimmed(_ spans: [TokenSpan], _ strings: [String], _ bytes: [UInt8]) -> [TokenSpan] {
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == "\u{120}" || s.properties.isWhitespace }
        func isContinuation(_ i: Int) -> Bool { i < bytes.count && bytes[i] & 0xC0 == 0x80 }
        return zip(spans, strings).enumerated().map { i, pair in
            let (original, token) = pair
            let scalars = Array(token.unicodeScalars)
            var leading = scalars.prefix(while: isSpace).count
            let trailing = scalars.reversed().prefix(while: isSpace).count
            var span = original
            if leading > 0 {
                if (i == 0 || span.start == 0) && trimOffsets.addPrefixSpace && leading == 1 { leading = 0 }
                for _ in 0..<leading where span.start < span.end {
                    span.start += 1
                    while span.start < span.end && isContinuation(span.start) { span.start += 1 }
                }
            }
            // The end moves back `trailing` characters when at least that many precede it.
            var characters = 0
            var k = span.end
            while k > 0 && characters < trailing {
                k -= 1
                if !isContinuation(k) { characters += 1 }
            }
            if trailing > 0 && characters == trailing { span.end = max(k, span.start) }
            return span
        }
    }

    /// The text cut around the added tokens matched in it (leftmost, longest first), each piece with the id of the
    /// token it is, or `nil` for text between tokens.
    private func extractAdded(_ text: NormalizedText, normalized: Bool) -> [(NormalizedText, Int?)] {
        let candidates = added.filter { $0.normalized == normalized && !$0.match.isEmpty }
        let items = text.items
        if candidates.isEmpty || items.isEmpty { return [(text, nil)] }
        let byFirst = Dictionary(grouping: candidates, by: { $0.match[0] })
        var out: [(NormalizedText, Int?)] = []
        var startOffset = 0  // the end of the last match
        var i = 0
        while i < items.count {
            // The longest token that matches at i.
            var found: AddedToken?
            for token in byFirst[items[i].scalar] ?? [] where token.match.count > (found?.match.count ?? 0) {
                if i + token.match.count <= items.count,
                    (0..<token.match.count).allSatisfy({ items[i + $0].scalar == token.match[$0] })
                {
                    found = token
                }
            }
            guard let token = found else {
                i += 1
                continue
            }
            var start = i
            var stop = i + token.match.count
            if token.singleWord {
                let before = start == 0 || !isWordScalar(items[start - 1].scalar)
                let after = stop == items.count || !isWordScalar(items[stop].scalar)
                if !(before && after) {
                    i = stop  // the search goes on after the match it set aside
                    continue
                }
            }
            if token.lstrip {
                var s = start
                while s > 0 && items[s - 1].scalar.properties.isWhitespace { s -= 1 }
                start = max(s, startOffset)
            }
            if token.rstrip {
                while stop < items.count && items[stop].scalar.properties.isWhitespace { stop += 1 }
            }
            if startOffset < start { out.append((NormalizedText(items: Array(items[startOffset..<start])), nil)) }
            out.append((NormalizedText(items: Array(items[start..<stop])), token.id))
            startOffset = stop
            i = stop
        }
        if startOffset < items.count { out.append((NormalizedText(items: Array(items[startOffset...])), nil)) }
        return out
    }

    // MARK: Decoding

    /// The text of `ids` as the library's `decode(ids, skip_special_tokens=True)` gives it: special tokens left
    /// out, the other tokens' strings run through the decoder chain and joined (with spaces when there is none).
    func decode(_ ids: [Int]) throws -> String {
        var tokens: [String] = []
        for id in ids {
            if let token = addedByID[id] {
                if !token.special {
                    tokens.append(token.normalized ? String(String.UnicodeScalarView(token.match)) : token.content)
                }
                continue
            }
            guard let piece = model.piece(of: id) else { throw TokenizerError.unknownID(id) }
            tokens.append(piece)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.apply(tokens).joined()
    }

    func decodeBytes(_ ids: [Int]) throws -> [UInt8] { Array(try decode(ids).utf8) }

    func piece(for id: Int) throws -> String {
        if let token = addedByID[id] { return token.content }
        guard let piece = model.piece(of: id) else { throw TokenizerError.unknownID(id) }
        return piece
    }

    /// Streams each id's text as it decodes after other tokens (a `▁` is a space, a `<0xE2>` piece its byte, …);
    /// what the decoder does only at the very start (dropping the first `▁`, `Strip`) is left to ``decode(_:)``.
    func makeStreamingDecoder() -> StreamingDecoder {
        let count = vocabularySize
        var pieces = [[UInt8]?](repeating: nil, count: count)
        for id in 0..<count {
            if let token = addedByID[id] {
                pieces[id] = token.special ? [] : Array(token.content.utf8)
                continue
            }
            guard let piece = model.piece(of: id) else { continue }
            if let decoder, decoder.usesByteLevel {
                pieces[id] = ByteLevel.decode(piece) ?? Array(piece.utf8)
                continue
            }
            if let decoder, decoder.usesByteFallback, let b = byteOfToken(piece) {
                pieces[id] = [b]
                continue
            }
            let text = decoder.map { $0.streamingPiece(piece) } ?? " " + piece
            pieces[id] = Array(text.utf8)
        }
        return StreamingDecoder(pieces: pieces)
    }

    /// The file as it was read.
    func serialized() throws -> Data { try TokenizerFile.serialize(source) }
}

/// A scalar Rust's regex `\w` matches: alphabetic, a mark, a decimal digit, a connector punctuation or a joiner.
func isWordScalar(_ s: Unicode.Scalar) -> Bool {
    let p = s.properties
    if p.isAlphabetic || p.isJoinControl { return true }
    switch p.generalCategory {
    case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
    default: return false
    }
}

extension PipelineDecoder {
    /// Whether a `ByteFallback` decoder is in the chain.
    var usesByteFallback: Bool {
        switch self {
        case .byteFallback: return true
        case .sequence(let parts): return parts.contains { $0.usesByteFallback }
        default: return false
        }
    }

    /// Whether a `ByteLevel` decoder is in the chain.
    var usesByteLevel: Bool {
        switch self {
        case .byteLevel: return true
        case .sequence(let parts): return parts.contains { $0.usesByteLevel }
        default: return false
        }
    }

    /// The text one token decodes to in the middle of a text.
    func streamingPiece(_ token: String) -> String {
        switch self {
        case .sequence(let parts): return parts.reduce(token) { $1.streamingPiece($0) }
        case .metaspace(let replacement, _):
            return PipelineDecoder.metaspace(replacement: replacement, prependScheme: .never).apply([token])[0]
        case .strip, .fuse, .byteFallback: return token
        case .wordPiece(let prefix, _):
            return dropPrefix(prefix, of: token) ?? " " + token
        case .replace, .byteLevel: return apply([token]).joined()
        case .bpe(let suffix): return replaceBytes(suffix, with: " ", in: token)
        case .ctc: return apply([token]).joined()
        }
    }
}
