import Foundation

/// Turns text into token ids and back; what training, sampling and encoders see of a tokenizer.
///
/// ```swift
/// let tokenizer = try trainTokenizer(TokenizerOptions(kind: .bpe, vocabularySize: 512), corpus: bytes)
/// let ids = try tokenizer.encode("To be, or not to be")
/// try tokenizer.decode(ids)  // "To be, or not to be" (the normalized text)
/// ```
public protocol Tokenizer: Sendable {
    /// The number of ids: every id is in `0..<vocabularySize`.
    var vocabularySize: Int { get }
    /// Tokens matched whole in the input and never split or merged, with their ids, e.g. `["<|endoftext|>": 4095]`.
    var specialTokens: [String: Int] { get }
    /// The normalization applied before encoding, in order, e.g. `[.nfc]`.
    var normalization: [Normalization] { get }
    /// Normalizes `text` and returns its ids. `decode(encode(s)) == normalize(s)` for every string the vocabulary covers.
    func encode(_ text: String) throws -> [Int]
    /// Validates raw UTF-8 (an error naming the byte offset, or U+FFFD per the options), normalizes and encodes it.
    func encode(bytes: [UInt8]) throws -> [Int]
    /// Like ``encode(bytes:)``, with each token's byte range in `bytes`: `bytes[span.start..<span.end]`.
    func encodeWithOffsets(bytes: [UInt8]) throws -> [TokenSpan]
    /// The text of `ids`; throws ``TokenizerError/unknownID(_:)`` for an id outside the vocabulary.
    func decode(_ ids: [Int]) throws -> String
    /// The UTF-8 bytes of `ids` concatenated, with no repair of partial characters.
    func decodeBytes(_ ids: [Int]) throws -> [UInt8]
    /// The text of one id as the vocabulary shows it (byte-level pieces shown as in `tokenizer.json`).
    func piece(for id: Int) throws -> String
    /// A decoder that takes ids one at a time and returns only complete text.
    func makeStreamingDecoder() -> StreamingDecoder
    /// The `tokenizer.json` bytes ``save(to:)`` writes (what a checkpoint's manifest hashes).
    func serialized() throws -> Data
}

extension Tokenizer {
    /// Writes ``serialized()`` as `tokenizer.json` atomically (a temporary file renamed into place).
    public func save(to url: URL) throws { try writeAtomically(try serialized(), to: url) }
}

