import Foundation
import SeqAutograd
import SeqConfig
import SeqTensor

/// A Hugging Face `GPT2LMHeadModel` folder (`config.json` with `model_type` "gpt2", `model.safetensors`) as a
/// SeqKit ``TransformerLM``: GPT-2 is the architecture nanoGPT and SeqKit's transformer share (pre-norm blocks,
/// learned positions, biases, a head tied to the token embedding), under the same parameter names; GPT-2 stores
/// its four projections as `Conv1D` weights, (in, out), which are transposed into SeqKit's (out, in).
///
/// ```swift
/// let gpt2 = try HuggingFaceGPT2(folder: URL(fileURLWithPath: "Models/gpt2"))
/// let decoder = gpt2.model.makeDecoder(batch: 1)
/// ```
public struct HuggingFaceGPT2 {
    /// The model config the folder's `config.json` describes.
    public let config: ModelConfig
    /// The model with the folder's weights.
    public let model: any LanguageModel

    /// Whether `folder` holds a Hugging Face GPT-2 model (`config.json` with `model_type` "gpt2").
    public static func isModel(at folder: URL) -> Bool {
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("config.json")),
            let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return false }
        return root["model_type"] as? String == "gpt2"
    }

    /// Reads `config.json` into a ``ModelConfig``; a setting SeqKit does not run (another activation, a separate
    /// head, scaled or reordered attention) is an error naming the key and the file.
    public static func config(json: Data, file: String) throws -> ModelConfig {
        guard let root = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw ConfigError.invalidValue(key: file, rule: "is not a JSON object; it should be a GPT-2 config.json")
        }
        func count(_ key: String) throws -> Int {
            guard let value = root[key] as? Int, value > 0 else {
                throw ConfigError.invalidValue(key: key, rule: "must be a positive integer in \(file)")
            }
            return value
        }
        var config = ModelConfig()
        config.kind = .transformer
        config.vocabSize = try count("vocab_size")
        config.contextLength = try count("n_positions")
        config.embeddingSize = try count("n_embd")
        config.layers = try count("n_layer")
        config.heads = try count("n_head")
        let inner = (root["n_inner"] as? Int) ?? 4 * config.embeddingSize
        guard inner % config.embeddingSize == 0 else {
            throw ConfigError.invalidValue(
                key: "n_inner", rule: "\(inner) in \(file) is not a multiple of n_embd; SeqKit's MLP is a whole ratio")
        }
        config.mlpRatio = inner / config.embeddingSize
        config.bias = true
        config.positional = .learned
        config.dropout = 0
        config.tieWeights = (root["tie_word_embeddings"] as? Bool) ?? true
        switch (root["activation_function"] as? String) ?? "gelu_new" {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": config.activation = .geluTanh
        case "gelu": config.activation = .gelu
        case let other:
            throw ConfigError.invalidValue(
                key: "activation_function",
                rule: "'\(other)' in \(file) is not supported; SeqKit runs gelu and gelu_new")
        }
        let epsilon = (root["layer_norm_epsilon"] as? Double) ?? 1e-5
        guard abs(epsilon - 1e-5) < 1e-9 else {
            throw ConfigError.invalidValue(
                key: "layer_norm_epsilon", rule: "\(epsilon) in \(file) is not supported; SeqKit's layer norm uses 1e-5"
            )
        }
        for key in ["scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"] where (root[key] as? Bool) == true {
            throw ConfigError.invalidValue(key: key, rule: "true in \(file) is not supported")
        }
        if (root["scale_attn_weights"] as? Bool) == false {
            throw ConfigError.invalidValue(key: "scale_attn_weights", rule: "false in \(file) is not supported")
        }
        try config.validateForLanguageModel()
        return config
    }

    /// Loads the folder: the config, then every weight by name (`transformer.` prefix optional), transposing the
    /// `Conv1D` projections; a missing or mis-shaped tensor is an error naming it, and a separate `lm_head.weight`
    /// of a tied model must equal the token embedding.
    public init(folder: URL) throws {
        let configURL = folder.appendingPathComponent("config.json")
        guard let json = try? Data(contentsOf: configURL) else {
            throw ConfigError.invalidValue(
                key: configURL.path, rule: "cannot be read; a Hugging Face model folder holds config.json")
        }
        config = try Self.config(json: json, file: configURL.path)
        model = try makeModel(config, seed: 0)
        let weightsURL = folder.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(contentsOf: weightsURL)
        let name = weightsURL.lastPathComponent
        let prefix = file.tensors["transformer.wte.weight"] != nil ? "" : "transformer."
        let conv1D = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]
        let arena = model.arena
        // Decoded into a scratch copy first, so a bad file leaves the model as it was.
        let scratch = TensorStorage(capacity: arena.count, zeroed: false)
        for slot in arena.slots {
            let source =
                slot.name.hasPrefix("transformer.") && !prefix.isEmpty
                ? String(slot.name.dropFirst(prefix.count)) : slot.name
            guard let info = file.tensors[source] else {
                throw ParameterLoadError.missing(file: name, name: source)
            }
            let transposed = conv1D.contains { slot.name.hasSuffix($0) }
            let expected = transposed ? [slot.shape[1], slot.shape[0]] : slot.shape
            guard info.shape == expected else {
                throw ParameterLoadError.shapeMismatch(file: name, name: source, expected: expected, found: info.shape)
            }
            let values = try file.floats(source)
            let bad = values.filter { !$0.isFinite }.count
            if bad > 0 { throw ParameterLoadError.nonFinite(file: name, name: source, count: bad) }
            let out = scratch.base + slot.offset
            if transposed {
                let (rows, columns) = (slot.shape[0], slot.shape[1])  // SeqKit (out, in) from GPT-2's (in, out)
                for r in 0..<rows { for c in 0..<columns { out[r * columns + c] = values[c * rows + r] } }
            } else {
                out.update(from: values, count: values.count)
            }
        }
        if config.tieWeights, file.tensors["lm_head.weight"] != nil {
            let head = try file.floats("lm_head.weight")
            let table = try file.floats(prefix.isEmpty ? "transformer.wte.weight" : "wte.weight")
            guard head == table else {
                throw ConfigError.invalidValue(
                    key: "tie_word_embeddings",
                    rule: "is true but \(name) holds an lm_head.weight that differs from wte; set it to false")
            }
        }
        arena.values.base.update(from: scratch.base, count: arena.count)
    }
}
