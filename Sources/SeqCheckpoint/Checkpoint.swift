import Foundation

/// Which of a run's two checkpoints: the most recent one, or the one with the lowest validation loss.
public enum CheckpointSlot: String, CaseIterable, Sendable {
    /// `runs/NAME/latest/`, written every `training.checkpointInterval` steps and at the end.
    case latest
    /// `runs/NAME/best/`, written whenever the validation loss reaches a new low.
    case best
}

/// The files of a checkpoint directory, the `state.json` and `manifest.json` it holds, and their strict readers.
///
/// ```
/// runs/NAME/latest/  config.json  tokenizer.json  model.safetensors  optimizer.safetensors  state.json  manifest.json
/// ```
/// ```swift
/// try Checkpoint.write(state, in: directory)
/// try Checkpoint.writeManifest(in: directory, corpusSHA256: corpusHash, tokenizerSHA256: tokenizerHash)
/// let manifest = try Checkpoint.verify(directory)  // every listed file present with its size and hash
/// ```
public enum Checkpoint {
    /// The resolved training config.
    public static let configFile = "config.json"
    /// The tokenizer, in the Hugging Face `tokenizer.json` format.
    public static let tokenizerFile = "tokenizer.json"
    /// Model parameters (safetensors).
    public static let modelFile = "model.safetensors"
    /// Optimizer moments (safetensors), same layout as the parameters.
    public static let optimizerFile = "optimizer.safetensors"
    /// Step counters, RNG states and data position (``State``).
    public static let stateFile = "state.json"
    /// Hashes and sizes of the other files (``Manifest``).
    public static let manifestFile = "manifest.json"
    /// Format of ``Manifest``; a reader refuses a larger number.
    public static let formatVersion = 1
    /// The SeqKit release that writes checkpoints, recorded in the manifest.
    public static let seqkitVersion = "0.1.0"
    /// A recurrent model's hidden state carried into the next window (safetensors), so a resumed run continues
    /// exactly; only in checkpoints of recurrent runs.
    public static let carriedFile = "carried.safetensors"
    /// The files every checkpoint holds and its manifest lists.
    public static let requiredFiles = [configFile, tokenizerFile, modelFile, optimizerFile, stateFile]
    /// Every name a manifest may list: ``requiredFiles`` and ``carriedFile``.
    static let checkpointFiles = Set(requiredFiles + [carriedFile])
    /// Largest `manifest.json` read: it lists six files, in a few hundred bytes.
    static let maximumManifestBytes = 1 << 20
    /// Largest `state.json` or `config.json` read outside a manifest's size bound.
    static let maximumJSONBytes = 16 << 20
    /// What to do about a checkpoint whose files do not match its manifest.
    package static let damagedFix =
        "the checkpoint is damaged; resume from the other checkpoint (latest/ or best/) or train again"

    /// Where a run stands, saved as `state.json` so a resumed run continues exactly.
    ///
    /// `{"bestValidationLoss": 1.52, "dataPosition": 0, "elapsedSeconds": 63.5, "evaluationsWithoutImprovement": 1,
    /// "rngStates": [42, 7], "step": 250, "tokensSeen": 192000}`
    public struct State: Codable, Equatable, Sendable {
        /// Optimizer steps completed.
        public var step: Int
        /// Training tokens consumed so far.
        public var tokensSeen: Int
        /// The state words of every random generator of the run, in a fixed order the trainer defines.
        public var rngStates: [UInt64]
        /// Position of the data sampler (next window or epoch offset).
        public var dataPosition: Int
        /// Lowest validation loss so far; nil before the first evaluation.
        public var bestValidationLoss: Double?
        /// Wall-clock seconds of training so far, across resumes.
        public var elapsedSeconds: Double
        /// Evaluations in a row without a better validation loss, the early-stopping patience count; a
        /// resumed run stops at the same evaluation as an uninterrupted one. 0 when a `state.json` lacks it.
        public var evaluationsWithoutImprovement: Int

