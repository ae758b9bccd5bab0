import Foundation
import SeqConfig
import SeqModels

extension TrainingConfig {
    /// What a checkpoint's config.json without `model.activation` was trained with: the key came after the
    /// first checkpoints, whose transformer MLP used GELU's tanh approximation, while a new config without the
    /// key gets the exact GELU.
    static let activationOfOlderCheckpoints = Activation.geluTanh

    /// Decodes a checkpoint's `config.json` (the resolved config of the run that wrote it) as
    /// ``decode(_:file:overrides:)`` does, then reads a `model.activation` that neither the file nor an override
    /// sets as ``activationOfOlderCheckpoints``; does not validate.
    ///
    /// `{"model": {"kind": "transformer"}}` → `model.activation == .geluTanh`, where ``decode(_:file:overrides:)``
    /// gives `.gelu`.
    public static func decodeCheckpointConfig(_ bytes: Data, file: String, overrides: [String] = []) throws
        -> TrainingConfig
    {
        // The strict decoder reads the bytes as written, so its errors point into the file itself.
        var config = try decode(bytes, file: file, overrides: overrides)
        if !setsModelKey(ModelConfig.CodingKeys.activation.stringValue, in: bytes, overrides: overrides) {
            config.model.activation = activationOfOlderCheckpoints
        }
        return config
    }

    /// Whether config JSON that decoded, with `overrides` applied, has `model.<key>`.
    static func setsModelKey(_ key: String, in bytes: Data, overrides: [String]) -> Bool {
        guard var root = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else { return false }
        for text in overrides { try? applyOverride(text, to: &root) }
        return (root["model"] as? [String: Any])?[key] != nil
    }
}
