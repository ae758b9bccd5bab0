import RealModule
import SeqModels
import SeqTensor

/// The hypotheses beam search ends with, best first.
public struct BeamSearchResult: Sendable, Equatable {
    /// Finished and still-running hypotheses ranked by `Σ log p / n^lengthPenalty`, best first (`n` in tokens,
    /// or in characters when the search was given token lengths).
    public var hypotheses: [GeneratedSequence]
    /// Their length-normalised scores, in the same order.
    public var scores: [Double]

    /// The top hypothesis.
    public var best: GeneratedSequence { hypotheses.first ?? GeneratedSequence() }
}

extension Generator {
    /// Beam search on the incremental decoder: `beams` hypotheses run as one batch; each step every
    /// hypothesis is extended by every token, the `2·beams` best extensions by length-normalised score are
    /// kept, those ending in a stop token become finished hypotheses (scored with the stop token counted
    /// in `n`) and the best `beams` others go on, the decoder's states reordered to follow them
    /// (``IncrementalDecoder/reorder(_:)``). It ends after `maxTokens` steps, or once `beams` hypotheses
    /// have finished and no running one scores better than the worst of them. Hypotheses are ranked by
    /// `Σ log p / n^lengthPenalty` with log-probabilities of the unprocessed model; `n` counts tokens, or
    /// characters when `tokenLengths[t]` gives the characters of each token `t`, so that hypotheses compare per
    /// character of text (as bits per character do) and one spelled with fewer, longer tokens — whole words of
    /// a BPE vocabulary — is not ranked below one of many short tokens. `noRepeatNgram > 0` drops every
    /// extension that would repeat an n-gram of the prompt and hypothesis (``NoRepeatNgram``). With one beam
    /// this is greedy decoding.
    ///
    /// `let best = try generator.beamSearch(prompt: [0], beams: 4, maxTokens: 50, noRepeatNgram: 4).best.tokens`
    public func beamSearch(
        prompt: [Int], beams: Int, maxTokens: Int, lengthPenalty: Double = 1, noRepeatNgram: Int = 0,
        tokenLengths: [Int]? = nil, stopTokens: Set<Int> = []
    ) throws -> BeamSearchResult {
        var options = GenerationOptions()
        options.beams = beams
        options.maxTokens = maxTokens
        options.lengthPenalty = lengthPenalty
        options.noRepeatNgram = noRepeatNgram
        options.tokenLengths = tokenLengths
        options.stopTokens = stopTokens
        try options.validate(vocabSize: model.config.vocabSize)
        try checkPrompt(prompt)
        try options.checkMemory(for: model.config, promptLength: prompt.count)
        let mask = noRepeatNgram > 0 ? try NoRepeatNgram(noRepeatNgram) : nil

        let v = model.config.vocabSize
        let decoder = decoder(batch: beams)
        var logits = decoder.prefill(Array([[Int]](repeating: prompt, count: beams).joined()), time: prompt.count)

        func normalised(_ total: Double, _ length: Int) -> Double {
            lengthPenalty == 0 ? total : total / Double.pow(Double(max(length, 1)), lengthPenalty)
        }
        func units(_ token: Int) -> Int { tokenLengths?[token] ?? 1 }
        // Running hypotheses: all start as the prompt; only the first counts until they diverge.
        var running = [GeneratedSequence](repeating: GeneratedSequence(), count: beams)
        var totals = [Double](repeating: -.infinity, count: beams)
        totals[0] = 0
        var lengths = [Int](repeating: 0, count: beams)  // n of each running hypothesis
        var finished: [(sequence: GeneratedSequence, score: Double)] = []
        var lse = [Float](repeating: 0, count: beams)
        var candidates: [Candidate] = []
        candidates.reserveCapacity(beams * v)

        for step in 0..<maxTokens {
            candidates.removeAll(keepingCapacity: true)
            for b in 0..<beams where totals[b] > -.infinity {
                let row = UnsafeBufferPointer(rebasing: logits[(b * v)..<(b * v + v)])
                lse[b] = logSumExp(row)
                var banned = mask?.bannedTokens(prompt + running[b].tokens, vocabSize: v) ?? []
                if banned.count >= v { banned.removeAll() }  // as the processor: never forbid everything
                for t in 0..<v where !banned.contains(t) {
                    let total = totals[b] + Double(row[t] - lse[b])
                    candidates.append(
                        Candidate(score: normalised(total, lengths[b] + units(t)), total: total, beam: b, token: t))
                }
            }
            let keep = min(2 * beams, candidates.count)
            candidates.partialSort(keep)
            var parents: [Int] = []
            var nextTokens: [Int] = []
            var nextRunning: [GeneratedSequence] = []
            var nextTotals: [Double] = []
            var nextLengths: [Int] = []
            for (rank, c) in candidates.prefix(keep).enumerated() where c.total > -.infinity {
                let logProb = Float(c.total - totals[c.beam])
                if stopTokens.contains(c.token) {
                    if rank < beams {
                        var done = running[c.beam]
                        done.finishReason = .stopToken(c.token)
                        finished.append((done, c.score))
                    }
                    continue
                }
                if parents.count == beams { continue }
                var extended = running[c.beam]
                extended.tokens.append(c.token)
                extended.logProbabilities.append(logProb)
                parents.append(c.beam)
                nextTokens.append(c.token)
                nextRunning.append(extended)
                nextTotals.append(c.total)
                nextLengths.append(lengths[c.beam] + units(c.token))
            }
            finished.sort { $0.score > $1.score }
            if finished.count > beams { finished.removeLast(finished.count - beams) }
            if parents.isEmpty {
                running = []
                break
            }
            while parents.count < beams {  // pad with inactive copies of the first
                parents.append(parents[0])
                nextTokens.append(nextTokens[0])
                nextRunning.append(nextRunning[0])
                nextTotals.append(-.infinity)
                nextLengths.append(nextLengths[0])
            }
            running = nextRunning
            totals = nextTotals
            lengths = nextLengths
            let bestRunning = zip(totals, lengths).map { normalised($0, $1) }.max() ?? -.infinity
            if finished.count == beams, let worst = finished.last?.score, bestRunning <= worst {
                running = []
                break
            }
            if step + 1 == maxTokens { break }
            decoder.reorder(parents)
            logits = decoder.step(nextTokens)
        }
        var all = finished
        for (b, sequence) in running.enumerated() where totals[b] > -.infinity {
            all.append((sequence, normalised(totals[b], lengths[b])))
        }
        all.sort { $0.score > $1.score }
        return BeamSearchResult(hypotheses: all.map(\.sequence), scores: all.map(\.score))
    }
}

/// One extension of a running hypothesis by one token.
struct Candidate {
    /// `total / n^lengthPenalty`, what candidates are ranked by.
    var score: Double
    /// `Σ log p` of the hypothesis with the token.
    var total: Double
    /// The hypothesis extended.
    var beam: Int
    /// The token it is extended by.
    var token: Int
}

extension Array where Element == Candidate {
    /// Moves the `k` best candidates (highest score, then highest total; then lower beam, then lower token) to
    /// the front, in order, by a selection pass per rank: `O(k · count)`, for the small `k = 2·beams`.
    fileprivate mutating func partialSort(_ k: Int) {
        func better(_ a: Element, _ b: Element) -> Bool {
            if a.score != b.score { return a.score > b.score }
            return a.total != b.total ? a.total > b.total : (a.beam, a.token) < (b.beam, b.token)
        }
        for i in 0..<Swift.min(k, count) {
            var best = i
            for j in (i + 1)..<count where better(self[j], self[best]) { best = j }
            swapAt(i, best)
        }
    }
}