        /// A state from its fields.
        public init(
            step: Int, tokensSeen: Int, rngStates: [UInt64], dataPosition: Int, bestValidationLoss: Double?,
            elapsedSeconds: Double, evaluationsWithoutImprovement: Int = 0
        ) {
            self.step = step
            self.tokensSeen = tokensSeen
            self.rngStates = rngStates
            self.dataPosition = dataPosition
            self.bestValidationLoss = bestValidationLoss
            self.elapsedSeconds = elapsedSeconds
            self.evaluationsWithoutImprovement = evaluationsWithoutImprovement
        }

        enum CodingKeys: String, CodingKey {
            case step, tokensSeen, rngStates, dataPosition, bestValidationLoss, elapsedSeconds
            case evaluationsWithoutImprovement
        }

        /// Decodes a `state.json`; one written before the patience count was recorded reads it as 0.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            step = try c.decode(Int.self, forKey: .step)
            tokensSeen = try c.decode(Int.self, forKey: .tokensSeen)
            rngStates = try c.decode([UInt64].self, forKey: .rngStates)
            dataPosition = try c.decode(Int.self, forKey: .dataPosition)
            bestValidationLoss = try c.decodeIfPresent(Double.self, forKey: .bestValidationLoss)
            elapsedSeconds = try c.decode(Double.self, forKey: .elapsedSeconds)
            evaluationsWithoutImprovement =
                try c.decodeIfPresent(Int.self, forKey: .evaluationsWithoutImprovement) ?? 0
        }

