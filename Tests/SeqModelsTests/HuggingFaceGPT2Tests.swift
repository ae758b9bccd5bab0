import Foundation
import SeqAutograd
import SeqConfig
import SeqNN
import SeqTensor
import Testing
import _SeqTestSupport

@testable import SeqModels

/// A tiny random `GPT2LMHeadModel` written by `transformers` (Tests/Fixtures/make_hf_fixtures.py): its logits for
/// two sequences of 9 ids, and the 50 ids its greedy `generate` appends to a 5-id prompt.
@Test func gpt2MatchesTransformersLogitsAndGreedyGeneration() throws {
    let gpt2 = try HuggingFaceGPT2(folder: fixtureURL("hf/gpt2_tiny"))
    #expect(gpt2.config.activation == .geluTanh && gpt2.config.tieWeights && gpt2.config.contextLength == 64)
    let file = try SafeTensorsFile(contentsOf: fixtureURL("hf/gpt2_tiny_outputs.safetensors"))
    let (ids, expected) = (try file.ints("input_ids"), try file.floats("logits"))  // (2, 9), (2, 9, 101)
    let (logits, _) = withoutGradients { gpt2.model.forward(ids, batch: 2, state: nil, context: .evaluation()) }
    let got = logits.value.toArray()
    let worst = zip(got, expected).map { abs($0 - $1) }.max()!
    #expect(worst < 1e-4, "max |SeqKit − transformers| logit difference \(worst)")

    let prompt = try file.ints("prompt")
    let greedy = try file.ints("greedy")
    let decoder = gpt2.model.makeDecoder(batch: 1)
    var next = decoder.prefill(prompt, time: prompt.count)
    var generated: [Int] = []
    for _ in 0..<50 {
        let token = (0..<next.count).max { next[$0] < next[$1] }!
        generated.append(token)
        next = decoder.step([token])
    }
    #expect(generated == greedy)
}

@Test func gpt2ConfigRefusesWhatSeqKitDoesNotRun() throws {
    let base: [String: Any] = [
        "model_type": "gpt2", "vocab_size": 11, "n_positions": 8, "n_embd": 8, "n_layer": 1, "n_head": 2,
    ]
    func message(_ change: (inout [String: Any]) -> Void) -> String {
        var root = base
        change(&root)
        do {
            _ = try HuggingFaceGPT2.config(
                json: try JSONSerialization.data(withJSONObject: root), file: "g/config.json")
            return "accepted"
        } catch {
            return "\(error)"
        }
    }
    #expect(message { _ in } == "accepted")
    #expect(message { $0["activation_function"] = "relu" }.contains("'relu' in g/config.json is not supported"))
    #expect(message { $0["scale_attn_by_inverse_layer_idx"] = true }.contains("scale_attn_by_inverse_layer_idx"))
    #expect(message { $0["n_inner"] = 12 }.contains("n_inner"))
    #expect(message { $0.removeValue(forKey: "n_head") }.contains("n_head"))
}
