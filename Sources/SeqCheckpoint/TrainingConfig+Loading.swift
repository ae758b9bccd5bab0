import Foundation
import SeqConfig
import SeqModels

extension TrainingConfig {
    /// Reads a config file, applies `key.path=value` overrides to its JSON tree, decodes and validates it.
    ///
    /// An override's value is read as a JSON literal when it is one (`3e-4`, `true`, `["a.txt"]`), else as a
    /// string (`runs/x`). An override whose path names no field is the same unknown-key error as in the file.
    /// An empty `run.out` becomes `runs/NAME`, NAME being the file's name without `.json`. With `resolvingPaths`,
    /// relative `data.corpus` paths of the file are taken from the file's folder (so a config works from any
    /// working directory) and become absolute; paths given by an override stay relative to the working directory,
    /// as the shell that typed them sees them. A checkpoint's `config.json` is read with `resolvingPaths: false`
    /// and `checkpoint: true` (a missing key means what the run that wrote it did: ``decodeCheckpointConfig``).
    /// ```swift
    /// let config = try TrainingConfig.load(from: URL(fileURLWithPath: "Configs/tiny-gpt.json"),
    ///                                      overrides: ["training.maxSteps=100", "run.seed=7"])
    /// ```
    public static func load(
        from url: URL, overrides: [String] = [], resolvingPaths: Bool = true, checkpoint: Bool = false
    ) throws -> TrainingConfig {
        let path = url.relativePath  // as the user typed it
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FileError(
                path: path, problem: "does not exist",
                fix: "check the path, or start from one of the files in Configs/ (e.g. Configs/tiny-gpt.json)")
        }
        if isDirectory.boolValue {
            throw FileError(path: path, problem: "is a folder, not a config file", fix: "pass the path of a .json file")
        }
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url)
        } catch {
            throw FileError(
                path: path, problem: "cannot be read (\(error.localizedDescription))",
                fix: "check its permissions and run again")
        }
        let name = url.deletingPathExtension().lastPathComponent
        var config =
            try checkpoint
            ? decodeCheckpointConfig(bytes, file: path, overrides: overrides)
            : decode(bytes, file: path, overrides: overrides)
        if config.run.out.isEmpty { config.run.out = "runs/\(name)" }
        let corpusOverridden = overrides.contains { $0.hasPrefix("data.corpus=") || $0.hasPrefix("data=") }
        if resolvingPaths && !corpusOverridden {
            let folder = url.deletingLastPathComponent()
            config.data.corpus = config.data.corpus.map { pattern in
                pattern.hasPrefix("/") || pattern.hasPrefix("~")
                    ? pattern : folder.appendingPathComponent(pattern).standardizedFileURL.path
            }
        }
        try config.validate()
        return config
    }

    /// Decodes config JSON after applying `key.path=value` overrides; does not validate.
    ///
    /// `try TrainingConfig.decode(Data("{}".utf8), file: "c.json", overrides: ["model.layers=2"]).model.layers == 2`
    public static func decode(_ bytes: Data, file: String, overrides: [String] = []) throws -> TrainingConfig {
        guard !overrides.isEmpty else { return try decodeConfig(TrainingConfig.self, from: bytes, file: file) }
        let tree: Any
        do {
            tree = try JSONSerialization.jsonObject(with: bytes)
        } catch {
            // Let the strict decoder word the syntax error.
            return try decodeConfig(TrainingConfig.self, from: bytes, file: file)
        }
        guard var root = tree as? [String: Any] else {
            throw ConfigError.malformed(file: file, reason: "the top level should be an object { ... }")
        }
        // Mistakes in the file itself are reported against the file alone.
        _ = try decodeConfig(TrainingConfig.self, from: bytes, file: file)
        // Each override is decoded as soon as it is applied, so a mistake is reported against the flag that made it.
        var config = TrainingConfig()
        for text in overrides {
            let path = try applyOverride(text, to: &root)
            let patched = try JSONSerialization.data(withJSONObject: root)
            do {
                config = try decodeConfig(TrainingConfig.self, from: patched, file: "--set \(text)")
            } catch ConfigError.wrongType(_, let key, let expected) where key == path {
                throw ConfigError.override(text: text, reason: overrideAdvice(key: key, expected: expected, text: text))
            }
        }
        return config
    }

    /// The override list for the run-level command-line options, in the order they should apply (`--set` last).
    ///
    /// `overrideList(maxSteps: 100, seed: nil, out: "runs/a", threads: nil)`
    /// `== ["training.maxSteps=100", "run.out=\"runs/a\""]`
    public static func overrideList(
        maxSteps: Int? = nil, seed: UInt64? = nil, out: String? = nil, threads: Int? = nil, set: [String] = []
    ) -> [String] {
        var list: [String] = []
        if let maxSteps { list.append("training.maxSteps=\(maxSteps)") }
        if let seed { list.append("run.seed=\(seed)") }
        if let out { list.append("run.out=\(jsonString(out))") }
        if let threads { list.append("run.threads=\(threads)") }
        return list + set
    }

    /// The config as pretty JSON with sorted keys and every field: what is printed at start and saved in a run.
    ///
    /// Decoding it gives back an equal config: `try TrainingConfig.decode(Data(c.resolvedJSON().utf8), file: "")`.
    public func resolvedJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Validated configs hold only finite numbers; the strategy keeps an unvalidated one printable.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(self), let text = String(data: data, encoding: .utf8) else {
            return "{}"
        }
        return text
    }
}

