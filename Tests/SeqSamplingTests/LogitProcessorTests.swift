import Foundation
import SeqSampling
import SeqTensor
import Testing

/// Runs `processor` on a copy of `logits` with `history`.
func processed(_ processor: some LogitProcessor, _ logits: [Float], history: [Int] = []) -> [Float] {
    var row = logits
    row.withUnsafeMutableBufferPointer { processor.process($0, history: history) }
    return row
}

let masked = -Float.infinity

@Test func temperatureDividesEveryLogit() throws {
    #expect(processed(try Temperature(0.5), [2, -1, 0]) == [4, -2, 0])
    #expect(processed(try Temperature(2), [2, -1, 0.5]) == [1, -0.5, 0.25])
    #expect(processed(try Temperature(1), [3, 1]) == [3, 1])
}

@Test func topKKeepsTheKLargestAndTies() throws {
    #expect(processed(try TopK(2), [1, 3, 2, 0]) == [masked, 3, 2, masked])
    #expect(processed(try TopK(1), [0.5, -1, 0.7, 0.6]) == [masked, masked, 0.7, masked])
    #expect(processed(try TopK(3), [5, 1, 1, 1, 0]) == [5, 1, 1, 1, masked])  // ties with the 3rd kept
    #expect(processed(try TopK(9), [1, 2]) == [1, 2])
    // Against a sort, on a longer row with a few ks.
    var rng = SeededGenerator(seed: 9)
    let row = (0..<200).map { _ in rng.nextNormal() }
    for k in [1, 2, 7, 50, 199] {
        let threshold = row.sorted(by: >)[k - 1]
        let expected = row.map { $0 >= threshold ? $0 : masked }
        #expect(processed(try TopK(k), row) == expected, "k = \(k)")
    }
}

@Test func topPKeepsTheSmallestNucleus() throws {
    // π = [0.5, 0.3, 0.2] (logits are their logs).
    let logits = [0.5, 0.3, 0.2].map { Float(log($0)) }
    #expect(processed(try TopP(0.7), logits) == [logits[0], logits[1], masked])
    #expect(processed(try TopP(0.45), logits) == [logits[0], masked, masked])
    #expect(processed(try TopP(0.4), logits) == [logits[0], masked, masked])  // the top token always stays
    #expect(processed(try TopP(0.85), logits) == logits)
    #expect(processed(try TopP(1), logits) == logits)
    // Order in the row does not matter: π = [0.1, 0.6, 0.3], p = 0.8 keeps 0.6 and 0.3.
    let shuffled = [0.1, 0.6, 0.3].map { Float(log($0)) }
    #expect(processed(try TopP(0.8), shuffled) == [masked, shuffled[1], shuffled[2]])
}

@Test func minPDropsTokensBelowAFractionOfTheBest() throws {
    // π = [0.6, 0.3, 0.1]: minP 0.4 → threshold 0.24 keeps the first two; 0.6 keeps only the first.
    let logits = [0.6, 0.3, 0.1].map { Float(log($0)) }
    #expect(processed(try MinP(0.4), logits) == [logits[0], logits[1], masked])
    #expect(processed(try MinP(0.6), logits) == [logits[0], masked, masked])
    #expect(processed(try MinP(0), logits) == logits)
}

@Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeOncePerToken() throws {
    let penalty = try RepetitionPenalty(2, window: 3)
    // Tokens 0 and 1 are in the last 3 of the history (1 twice, penalised once); 2 left the window.
    #expect(processed(penalty, [4, -1, 3, 5], history: [2, 0, 1, 1]) == [2, -2, 3, 5])
    #expect(processed(try RepetitionPenalty(2, window: 64), [4, -1, 3], history: [0, 1, 1]) == [2, -2, 3])
    // Repeated calls reuse the scratch marks: a second call sees a clean slate.
    #expect(processed(penalty, [4, -1, 3, 5], history: [3]) == [4, -1, 3, 2.5])
}

@Test func presenceAndFrequencyPenaltiesSubtractPerTokenAndPerOccurrence() throws {
    let history = [3, 2, 2, 0, 2]  // window 4: [2, 2, 0, 2]
    #expect(processed(try PresencePenalty(0.5, window: 4), [1, 1, 1, 1], history: history) == [0.5, 1, 0.5, 1])
    #expect(processed(try FrequencyPenalty(0.5, window: 4), [1, 1, 1, 1], history: history) == [0.5, 1, -0.5, 1])
    #expect(processed(try FrequencyPenalty(0.5, window: 5), [1, 1, 1, 1], history: history) == [0.5, 1, -0.5, 0.5])
}

