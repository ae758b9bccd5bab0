import SeqModels
import SeqSampling
import Testing

/// `NoRepeatNgram`'s bans worked out by hand, and beam search that honours them.
@Suite struct NoRepeatNgramTests {
    @Test func bansAreTheTokensThatFollowedTheTail() throws {
        let bigram = try NoRepeatNgram(2)
        // Tail 5; earlier 5s were followed by 7 and 1.
        #expect(bigram.bannedTokens([5, 7, 2, 5, 1, 5], vocabSize: 9) == [7, 1])
        // Tail 3 never seen before: nothing banned.
        #expect(bigram.bannedTokens([5, 7, 3], vocabSize: 9) == [])
        let trigram = try NoRepeatNgram(3)
        // Tail (1, 2) occurs at 0 (then 3) and at 3 (then 4); (2, 3) does not count.
        #expect(trigram.bannedTokens([1, 2, 3, 1, 2, 4, 1, 2], vocabSize: 9) == [3, 4])
        // History shorter than n − 1: nothing to repeat yet.
        #expect(trigram.bannedTokens([1], vocabSize: 9) == [])
        // n = 1 bans every token already seen.
        #expect(try NoRepeatNgram(1).bannedTokens([4, 0, 4], vocabSize: 9) == [0, 4])
        // Ids outside the row are ignored.
        #expect(bigram.bannedTokens([5, 12, 5], vocabSize: 9) == [])
    }

    @Test func processorMasksBannedLogitsButNeverAll() throws {
        let bigram = try NoRepeatNgram(2)
        #expect(processed(bigram, [1, 2, 3, 4], history: [2, 1, 2]) == [1, masked, 3, 4])
        #expect(processed(bigram, [1, 2, 3, 4], history: [2, 1, 2, 3, 2]) == [1, masked, 3, masked])
        // Every token would repeat: the row is left as it is rather than leaving nothing to choose.
        #expect(processed(try NoRepeatNgram(1), [1, 2], history: [0, 1]) == [1, 2])
        #expect(throws: SamplingError.self) { try NoRepeatNgram(0) }
    }

    /// Whether `tokens` holds the same n tokens in a row twice.
    func repeatsAnNgram(_ tokens: [Int], _ n: Int) -> Bool {
        guard tokens.count >= n else { return false }
        var seen = Set<[Int]>()
        for i in 0...(tokens.count - n) where !seen.insert(Array(tokens[i..<(i + n)])).inserted { return true }
        return false
    }

    @Test(arguments: [tinyConfig(.transformer), tinyConfig(.gru)])
    func beamSearchNeverRepeatsAnNgram(config: ModelConfig) throws {
        // Over a vocabulary of 7 there are 49 bigrams and 343 trigrams, so 10 and 30 new tokens can avoid
        // repeating them without every token being banned (the prompt counts too).
        let model = try makeModel(config, seed: 31)
        let generator = Generator(model: model)
        let prompt = [1, 3, 1]
        for n in [2, 3, 4] {
            let maxTokens = n == 2 ? 10 : 30
            let result = try generator.beamSearch(prompt: prompt, beams: 4, maxTokens: maxTokens, noRepeatNgram: n)
            #expect(result.best.tokens.count == maxTokens)
            for hypothesis in result.hypotheses {
                #expect(!repeatsAnNgram(prompt + hypothesis.tokens, n), "n = \(n): \(prompt + hypothesis.tokens)")
            }
            // Through generate(), as seqsample calls it.
            var options = GenerationOptions()
            options.beams = 4
            options.maxTokens = maxTokens
            options.noRepeatNgram = n
            #expect(try generator.generate(prompt: prompt, options: options).tokens == result.best.tokens)
        }
    }

    @Test func tokenLengthsReachBeamSearchThroughGenerate() throws {
        // Token 0 stands for many characters: per-character normalisation changes which hypothesis wins
        // when the raw sums are close, and generate() must pass the lengths on to give the same answer.
        let model = try makeModel(tinyConfig(.transformer), seed: 32)
        let generator = Generator(model: model)
        let lengths = [40, 1, 1, 1, 1, 1, 1]
        let direct = try generator.beamSearch(prompt: [2], beams: 3, maxTokens: 6, tokenLengths: lengths)
        var options = GenerationOptions()
        options.beams = 3
        options.maxTokens = 6
        options.tokenLengths = lengths
        let through = try generator.generate(prompt: [2], options: options)
        #expect(through.tokens == direct.best.tokens)
        let perToken = try generator.beamSearch(prompt: [2], beams: 3, maxTokens: 6)
        #expect(direct.best.tokens != perToken.best.tokens, "lengths should change the best hypothesis here")
    }
}