        /// Refuses values no run writes: a negative count, a time or loss that is negative or not finite, more
        /// evaluations than steps. The data position against the corpus is checked when a run resumes.
        ///
        /// `step: -5` → `runs/x/latest/state.json has 'step' -5, but a step count is 0 or more; the checkpoint
        /// is damaged; …`
        func check(path: String) throws {
            func refuse(_ key: String, _ value: String, _ rule: String) -> FileError {
                FileError(path: path, problem: "has '\(key)' \(value), but \(rule)", fix: Checkpoint.damagedFix)
            }
            if step < 0 { throw refuse("step", "\(step)", "a step count is 0 or more") }
            if tokensSeen < 0 { throw refuse("tokensSeen", "\(tokensSeen)", "a token count is 0 or more") }
            if dataPosition < 0 {
                throw refuse("dataPosition", "\(dataPosition)", "a position in the training tokens is 0 or more")
            }
            if let loss = bestValidationLoss, !(loss.isFinite && loss >= 0) {
                throw refuse("bestValidationLoss", "\(loss)", "a cross-entropy loss is finite and 0 or more")
            }
            if !(elapsedSeconds.isFinite && elapsedSeconds >= 0) {
                throw refuse("elapsedSeconds", "\(elapsedSeconds)", "a training time is finite and 0 or more")
            }
            if evaluationsWithoutImprovement < 0 || evaluationsWithoutImprovement > step {
                throw refuse(
                    "evaluationsWithoutImprovement", "\(evaluationsWithoutImprovement)",
                    "it counts evaluations, at most one per step (0...\(step))")
            }
        }
    }

    /// One file of a checkpoint as the manifest records it.
    public struct FileEntry: Codable, Equatable, Sendable {
        /// File name inside the checkpoint directory.
        public var name: String
        /// Size in bytes.
        public var size: Int
        /// SHA-256 of the contents, 64 lowercase hex digits.
        public var sha256: String

        /// An entry from its fields.
        public init(name: String, size: Int, sha256: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
        }
    }

    /// What a checkpoint holds and what it was trained on, saved as `manifest.json`.
    ///
    /// Resuming compares `corpusSHA256` and `tokenizerSHA256` with the current corpus and tokenizer.
    public struct Manifest: Codable, Equatable, Sendable {
        /// ``Checkpoint/formatVersion`` of the writer.
        public var formatVersion: Int
        /// ``Checkpoint/seqkitVersion`` of the writer.
        public var seqkitVersion: String
        /// SHA-256 of the corpus files, concatenated in the order the data loader reads them.
        public var corpusSHA256: String
        /// SHA-256 of `tokenizer.json`.
        public var tokenizerSHA256: String
        /// Every other file of the directory, sorted by name.
        public var files: [FileEntry]

        /// A manifest from its fields.
        public init(
            formatVersion: Int = Checkpoint.formatVersion, seqkitVersion: String = Checkpoint.seqkitVersion,
            corpusSHA256: String, tokenizerSHA256: String, files: [FileEntry]
        ) {
            self.formatVersion = formatVersion
            self.seqkitVersion = seqkitVersion
            self.corpusSHA256 = corpusSHA256
            self.tokenizerSHA256 = tokenizerSHA256
            self.files = files
        }
    }

    /// Writes `state.json` in `directory`.
    public static func write(_ state: State, in directory: URL) throws {
        try writeJSON(state, to: directory.appendingPathComponent(stateFile))
    }

    /// Reads `state.json` from `directory`; a missing, truncated or foreign file is a ``FileError`` naming it.
    ///
    /// The file is not checked against the manifest: ``CheckpointSnapshot`` does that for a whole checkpoint.
    public static func readState(in directory: URL) throws -> State {
        let folder = try CheckpointFolder(directory)
        defer { folder.release() }
        return try decodeState(folder.contents(of: stateFile, limit: maximumJSONBytes), path: folder.path(stateFile))
    }

    /// Decodes the bytes of a `state.json` read from `path` and checks that every value is possible (see
    /// ``State/check(path:)``).
    package static func decodeState(_ bytes: [UInt8], path: String) throws -> State {
        let state = try decodeJSON(State.self, Data(bytes), file: stateFile, path: path)
        try state.check(path: path)
        return state
    }

    /// Hashes every file of a checkpoint in `directory` (the fixed names that are present, the manifest aside)
    /// and writes `manifest.json`; returns what it wrote.
    ///
    /// Call it last, after the other files are complete.
    @discardableResult
    public static func writeManifest(in directory: URL, corpusSHA256: String, tokenizerSHA256: String) throws
        -> Manifest
    {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw FileError(
                path: directory.path, problem: "is not a directory",
                fix: "check that the checkpoint directory exists and is readable")
        }
        var files: [FileEntry] = []
        for name in checkpointFiles.sorted() {
            let url = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            files.append(FileEntry(name: name, size: try fileSize(url), sha256: try SHA256.hex(ofFileAt: url)))
        }
        let manifest = Manifest(corpusSHA256: corpusSHA256, tokenizerSHA256: tokenizerSHA256, files: files)
        try writeJSON(manifest, to: directory.appendingPathComponent(manifestFile))
        return manifest
    }

    /// Reads `manifest.json` from `directory`; a missing, truncated, foreign or too-new manifest is a ``FileError``.
    ///
    /// A directory with no manifest: `runs/x/latest is not a SeqKit checkpoint (no manifest.json); pass a
    /// directory written by seqtrain`. The files it lists are not read: ``verify(_:)`` does that.
    public static func readManifest(in directory: URL) throws -> Manifest {
        let folder = try CheckpointFolder(directory)
        defer { folder.release() }
        return try decodeManifest(
            folder.contents(of: manifestFile, limit: maximumManifestBytes), path: folder.path(manifestFile))
    }

    /// Decodes the bytes of a `manifest.json` read from `path`, refusing a format newer than this reader.
    static func decodeManifest(_ bytes: [UInt8], path: String) throws -> Manifest {
        let manifest = try decodeJSON(Manifest.self, Data(bytes), file: manifestFile, path: path)
        if manifest.formatVersion > formatVersion {
            throw FileError(
                path: path,
                problem: "has checkpoint format \(manifest.formatVersion), newer than this SeqKit reads "
                    + "(\(formatVersion); written by SeqKit \(manifest.seqkitVersion))",
                fix: "use SeqKit \(manifest.seqkitVersion) or newer")
        }
        return manifest
    }

    /// Checks that a manifest lists only files of a checkpoint, by their plain names, each once, every required
    /// one included, with a possible size and a SHA-256 of 64 hex digits.
    static func checkEntries(_ manifest: Manifest, path: String) throws {
        let known = checkpointFiles.sorted().joined(separator: ", ")
        var seen = Set<String>()
        for entry in manifest.files {
            let name = entry.name
            if name.contains("/") || name == "." || name == ".." || name.contains("\0") || name.isEmpty {
                throw FileError(
                    path: path, problem: "lists '\(name)', which is not a file name inside the checkpoint folder",
                    fix: "a manifest names only the checkpoint's own files (\(known)); " + damagedFix)
            }
            guard checkpointFiles.contains(name) else {
                throw FileError(
                    path: path, problem: "lists '\(name)', which is not a file of a SeqKit checkpoint",
                    fix: "a manifest names only the checkpoint's own files (\(known)); " + damagedFix)
            }
            guard seen.insert(name).inserted else {
                throw FileError(path: path, problem: "lists '\(name)' twice", fix: damagedFix)
            }
            guard entry.size >= 0 else {
                throw FileError(path: path, problem: "records \(entry.size) bytes for '\(name)'", fix: damagedFix)
            }
            guard entry.sha256.utf8.count == 64, entry.sha256.utf8.allSatisfy({ isLowerHexDigit($0) }) else {
                throw FileError(
                    path: path, problem: "records '\(entry.sha256)' as the SHA-256 of '\(name)', not 64 hex digits",
                    fix: damagedFix)
            }
        }
        if let missing = requiredFiles.first(where: { !seen.contains($0) }) {
            throw FileError(
                path: path, problem: "does not list \(missing), so it cannot be verified",
                fix: "every file of a checkpoint is listed with its size and SHA-256; " + damagedFix)
        }
    }

    /// Reads the manifest and checks that every file it lists is present with the recorded size and SHA-256.
    ///
    /// A changed byte in `model.safetensors` → `…/model.safetensors does not match manifest.json (SHA-256 …)`.
    /// The files are read through one handle on the directory (see ``CheckpointSnapshot``), so a checkpoint that
    /// the trainer replaces meanwhile is verified whole, the old one or the new one.
    @discardableResult
    public static func verify(_ directory: URL) throws -> Manifest {
        try CheckpointSnapshot(directory, keeping: []).manifest
    }
}

