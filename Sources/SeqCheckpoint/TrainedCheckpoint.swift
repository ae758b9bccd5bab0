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
    ///
    /// Every file is read once, through one handle on the directory, and checked against the manifest before any
    /// is parsed, so a checkpoint that `seqtrain` replaces meanwhile is read whole (see ``CheckpointSnapshot``).
    /// Weights that are NaN or infinite are refused (``ParameterLoadError/nonFinite(file:name:count:)``).
    /// A Hugging Face GPT-2 folder (``HuggingFaceGPT2``, with its byte-level BPE `tokenizer.json`) reads too: its
    /// config becomes the model section of a default ``TrainingConfig``, its state is step 0, and its manifest
    /// names no corpus.
    public init(path: URL, prefer: CheckpointSlot = .best) throws {
        if HuggingFaceGPT2.isModel(at: path) {
            let gpt2 = try HuggingFaceGPT2(folder: path)
            let tokenizerURL = path.appendingPathComponent(Checkpoint.tokenizerFile)
            do {
                tokenizer = try loadTokenizer(from: tokenizerURL)
            } catch {
                throw FileError(
                    path: tokenizerURL.path, problem: "cannot be loaded: \(error)",
                    fix: "put the tokenizer.json the model was published with beside config.json")
            }
            guard tokenizer.vocabularySize <= gpt2.config.vocabSize else {
                throw FileError(
                    path: tokenizerURL.path,
                    problem: "has \(tokenizer.vocabularySize) ids for a model of \(gpt2.config.vocabSize)",
                    fix: "use the tokenizer.json the model was published with")
            }
            var config = TrainingConfig()
            config.model = gpt2.config
            (directory, self.config, model) = (path, config, gpt2.model)
            state = Checkpoint.State(
                step: 0, tokensSeen: 0, rngStates: [], dataPosition: 0, bestValidationLoss: nil, elapsedSeconds: 0)
            manifest = Checkpoint.Manifest(
                corpusSHA256: "", tokenizerSHA256: SHA256.hex(of: try tokenizer.serialized()), files: [])
            return
        }
        let directory = try TrainedCheckpoint.locate(path, prefer: prefer)
        self.directory = directory
        let snapshot = try CheckpointSnapshot(
            directory,
            keeping: [Checkpoint.configFile, Checkpoint.tokenizerFile, Checkpoint.modelFile, Checkpoint.stateFile])
        manifest = snapshot.manifest
        config = try snapshot.config()
        tokenizer = try snapshot.tokenizer()
        guard tokenizer.vocabularySize == config.model.vocabSize else {
            throw FileError(
                path: directory.path,
                problem: "has a tokenizer of \(tokenizer.vocabularySize) ids for a model of \(config.model.vocabSize)",
                fix: "the checkpoint is damaged or mixed from two runs; use another one")
        }
        model = try makeModel(config.model, seed: config.run.seed)
        try model.load(from: try snapshot.safeTensors(Checkpoint.modelFile))
        state = try Checkpoint.decodeState(
            try snapshot.bytes(Checkpoint.stateFile), path: snapshot.path(Checkpoint.stateFile))
    }

    /// The checkpoint directory `path` names.
    public static func locate(_ path: URL, prefer: CheckpointSlot) throws -> URL {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path.path, isDirectory: &isDirectory) else {
            throw FileError(
                path: path.path, problem: "does not exist",
                fix: "pass a run directory written by seqtrain, or a Hugging Face model folder")
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
