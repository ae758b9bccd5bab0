import Foundation

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
    public static func readState(in directory: URL) throws -> State {
        try readJSON(State.self, file: stateFile, in: directory)
    }

    /// Hashes every file of `directory` except the manifest and writes `manifest.json`; returns what it wrote.
    ///
    /// Call it last, after the other files are complete.
    @discardableResult
    public static func writeManifest(in directory: URL, corpusSHA256: String, tokenizerSHA256: String) throws
        -> Manifest
    {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw FileError(
                path: directory.path, problem: "cannot be listed (\(error.localizedDescription))",
                fix: "check that the checkpoint directory exists and is readable")
        }
        var files: [FileEntry] = []
        for name in names.sorted() where name != manifestFile {
            let url = directory.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            files.append(FileEntry(name: name, size: try fileSize(url), sha256: try SHA256.hex(ofFileAt: url)))
        }
        let manifest = Manifest(corpusSHA256: corpusSHA256, tokenizerSHA256: tokenizerSHA256, files: files)
        try writeJSON(manifest, to: directory.appendingPathComponent(manifestFile))
        return manifest
    }

    /// Reads `manifest.json` from `directory`; a missing, truncated, foreign or too-new manifest is a ``FileError``.
    ///
    /// A directory with no manifest: `runs/x/latest is not a SeqKit checkpoint (no manifest.json); pass a
    /// directory written by seqtrain`.
    public static func readManifest(in directory: URL) throws -> Manifest {
        let manifest = try readJSON(Manifest.self, file: manifestFile, in: directory)
        if manifest.formatVersion > formatVersion {
            throw FileError(
                path: directory.appendingPathComponent(manifestFile).path,
                problem: "has checkpoint format \(manifest.formatVersion), newer than this SeqKit reads "
                    + "(\(formatVersion); written by SeqKit \(manifest.seqkitVersion))",
                fix: "use SeqKit \(manifest.seqkitVersion) or newer")
        }
        return manifest
    }

    /// Reads the manifest and checks that every file it lists is present with the recorded size and SHA-256.
    ///
    /// A changed byte in `model.safetensors` → `…/model.safetensors does not match manifest.json (SHA-256 …)`.
    @discardableResult
    public static func verify(_ directory: URL) throws -> Manifest {
        let manifest = try readManifest(in: directory)
        let damaged = "the checkpoint is damaged; resume from the other checkpoint (latest/ or best/) or train again"
        for entry in manifest.files {
            let url = directory.appendingPathComponent(entry.name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw FileError(path: url.path, problem: "is listed in manifest.json but missing", fix: damaged)
            }
            let size = try fileSize(url)
            if size != entry.size {
                throw FileError(
                    path: url.path, problem: "has \(size) bytes but manifest.json records \(entry.size)", fix: damaged)
            }
            let hash = try SHA256.hex(ofFileAt: url)
            if hash != entry.sha256 {
                throw FileError(
                    path: url.path, problem: "does not match manifest.json (SHA-256 \(hash), recorded \(entry.sha256))",
                    fix: damaged)
            }
        }
        return manifest
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

/// Reads `directory/file` as `T`, telling a missing directory, a missing file, a truncated file and a foreign file
/// apart.
func readJSON<T: Decodable>(_ type: T.Type, file: String, in directory: URL) throws -> T {
    let url = directory.appendingPathComponent(file)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
    else {
        throw FileError(
            path: directory.path, problem: "is not a directory",
            fix: "pass a checkpoint directory written by seqtrain, such as runs/NAME/latest")
    }
    guard FileManager.default.fileExists(atPath: url.path) else {
        throw FileError(
            path: directory.path, problem: "is not a SeqKit checkpoint (no \(file))",
            fix: "pass a directory written by seqtrain")
    }
    let data: Data
    do {
        data = try Data(contentsOf: url)
    } catch {
        throw FileError(
            path: url.path, problem: "cannot be read (\(error.localizedDescription))", fix: "check its permissions")
    }
    let damaged = "the checkpoint is damaged; resume from the other checkpoint (latest/ or best/) or train again"
    guard (try? JSONSerialization.jsonObject(with: data)) != nil else {
        throw FileError(path: url.path, problem: "is truncated or not JSON (\(data.count) bytes)", fix: damaged)
    }
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    do {
        return try decoder.decode(T.self, from: data)
    } catch DecodingError.keyNotFound(let key, _) {
        throw FileError(
            path: url.path, problem: "is not a SeqKit \(file) (no '\(key.stringValue)' field)",
            fix: "pass a directory written by seqtrain")
    } catch {
        throw FileError(
            path: url.path, problem: "is not a SeqKit \(file) (a field has the wrong type)",
            fix: "pass a directory written by seqtrain")
    }
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