/// Encodes `value` as pretty, sorted JSON and writes it atomically to `url`.
func writeJSON<T: Encodable>(_ value: T, to url: URL) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = try encoder.encode(value)
    do {
        try data.write(to: url, options: .atomic)
    } catch {
        throw FileError(
            path: url.path, problem: "cannot be written (\(error.localizedDescription))",
            fix: "check free space and permissions of its folder")
    }
}

/// Decodes `data`, the contents of a checkpoint's `file` read from `path`, as `T`, telling a truncated file and a
/// foreign file apart.
func decodeJSON<T: Decodable>(_ type: T.Type, _ data: Data, file: String, path: String) throws -> T {
    guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
        throw FileError(
            path: path, problem: "is truncated or not JSON (\(data.count) bytes)", fix: Checkpoint.damagedFix)
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do {
        return try decoder.decode(T.self, from: data)
    } catch DecodingError.keyNotFound(let key, _) {
        throw FileError(
            path: path, problem: "is not a SeqKit \(file) (no '\(key.stringValue)' field)",
            fix: "pass a directory written by seqtrain")
    } catch {
        throw FileError(
            path: path, problem: "is not a SeqKit \(file) (a field has the wrong type)",
            fix: "pass a directory written by seqtrain")
    }
}

/// Whether `byte` is one of `0-9a-f`.
private func isLowerHexDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
}

/// The size in bytes of the file at `url`.
func fileSize(_ url: URL) throws -> Int {
    do {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes[.size] as? NSNumber)?.intValue ?? 0
    } catch {
        throw FileError(
            path: url.path, problem: "cannot be inspected (\(error.localizedDescription))", fix: "check its permissions"
        )
    }
}
