import Foundation
import SeqAutograd
import SeqConfig
import SeqNN

/// A Keras-style table of a model: each layer with its output shape and parameter count, the totals,
/// and the memory training will take at a given batch and context.
///
/// ```swift
/// print(model.summary(batch: 12))
/// // layer                     output shape        parameters
/// // transformer.wte           (12, 64, 128)            8,320
/// // …
/// ```
public struct ModelSummary: CustomStringConvertible, Sendable {
    /// One line of the table.
    public struct Row: Sendable, Equatable {
        /// Dotted name prefix of the layer's parameters.
        public let layer: String
        /// What the layer is.
        public let kind: String
        /// Shape of its output for the summary's batch and context.
        public let outputShape: [Int]
        /// Trainable values it owns.
        public let parameters: Int
    }

    /// The layers in forward order.
    public let rows: [Row]
    /// Every trainable value.
    public let totalParameters: Int
    /// Values the optimizer updates (all of them: SeqKit freezes nothing).
    public let trainableParameters: Int
    /// Bytes of the parameters (Float32).
    public let parameterBytes: Int
    /// Bytes of their gradients.
    public let gradientBytes: Int
    /// Bytes of AdamW's two moments.
    public let optimizerBytes: Int
    /// Estimated bytes of the activations kept for the backward pass of one step.
    public let activationBytes: Int
    /// Batch and context the shapes and activations are for.
    public let batch: Int, context: Int

    public var description: String {
        func number(_ n: Int) -> String {
            let f = NumberFormatter()
            f.numberStyle = .decimal
            f.usesGroupingSeparator = true
            f.groupingSeparator = ","
            return f.string(from: NSNumber(value: n)) ?? "\(n)"
        }
        func bytes(_ n: Int) -> String {
            n >= 1 << 30
                ? String(format: "%.2f GiB", Double(n) / Double(1 << 30))
                : String(format: "%.2f MiB", Double(n) / Double(1 << 20))
        }
        func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
            let count = s.count
            if count >= width { return s }
            let fill = String(repeating: " ", count: width - count)
            return right ? fill + s : s + fill
        }
        let shape = { (s: [Int]) in "(" + s.map(String.init).joined(separator: ", ") + ")" }
        var lines = [pad("layer", 28) + pad("kind", 36) + pad("output shape", 18) + pad("parameters", 12, right: true)]
        lines.append(String(repeating: "─", count: 94))
        for row in rows {
            lines.append(
                pad(row.layer, 28) + pad(row.kind, 36) + pad(shape(row.outputShape), 18)
                    + pad(number(row.parameters), 12, right: true))
        }
        lines.append(String(repeating: "─", count: 94))
        lines.append("total parameters: \(number(totalParameters)) (trainable: \(number(trainableParameters)))")
        lines.append(
            "memory at batch \(batch), context \(context): parameters \(bytes(parameterBytes)), gradients "
                + "\(bytes(gradientBytes)), AdamW moments \(bytes(optimizerBytes)), activations ≈ \(bytes(activationBytes))"
        )
        return lines.joined(separator: "\n")
    }
}

extension LanguageModel {
    /// Parameters whose names start with `prefix` followed by a dot, or equal it.
    func parameterCount(under prefix: String) -> Int {
        arena.slots.filter { $0.name == prefix || $0.name.hasPrefix(prefix + ".") }.reduce(0) { $0 + $1.count }
    }

    /// The layer table and memory estimate for training at `batch` rows of `context` tokens
    /// (default: the config's context length).
    public func summary(batch: Int, context: Int? = nil) -> ModelSummary {
        let (b, t) = (batch, context ?? config.contextLength)
        let (v, c, h, n) = (config.vocabSize, config.embeddingSize, config.resolvedHiddenSize, config.layers)
        var rows: [ModelSummary.Row] = []
        if config.kind == .transformer {
            rows.append(
                .init(
                    layer: "transformer.wte", kind: "Embedding(\(v) × \(c))", outputShape: [b, t, c],
                    parameters: parameterCount(under: "transformer.wte")))
            if config.positional == .learned {
                rows.append(
                    .init(
                        layer: "transformer.wpe", kind: "Embedding(\(config.contextLength) × \(c))",
                        outputShape: [t, c], parameters: parameterCount(under: "transformer.wpe")))
            }
            for i in 0..<n {
                rows.append(
                    .init(
                        layer: "transformer.h.\(i)", kind: "Block(heads \(config.heads), MLP ×\(config.mlpRatio))",
                        outputShape: [b, t, c], parameters: parameterCount(under: "transformer.h.\(i)")))
            }
            rows.append(
                .init(
                    layer: "transformer.ln_f", kind: "LayerNorm(\(c))", outputShape: [b, t, c],
                    parameters: parameterCount(under: "transformer.ln_f")))
            rows.append(
                .init(
                    layer: "lm_head",
                    kind: config.tieWeights ? "Linear(\(c) → \(v)), tied to wte" : "Linear(\(c) → \(v))",
                    outputShape: [b, t, v], parameters: parameterCount(under: "lm_head")))
        } else {
            rows.append(
                .init(
                    layer: "embedding", kind: "Embedding(\(v) × \(c))", outputShape: [b, t, c],
                    parameters: parameterCount(under: "embedding")))
            rows.append(
                .init(
                    layer: "rnn", kind: "\(config.kind)(\(c) → \(h)) × \(n) layers", outputShape: [b, t, h],
                    parameters: parameterCount(under: "rnn")))
            rows.append(
                .init(
                    layer: "head",
                    kind: config.tieWeights ? "Linear(\(h) → \(v)), tied to embedding" : "Linear(\(h) → \(v))",
                    outputShape: [b, t, v], parameters: parameterCount(under: "head")))
        }
        // The same estimate that refuses a config too large for the machine (see ModelConfig.trainingMemory).
        var sized = config
        sized.contextLength = t
        let estimate = sized.trainingMemory(batch: b, optimizerMoments: 2)
        let activations = checkedSum([
            estimate.bytes(of: "activations"), estimate.bytes(of: "logits"), estimate.bytes(of: "batch windows"),
        ])
        let total = arena.count
        return ModelSummary(
            rows: rows, totalParameters: total, trainableParameters: total, parameterBytes: 4 * total,
            gradientBytes: 4 * total, optimizerBytes: 8 * total, activationBytes: activations ?? Int.max,
            batch: b, context: t)
    }
}
