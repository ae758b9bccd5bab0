import Foundation
import SeqConfig

extension TrainingConfig {
    /// The keys a resumed run may change: how long and how fast it goes on, how often it evaluates, logs and
    /// saves, and where and with how many threads it runs. Anything else (the model, the data, the tokenizer, the
    /// optimizer's kind and moments, the seed) shaped the saved state, so changing it would not continue the run.
    static let resumableKeys: [String] = [
        "optimizer.learningRate", "schedule.", "training.maxSteps", "training.evalInterval",
        "training.checkpointInterval", "training.logInterval", "training.patience", "run.threads", "run.out",
        "data.cacheTokens", "data.cacheDir",
    ]

    /// This config (a checkpoint's) with what `requested` (the command line's config, `--set` and flags applied)
    /// changes among ``resumableKeys``; any other difference is a ``ConfigError`` naming the key, its two values
    /// and what to do instead.
    ///
    /// `try saved.resumed(with: requested)  // requested.training.maxSteps 4000 → the result's is 4000`
    public func resumed(with requested: TrainingConfig) throws -> TrainingConfig {
        var saved = try flattened()
        let wanted = try requested.flattened()
        for key in Set(saved.keys).union(wanted.keys).sorted() {
            let old = saved[key]
            let new = wanted[key]
            if Self.sameValue(key, old, new) { continue }
            if Self.resumableKeys.contains(where: { $0.hasSuffix(".") ? key.hasPrefix($0) : key == $0 }) {
                saved[key] = new
                continue
            }
            throw ConfigError.invalidValue(
                key: key,
                rule: "cannot change on a resumed run (it was \(Self.describe(old)), now \(Self.describe(new))); "
                    + "drop the change to continue the run, or start a new run with --config and another --out "
                    + "(--init-from takes its weights)")
        }
        return try Self.unflattened(saved)
    }

    /// Whether two values of `key` count as the same on a resume: equal JSON, a vocabulary size of 0 (taken from
    /// the tokenizer) against the saved size, or corpus paths naming the same files.
    static func sameValue(_ key: String, _ old: Any?, _ new: Any?) -> Bool {
        if let old = old as? NSObject, let new = new as? NSObject, old.isEqual(new) { return true }
        if old == nil && new == nil { return true }
        if key == "model.vocabSize", (new as? NSNumber)?.intValue == 0 { return true }
        if key == "data.corpus", let old = old as? [String], let new = new as? [String] {
            let absolute = { (paths: [String]) in paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path } }
            return absolute(old) == absolute(new)
        }
        return false
    }

    /// A value for a message: JSON text, or "unset".
    static func describe(_ value: Any?) -> String {
        guard let value else { return "unset" }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes, .sortedKeys]),
            let text = String(data: data, encoding: .utf8)
        else { return "\(value)" }
        return text
    }

    /// Every leaf of the resolved config by its dotted key (`"model.layers": 4`).
    func flattened() throws -> [String: Any] {
        guard let root = try JSONSerialization.jsonObject(with: Data(resolvedJSON().utf8)) as? [String: Any] else {
            return [:]
        }
        var leaves: [String: Any] = [:]
        func walk(_ object: [String: Any], _ prefix: String) {
            for (key, value) in object {
                if let section = value as? [String: Any] {
                    walk(section, prefix + key + ".")
                } else {
                    leaves[prefix + key] = value
                }
            }
        }
        walk(root, "")
        return leaves
    }

    /// The config whose leaves are `leaves` (the inverse of ``flattened()``).
    static func unflattened(_ leaves: [String: Any]) throws -> TrainingConfig {
        var root: [String: Any] = [:]
        for (key, value) in leaves {
            try applyOverride(key + "=" + describe(value), to: &root)
        }
        let data = try JSONSerialization.data(withJSONObject: root)
        return try decodeConfig(TrainingConfig.self, from: data, file: "the resumed config")
    }
}