/// Sets `root[a][b][c] = value` for an override `a.b.c=value`, creating missing sections as objects.
/// Returns the dotted key path it set.
@discardableResult
func applyOverride(_ text: String, to root: inout [String: Any]) throws -> String {
    guard let equals = text.firstIndex(of: "=") else {
        throw ConfigError.invalidValue(
            key: text, rule: "an override is key.path=value, e.g. optimizer.learningRate=3e-4")
    }
    let path = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
    let keys = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    if path.isEmpty || keys.contains(where: \.isEmpty) {
        throw ConfigError.invalidValue(
            key: text, rule: "an override is key.path=value with a dotted path, e.g. training.batchSize=32")
    }
    let value = parseOverrideValue(String(text[text.index(after: equals)...]))
    try setValue(value, at: keys[...], in: &root, prefix: [])
    return path
}

/// What to write instead of an override whose value has the wrong type, in command-line terms.
///
/// `overrideAdvice(key: "data.corpus", expected: "a list of strings", text: "data.corpus=x.txt")`
/// `== "data.corpus takes a list of strings; write --set 'data.corpus=[\"x.txt\"]'"`
func overrideAdvice(key: String, expected: String, text: String) -> String {
    let raw = text.split(separator: "=", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
    let example: String
    switch expected {
    case "a list", "a list of strings": example = "[\(jsonString(raw))]"
    case "a whole number": example = "12"
    case "a number": example = "0.001"
    case "true or false": example = "true"
    case "a string": example = jsonString(raw)
    default: return "\(key) takes \(expected)"
    }
    return "\(key) takes \(expected); write --set '\(key)=\(example)'"
}

/// The JSON value of an override: a JSON literal when the text is one, else the text as a string.
func parseOverrideValue(_ text: String) -> Any {
    if let value = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) {
        return value
    }
    return text
}

private func setValue(_ value: Any, at keys: ArraySlice<String>, in object: inout [String: Any], prefix: [String])
    throws
{
    guard let key = keys.first else { return }
    if keys.count == 1 {
        object[key] = value
        return
    }
    var child: [String: Any]
    switch object[key] {
    case nil: child = [:]
    case let existing as [String: Any]: child = existing
    default:
        let at = (prefix + [key]).joined(separator: ".")
        throw ConfigError.invalidValue(
            key: at, rule: "is a value, not a section, so '\(keys.joined(separator: "."))' cannot be set under it")
    }
    try setValue(value, at: keys.dropFirst(), in: &child, prefix: prefix + [key])
    object[key] = child
}

/// `s` as a JSON string literal: `jsonString("a\"b") == "\"a\\\"b\""`.
func jsonString(_ s: String) -> String {
    guard
        let data = try? JSONSerialization.data(
            withJSONObject: s, options: [.fragmentsAllowed, .withoutEscapingSlashes]),
        let text = String(data: data, encoding: .utf8)
    else { return "\"\"" }
    return text
}
