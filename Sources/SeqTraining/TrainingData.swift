import Foundation
import SeqCheckpoint
import SeqConfig
import SeqTokenizers

/// What a run trains on, prepared before the loop exists: the corpus, the tokenizer (a checkpoint's, or trained
/// on the corpus), its `tokenizer.json` bytes and hash (saved with and checked against checkpoints), and the corpus
/// as token ids split into training and validation parts. The loop itself only sees ids.
struct TrainingData {
    let corpus: Corpus
    let tokenizer: any Tokenizer
    let tokenizerJSON: Data
    let tokenizerSHA256: String
    let ids: TokenizedCorpus

    /// Reads `config.data.corpus`; takes the tokenizer of the checkpoint `tokenizerFrom` or trains one; when
    /// `resuming` names a checkpoint, refuses a corpus or tokenizer other than the one it was trained on; fills
    /// `config.model.vocabSize` when 0 (and refuses one that differs from the tokenizer's); tokenizes (through
    /// the token cache).
    init(config: inout TrainingConfig, tokenizerFrom source: URL?, resuming: URL?, log: (String) -> Void) throws {
        corpus = try Corpus(patterns: config.data.corpus)
        if let source {
            tokenizer = try loadTokenizer(from: source.appendingPathComponent(Checkpoint.tokenizerFile))
        } else {
            let started = Date()
            do {
                tokenizer = try trainTokenizer(config.tokenizer, corpus: corpus.bytes)
            } catch let error as TokenizerError {
                throw FileError(
                    path: corpus.files.map(\.path).joined(separator: ", "),
                    problem: "cannot train a tokenizer: \(error)",
                    fix: "fix the text or the tokenizer section of the config")
            }
            log(
                "trained a \(config.tokenizer.kind.rawValue) tokenizer of \(tokenizer.vocabularySize) tokens in "
                    + String(format: "%.2f s", Date().timeIntervalSince(started)))
        }
        tokenizerJSON = try tokenizer.serialized()
        tokenizerSHA256 = SHA256.hex(of: tokenizerJSON)

        if let resuming {
            let manifest = try Checkpoint.verify(resuming)
            guard manifest.corpusSHA256 == corpus.sha256 else {
                throw TrainingError.changedInput(what: "corpus", checkpoint: resuming.path)
            }
            guard manifest.tokenizerSHA256 == tokenizerSHA256 else {
                throw TrainingError.changedInput(what: "tokenizer", checkpoint: resuming.path)
            }
        }

        if config.model.vocabSize == 0 { config.model.vocabSize = tokenizer.vocabularySize }
        guard config.model.vocabSize == tokenizer.vocabularySize else {
            throw ConfigError.invalidValue(
                key: "model.vocabSize",
                rule: "is \(config.model.vocabSize) but the tokenizer has \(tokenizer.vocabularySize) tokens; "
                    + "set it to 0 to take the tokenizer's")
        }
        ids = try TokenizedCorpus(
            corpus, tokenizer: tokenizer, tokenizerSHA256: tokenizerSHA256,
            validationFraction: config.data.validationFraction, cache: config.data.cacheTokens,
            cacheDirectory: config.data.cacheDirectory, log: log)
    }
}