extension Tokenizer {
    /// The normalized form of `text`, the exact result of `decode(encode(text))` when the vocabulary covers it:
    /// special tokens are kept as they are and the text between them is normalized piece by piece.
    ///
    /// `try tokenizer.normalize("e\u{301}") == "\u{e9}"` with the default NFC.
    public func normalize(_ text: String) throws -> String {
        let pipeline =
            (self as? any PipelineTokenizer)?.pipeline
            ?? TextPipeline(normalization: normalization, specials: specialTokens, invalidUTF8: .error)
        var out = [UInt8]()
        try pipeline.run(Array(text.utf8), offsets: false) { segment in out.append(contentsOf: segment.text) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Like ``encodeWithOffsets(bytes:)`` for a `String`; ranges are in its UTF-8 bytes.
    ///
    /// `try tokenizer.encodeWithOffsets("héllo").map { $0.end - $0.start }` sums to 6.
    public func encodeWithOffsets(_ text: String) throws -> [TokenSpan] {
        try encodeWithOffsets(bytes: Array(text.utf8))
    }
}

/// A tokenizer that runs a ``TextPipeline`` before its model.
protocol PipelineTokenizer {
    var pipeline: TextPipeline { get }
}

/// One token and the bytes of the original input it came from: `input[start..<end]`.
///
/// `TokenSpan(id: 42, start: 0, end: 3)` is token 42 covering the first three bytes.
public struct TokenSpan: Sendable, Equatable, Hashable, Codable {
    /// The token id.
    public var id: Int
    /// The first byte of the original input the token covers.
    public var start: Int
    /// One past the last byte of the original input the token covers (`start == end` for inserted text).
    public var end: Int

    /// A token `id` covering `input[start..<end]`.
    public init(id: Int, start: Int, end: Int) {
        self.id = id
        self.start = start
        self.end = end
    }
}

/// What can go wrong while training, encoding, decoding, saving or loading a tokenizer.
///
/// ```swift
/// TokenizerError.invalidUTF8(offset: 7).description
/// // "invalid UTF-8 at byte offset 7; fix the input or set \"invalidUTF8\": \"replace\" to substitute U+FFFD"
/// ```
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The input is not valid UTF-8 from this byte offset on.
    case invalidUTF8(offset: Int)
    /// `tokenizer.json` is not JSON, or a field is missing, of the wrong type or of an unsupported kind.
    case malformedFile(field: String, reason: String)
    /// An id outside the vocabulary was given to decode.
    case unknownID(Int)
    /// Training was given a corpus with no text left after removing special tokens.
    case emptyCorpus
    /// An option breaks a rule, e.g. a vocabulary too small for the byte alphabet.
    case invalidOption(name: String, rule: String)
    /// The input has text the vocabulary cannot encode and the tokenizer has no `<unk>` or byte fallback.
    case unencodable(offset: Int)
    /// Reading or writing a file failed.
    case io(path: String, reason: String)

    /// One line naming the problem and what to do: `"token id 9 is not in the vocabulary; ..."`.
    public var description: String {
        switch self {
        case .invalidUTF8(let offset):
            return "invalid UTF-8 at byte offset \(offset); fix the input or set \"invalidUTF8\": \"replace\""
                + " to substitute U+FFFD"
        case .malformedFile(let field, let reason):
            return
                "tokenizer.json: field '\(field)' \(reason); use a file SeqKit reads (`seqtok train`, or a BPE,"
                + " Unigram or WordPiece file of the tokenizers library made of parts SeqKit knows)"
        case .unknownID(let id):
            return "token id \(id) is not in the vocabulary; decode only ids the same tokenizer produced"
        case .emptyCorpus:
            return "the training corpus has no text (after removing special tokens); give a non-empty corpus"
        case .invalidOption(let name, let rule):
            return "invalid tokenizer option '\(name)': \(rule)"
        case .unencodable(let offset):
            return "the text at byte offset \(offset) is not in the vocabulary and the tokenizer has no"
                + " <unk> or byte fallback; retrain with \"unknown\": \"byteFallback\""
        case .io(let path, let reason):
            return "cannot access \(path): \(reason)"
        }
    }
}

/// Trains a tokenizer of `options.kind` on a UTF-8 corpus.
///
/// ```swift
/// let corpus = Array(try Data(contentsOf: url))
/// let bpe = try trainTokenizer(TokenizerOptions(kind: .bpe, vocabularySize: 4096), corpus: corpus)
/// ```
public func trainTokenizer(_ options: TokenizerOptions, corpus: [UInt8]) throws -> any Tokenizer {
    try options.validate()
    switch options.kind {
    case .bpe: return try BPETrainer(options: options).train(corpus: corpus)
    case .char: return try CharTokenizer.train(options: options, corpus: corpus)
    }
}

/// Loads a `tokenizer.json` (invalid UTF-8 input to it then fails, or becomes U+FFFD with `.replace`): a BPE
/// (byte-level as GPT-2 and Llama 3, or over scalars as Llama 2), a Unigram (T5, ALBERT) or a WordPiece (BERT) file
/// of the tokenizers library, giving its ids, offsets and decodes, or a char tokenizer (`"type": "SeqKitChar"`).
/// A part SeqKit does not know is refused with one line naming it (`unsupported pre_tokenizer type 'X'`).
///
/// ```swift
/// let tokenizer = try loadTokenizer(from: URL(fileURLWithPath: "runs/tiny/tokenizer.json"))
/// ```
public func loadTokenizer(
    from url: URL, invalidUTF8: TokenizerOptions.InvalidUTF8Policy = .error, offsets: OffsetConvention = .exactBytes
) throws -> any Tokenizer {
    let data: Data
    do {
        data = try Data(contentsOf: url)
    } catch {
        throw TokenizerError.io(path: url.path, reason: error.localizedDescription)
    }
    return try loadTokenizer(json: data, invalidUTF8: invalidUTF8, offsets: offsets)
}

/// Where a token that covers only part of a multi-byte character says it starts and ends.
///
/// `東` as the byte tokens `<0xE6> <0x9D> <0xB1>`: `.exactBytes` gives 0..<1, 1..<2, 2..<3; `.wholeCharacters` gives
/// 0..<3 three times, as the tokenizers library does (aligners built on Hugging Face expect that).
public enum OffsetConvention: Sendable, Equatable {
    /// Each token covers exactly its own bytes of the input: SeqKit's convention, the default.
    case exactBytes
    /// A token covering part of a character covers the whole character, as the tokenizers library reports it
    /// (a Unigram byte-fallback token covers its whole run of unknown characters, as there).
    case wholeCharacters
}

/// Loads a tokenizer from the bytes of a `tokenizer.json`; see ``loadTokenizer(from:)``.
///
/// `try loadTokenizer(json: Data(contentsOf: url)).vocabularySize`
public func loadTokenizer(
    json data: Data, invalidUTF8: TokenizerOptions.InvalidUTF8Policy = .error, offsets: OffsetConvention = .exactBytes
) throws -> any Tokenizer {
    let file = try TokenizerFile(data: data)
    // A byte-level BPE file runs on SeqKit's fast byte-level path unless it uses a setting that path does not apply
    // (added-token flags, truncation, padding, trimmed offsets); then, like Unigram files and BPE files over
    // scalars (sentencepiece style), it runs part by part in HFPipelineTokenizer, which applies them all.
    // The fast path keeps exact bytes; the library's whole-character offsets come from the pipeline.
    let fastByteLevel =
        file.modelType == "BPE" && file.isByteLevelBPE && offsets == .exactBytes
        && (try? file.refuseUnappliedSettings()) != nil
    if file.modelType == "Unigram" || file.modelType == "WordLevel" || (file.modelType == "BPE" && !fastByteLevel) {
        return try HFPipelineTokenizer(file: file, invalidUTF8: invalidUTF8, offsets: offsets)
    }
    if file.modelType == "BPE" {
        // A part or option the fast path does not run (a Replace normalizer, a Sequence decoder, …) sends the
        // file part by part; any other problem is the fast path's to name.
        do {
            return try BPETokenizer(file: file, invalidUTF8: invalidUTF8)
        } catch TokenizerError.malformedFile(let field, _)
            where ["normalizer", "pre_tokenizer", "post_processor", "decoder"].contains(
                String(field.prefix { $0 != "." && $0 != "[" }))
            || ["model.byte_fallback", "model.continuing_subword_prefix", "model.end_of_word_suffix"].contains(field)
        {
            return try HFPipelineTokenizer(file: file, invalidUTF8: invalidUTF8, offsets: offsets)
        }
    }
    // A WordPiece file's truncation and padding are the encoder's to apply (sentence-transformers cuts at its own
    // max_seq_length and pads per batch, whatever the file says). BERT's own files run on WordPieceTokenizer; a
    // WordPiece file with other parts or added-token flags runs part by part.
    if file.modelType == "WordPiece" {
        let partFields = ["normalizer.type", "pre_tokenizer.type", "post_processor.type", "decoder.type"]
        if (try? file.refuseUnappliedSettings(lengths: false)) != nil {
            do {
                return try WordPieceTokenizer(file: file)
            } catch TokenizerError.malformedFile(let field, _) where partFields.contains(field) {}
        }
        return try HFPipelineTokenizer(file: file, invalidUTF8: invalidUTF8, offsets: offsets, applyLengths: false)
    }
    // A char tokenizer's file: every setting SeqKit ignores is refused.
    try file.refuseUnappliedSettings()
    switch file.modelType {
    case CharTokenizer.modelType: return try CharTokenizer(file: file, invalidUTF8: invalidUTF8)
    default:
        throw TokenizerError.malformedFile(
            field: "model.type",
            reason:
                "is '\(file.modelType)'; unsupported model type '\(file.modelType)' (SeqKit reads 'BPE', 'Unigram', "
                + "'WordPiece', 'WordLevel' and '\(CharTokenizer.modelType)')")
    }
}

/// Writes `data` to `url` through a temporary file in the same folder renamed into place.
func writeAtomically(_ data: Data, to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    do {
        try data.write(to: temporary)
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw TokenizerError.io(path: url.path, reason: reason)
        }
    } catch let error as TokenizerError {
        throw error
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw TokenizerError.io(path: url.path, reason: error.localizedDescription)
    }
}