@Test func pipelineAppliesPenaltiesThenTemperatureThenMasks() throws {
    var options = GenerationOptions()
    options.repetitionPenalty = 2
    options.temperature = 0.5
    options.topK = 2
    let pipeline = try LogitPipeline(options: options)
    // Penalty: [4, 1, 3] → [2, 1, 3] (token 0 seen); temperature → [4, 2, 6]; top-2 → [4, -∞, 6].
    #expect(processed(pipeline, [4, 1, 3], history: [0]) == [4, masked, 6])
    // Penalty after temperature would have given [4, 2, 6] → [2, ...]: the order matters and is fixed.
    #expect(pipeline.processors.count == 3)
}

@Test func categoricalSamplingFollowsTheSoftmax() throws {
    let logits: [Float] = [0, log(2), log(5), -.infinity]  // π = [1/8, 2/8, 5/8, 0]
    var rng = SeededGenerator(seed: 11)
    var counts = [0, 0, 0, 0]
    let draws = 40_000
    for _ in 0..<draws {
        var row = logits
        counts[row.withUnsafeMutableBufferPointer { Sampler.categorical.choose($0, rng: &rng) }] += 1
    }
    let expected = [1.0 / 8, 2.0 / 8, 5.0 / 8, 0]
    for i in 0..<4 {
        // 4 standard deviations of a binomial proportion at these sizes is under 0.01.
        #expect(abs(Double(counts[i]) / Double(draws) - expected[i]) < 0.01, "token \(i): \(counts)")
    }
    #expect(counts[3] == 0)
    var row: [Float] = [0.2, 0.9, 0.9, -1]
    #expect(row.withUnsafeMutableBufferPointer { Sampler.greedy.choose($0, rng: &rng) } == 1)
}

@Test func settingsOutOfRangeAreOneLineErrors() throws {
    #expect(
        throws: SamplingError.invalidSetting(
            name: "temperature", value: "0.0", rule: "must be > 0 and finite (use greedy for argmax decoding)")
    ) {
        try Temperature(0)
    }
    #expect(throws: SamplingError.invalidSetting(name: "top-k", value: "0", rule: "must be ≥ 1")) { try TopK(0) }
    #expect(throws: SamplingError.invalidSetting(name: "top-p", value: "1.5", rule: "must be in (0, 1]")) {
        try TopP(1.5)
    }
    #expect(throws: SamplingError.invalidSetting(name: "top-p", value: "0.0", rule: "must be in (0, 1]")) {
        try TopP(0)
    }
    #expect(throws: SamplingError.invalidSetting(name: "min-p", value: "1.0", rule: "must be in [0, 1)")) {
        try MinP(1)
    }
    #expect(throws: SamplingError.self) { try RepetitionPenalty(0, window: 4) }
    #expect(throws: SamplingError.self) { try PresencePenalty(1, window: 0) }

    func message(_ change: (inout GenerationOptions) -> Void) -> String? {
        var options = GenerationOptions()
        change(&options)
        do {
            try options.validate(vocabSize: 10)
            return nil
        } catch { return "\(error)" }
    }
    let cases: [(String, (inout GenerationOptions) -> Void)] = [
        (
            "greedy contradicts temperature 0.7",
            {
                $0.greedy = true; $0.temperature = 0.7
            }
        ),
        (
            "greedy contradicts top-k",
            {
                $0.greedy = true; $0.topK = 5
            }
        ),
        ("beams = 0 is invalid", { $0.beams = 0 }),
        (
            "beams 3 contradicts temperature",
            {
                $0.beams = 3; $0.temperature = 0.9
            }
        ),
        (
            "beams 3 contradicts top-p",
            {
                $0.beams = 3; $0.topP = 0.9
            }
        ),
        (
            "beams 2 contradicts greedy",
            {
                $0.beams = 2; $0.greedy = true
            }
        ),
        ("stop token = 10 is invalid", { $0.stopTokens = [10] }),
        ("max tokens = -1 is invalid", { $0.maxTokens = -1 }),
        ("temperature = -1.0 is invalid", { $0.temperature = -1 }),
    ]
    for (prefix, change) in cases {
        let text = message(change)
        #expect(text?.hasPrefix(prefix) == true, "\(text ?? "no error")")
        #expect(text?.contains("\n") == false)
    }
    #expect(
        message {
            $0.greedy = true; $0.repetitionPenalty = 1.2
        } == nil)  // penalties change the argmax
    #expect(
        message {
            $0.beams = 4; $0.lengthPenalty = 0.6
        } == nil)
}
