import Foundation
import SeqModels
import SeqTokenizers

/// A checkpoint read back: its config, tokenizer, model and state, verified against its manifest.
///
/// `path` may be a checkpoint directory itself or a run directory, whose `best/` (else `latest/`) is used.
///
/// ```swift
/// let trained = try TrainedCheckpoint(path: URL(fileURLWithPath: "runs/tiny-gpt"))
/// let ids = try trained.tokenizer.encode("ROMEO:")
/// ```
public struct TrainedCheckpoint {
    /// The checkpoint directory that was read.
    public let directory: URL
    /// The resolved config it was trained with.
    public let config: TrainingConfig
    /// Its tokenizer.
    public let tokenizer: any Tokenizer
    /// Its model, with the saved weights.
    public let model: any LanguageModel
    /// Where training stood.
    public let state: Checkpoint.State
    /// Hashes of the corpus and files.
    public let manifest: Checkpoint.Manifest

    /// Reads and verifies a checkpoint; `prefer` picks the slot of a run directory.
    public init(path: URL, prefer: CheckpointSlot = .best) throws {
        let directory = try TrainedCheckpoint.locate(path, prefer: prefer)
        self.directory = directory
        manifest = try Checkpoint.verify(directory)
        config = try TrainingConfig.load(from: directory.appendingPathComponent(Checkpoint.configFile))
        do {
            tokenizer = try loadTokenizer(from: directory.appendingPathComponent(Checkpoint.tokenizerFile))
        } catch let error as TokenizerError {
            throw FileError(
                path: directory.appendingPathComponent(Checkpoint.tokenizerFile).path,
                problem: "cannot be loaded: \(error)", fix: "the checkpoint is damaged; use another one")
        }
        guard tokenizer.vocabularySize == config.model.vocabSize else {
            throw FileError(
                path: directory.path,
                problem: "has a tokenizer of \(tokenizer.vocabularySize) ids for a model of \(config.model.vocabSize)",
                fix: "the checkpoint is damaged or mixed from two runs; use another one")
        }
        model = try makeModel(config.model, seed: config.run.seed)
        try model.load(from: directory.appendingPathComponent(Checkpoint.modelFile))
        state = try Checkpoint.readState(in: directory)
    }

    /// The checkpoint directory `path` names.
    public static func locate(_ path: URL, prefer: CheckpointSlot) throws -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw FileError(path: path.path, problem: "does not exist", fix: "pass a run directory written by seqtrain")
        }
        guard isDirectory.boolValue else {
            throw FileError(path: path.path, problem: "is a file", fix: "pass the run or checkpoint directory")
        }
        if fm.fileExists(atPath: path.appendingPathComponent(Checkpoint.manifestFile).path) { return path }
        let order: [CheckpointSlot] = prefer == .best ? [.best, .latest] : [.latest, .best]
        for slot in order {
            let candidate = path.appendingPathComponent(slot.rawValue)
            if fm.fileExists(atPath: candidate.appendingPathComponent(Checkpoint.manifestFile).path) {
                return candidate
            }
        }
        throw FileError(
            path: path.path, problem: "is not a SeqKit checkpoint (no manifest.json, no best/ or latest/)",
            fix: "pass a directory written by seqtrain")
    }
}
