import Foundation
import SeqAutograd
import SeqConfig
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

@testable import SeqModels

/// Tiny random `BertModel`s written by `transformers` (Tests/Fixtures/make_hf_fixtures.py) and their last hidden
/// states for three sequences of 7, 3 and 5 tokens, right-padded, one with token types 1.
@Test(arguments: ["bert_tiny", "bert_tiny_gelu_new"])
func bertMatchesTransformers(name: String) throws {
    let model = try BertModel(folder: fixtureURL("hf/\(name)"))
    #expect(model.configuration.activation == (name.hasSuffix("gelu_new") ? .tanh : .exact))
    let file = try SafeTensorsFile(contentsOf: fixtureURL("hf/\(name)_outputs.safetensors"))
    let (ids, types, mask) = (
        try file.ints("input_ids"), try file.ints("token_type_ids"), try file.ints("attention_mask")
    )
    let hidden = try file.floats("hidden")  // (3, 7, 32)
    let (batch, time, c) = (3, 7, 32)
    var sequences: [[Int]] = []
    var typeIDs: [[Int]] = []
    for b in 0..<batch {
        let n = (0..<time).filter { mask[b * time + $0] == 1 }.count
        sequences.append(Array(ids[(b * time)..<(b * time + n)]))
        typeIDs.append(Array(types[(b * time)..<(b * time + n)]))
    }
    let packed = model.infer(sequences, typeIDs: typeIDs).toArray()  // (15, 32)
    let graph = withoutGradients { model.encode(sequences, typeIDs: typeIDs, context: .evaluation()).value.toArray() }
    var row = 0
    var worst: Float = 0
    var worstGraph: Float = 0
    for (b, sequence) in sequences.enumerated() {
        for t in 0..<sequence.count {
            for j in 0..<c {
                let expected = hidden[(b * time + t) * c + j]
                worst = max(worst, abs(packed[row * c + j] - expected))
                worstGraph = max(worstGraph, abs(graph[row * c + j] - expected))
            }
            row += 1
        }
    }
    #expect(worst < 1e-4, "\(name): max |SeqKit − transformers| = \(worst)")
    #expect(worstGraph < 1e-4, "\(name) through the graph: \(worstGraph)")
    // Token types matter: without them the second sequence's states move.
    let untyped = model.infer([sequences[1]]).toArray()
    let typed = model.infer([sequences[1]], typeIDs: [typeIDs[1]]).toArray()
    #expect(zip(untyped, typed).map { abs($0 - $1) }.max()! > 1e-2)
}

/// The graph-free pass packs its weights once; it must agree with the graph at a width that is no multiple of the
/// 16-column panels, and see weights that training (through the graph) or a direct write changed.
@Test func inferenceFollowsTheWeightsAtAnyWidth() throws {
    let json = Data(
        (#"{"vocab_size": 13, "hidden_size": 12, "num_hidden_layers": 2, "num_attention_heads": 3, "#
            + #""intermediate_size": 20, "max_position_embeddings": 9, "type_vocab_size": 2}"#).utf8)
    let model = BertModel(try BertConfiguration(json: json, file: "config.json"), seed: 5)
    let sequences = [[1, 4, 7, 2], [3, 5]]
    func gap() -> Float {
        let packed = model.infer(sequences).toArray()
        let graph = withoutGradients { model.encode(sequences, context: .evaluation()).value.toArray() }
        return zip(packed, graph).map { abs($0 - $1) }.max()!
    }
    #expect(gap() < 1e-5)
    let before = model.infer(sequences).toArray()
    let weight = model.blocks[1].intermediate.weight.value
    for i in 0..<weight.count { weight.pointer[i] *= 2 }
    model.weightsChanged()
    let after = model.infer(sequences).toArray()
    #expect(zip(before, after).map { abs($0 - $1) }.max()! > 1e-3)
    #expect(gap() < 1e-5)
    // A write without weightsChanged() is picked up after the next pass through the graph (training's path).
    for i in 0..<weight.count { weight.pointer[i] *= 0.5 }
    _ = withoutGradients { model.encode(sequences, context: .evaluation()) }
    #expect(zip(before, model.infer(sequences).toArray()).map { abs($0 - $1) }.max()! < 1e-6)
}

@Test func bertGradientsMatchFiniteDifferences() throws {
    let json = Data(
        (#"{"vocab_size": 13, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2, "#
            + #""intermediate_size": 16, "max_position_embeddings": 9, "type_vocab_size": 2, "hidden_act": "gelu"}"#)
            .utf8)
    let model = BertModel(try BertConfiguration(json: json, file: "config.json"), seed: 3)
    // Larger weights than BERT's 0.02 so every path carries a gradient the check can see; query and key weights
    // larger still, so attention is far from uniform and their gradients well above float32's rounding.
    var rng = SeededGenerator(seed: 4)
    for slot in model.arena.slots {
        let scale: Float = slot.name.contains(".query.weight") || slot.name.contains(".key.weight") ? 3 : 1
        let value = model.arena.value(of: slot)
        for i in 0..<slot.count { value.pointer[i] = (rng.nextUniform() - 0.5) * scale }
    }
    let sequences = [[1, 5, 7, 2], [3, 12]]
    let targets = GradientCheckTarget.parameters(of: model.arena)
    // A key bias adds q·b to every score of a query alike, which softmax cancels: its gradient is zero.
    let results = checkGradients(
        targets.filter { !$0.name.hasSuffix(".key.bias") }, step: 1e-2, maxCoordinates: 12,
        zeroGradients: model.arena.zeroGradients
    ) {
        model.encode(sequences, context: ForwardContext.evaluation())
    }
    for r in results {
        // Query and key gradients of a post-norm block are small (about 1e-3 here), near the float32 rounding of
        // the finite difference; a transposed or misplaced head still misses by far more than 10%.
        let attentionScores = r.name.contains(".query.") || r.name.contains(".key.")
        #expect(r.relativeError < (attentionScores ? 1e-1 : 1e-2), "\(r)")
    }
    for slot in model.arena.slots where slot.name.hasSuffix(".key.bias") {
        #expect(model.arena.gradient(of: slot).toArray().allSatisfy { abs($0) < 1e-4 }, "\(slot.name)")
    }
}

@Test func bertConfigurationRefusesWhatItCannotRun() throws {
    let base: [String: Any] = [
        "vocab_size": 13, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
        "intermediate_size": 16, "max_position_embeddings": 9, "type_vocab_size": 2,
    ]
    func message(_ change: (inout [String: Any]) -> Void) -> String {
        var root = base
        change(&root)
        let data = try! JSONSerialization.data(withJSONObject: root)
        do {
            _ = try BertConfiguration(json: data, file: "m/config.json")
            return "accepted"
        } catch {
            return "\(error)"
        }
    }
    #expect(message { _ in } == "accepted")
    #expect(message { $0["hidden_act"] = "relu" }.contains("'relu' in m/config.json is not supported"))
    #expect(message { $0["num_attention_heads"] = 3 }.contains("not a multiple of num_attention_heads"))
    #expect(message { $0.removeValue(forKey: "vocab_size") }.contains("vocab_size"))
    #expect(message { $0["position_embedding_type"] = "relative_key" }.contains("relative_key"))
}
