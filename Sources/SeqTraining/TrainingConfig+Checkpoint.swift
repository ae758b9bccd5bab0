import Foundation
import SeqConfig
import SeqModels

extension TrainingConfig {
    /// Model keys added after checkpoints were first written, with the value a checkpoint that lacks the key was
    /// trained with: before `model.activation` existed the transformer's MLP used GELU's tanh approximation,
    /// while a new config without the key gets the exact GELU.
    static let checkpointModelDefaults: [String: String] = ["activation": Activation.geluTanh.rawValue]

    /// Decodes a checkpoint's `config.json` (the resolved config of the run that wrote it), reading a missing
    /// key of ``checkpointModelDefaults`` as the behaviour that run had; does not validate.
    ///
    /// `{"model": {"kind": "transformer"}}` → `model.activation == .geluTanh`, where ``decode(_:file:overrides:)``
    /// gives `.gelu`.
    public static func decodeCheckpointConfig(_ bytes: Data, file: String, overrides: [String] = []) throws
        -> TrainingConfig
    {
        try decode(withCheckpointDefaults(bytes), file: file, overrides: overrides)
    }

    /// `bytes` with each missing key of ``checkpointModelDefaults`` added to the `model` section; unchanged when
    /// the text is not a JSON object (the strict decoder then words the error against the original).
    static func withCheckpointDefaults(_ bytes: Data) -> Data {
        guard var root = (try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any] else { return bytes }
        let present = root["model"]
        guard present == nil || present is [String: Any] else { return bytes }  // the decoder reports the type
        var model = present as? [String: Any] ?? [:]
        for (key, value) in checkpointModelDefaults where model[key] == nil { model[key] = value }
        root["model"] = model
        return (try? JSONSerialization.data(withJSONObject: root)) ?? bytes
    }
}
