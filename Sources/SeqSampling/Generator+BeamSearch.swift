import RealModule
import SeqModels
import SeqTensor

/// The hypotheses beam search ends with, best first.
public struct BeamSearchResult: Sendable, Equatable {
    /// Finished and still-running hypotheses ranked by `Σ log p / n^lengthPenalty`, best first.
    public var hypotheses: [GeneratedSequence]
    /// Their length-normalised scores, in the same order.
    public var scores: [Double]

    /// The top hypothesis.
    public var best: GeneratedSequence { hypotheses.first ?? GeneratedSequence() }
}

extension Generator {
    /// Beam search on the incremental decoder: `beams` hypotheses run as one batch; each step every
    /// hypothesis is extended by every token, the `2·beams` best extensions by total log-probability are
    /// kept, those ending in a stop token become finished hypotheses (scored with the stop token counted
    /// in `n`) and the best `beams` others go on, the decoder's states reordered to follow them
    /// (``IncrementalDecoder/reorder(_:)``). It ends after `maxTokens` steps, or once `beams` hypotheses
    /// have finished and no running one scores better than the worst of them. Hypotheses are ranked by
    /// `Σ log p / n^lengthPenalty` with log-probabilities of the unprocessed model. With one beam this is
    /// greedy decoding.
    ///
    /// `let best = try generator.beamSearch(prompt: [0], beams: 4, maxTokens: 50).best.tokens`
    public func beamSearch(
        prompt: [Int], beams: Int, maxTokens: Int, lengthPenalty: Double = 1, stopTokens: Set<Int> = []
    ) throws -> BeamSearchResult {
        var options = GenerationOptions()
        options.beams = beams
        options.maxTokens = maxTokens
        options.lengthPenalty = lengthPenalty
        options.stopTokens = stopTokens
        try options.validate(vocabSize: model.config.vocabSize)
        try checkPrompt(prompt)

        let v = model.config.vocabSize
        let decoder = decoder(batch: beams)
        var logits = UnsafeBufferPointer<Float>(start: nil, count: 0)
        for token in prompt { logits = decoder.step([Int](repeating: token, count: beams)) }

        func normalised(_ total: Double, _ length: Int) -> Double {
            lengthPenalty == 0 ? total : total / Double.pow(Double(max(length, 1)), lengthPenalty)
        }
        // Running hypotheses: all start as the prompt; only the first counts until they diverge.
        var running = [GeneratedSequence](repeating: GeneratedSequence(), count: beams)
        var totals = [Double](repeating: -.infinity, count: beams)
        totals[0] = 0
        var finished: [(sequence: GeneratedSequence, score: Double)] = []
        var lse = [Float](repeating: 0, count: beams)
        var candidates: [(total: Double, beam: Int, token: Int)] = []
        candidates.reserveCapacity(beams * v)

        for step in 0..<maxTokens {
            candidates.removeAll(keepingCapacity: true)
            for b in 0..<beams where totals[b] > -.infinity {
                let row = UnsafeBufferPointer(rebasing: logits[(b * v)..<(b * v + v)])
                lse[b] = logSumExp(row)
                for t in 0..<v { candidates.append((totals[b] + Double(row[t] - lse[b]), b, t)) }
            }
            let keep = min(2 * beams, candidates.count)
            candidates.partialSort(keep)
            var parents: [Int] = []
            var nextTokens: [Int] = []
            var nextRunning: [GeneratedSequence] = []
            var nextTotals: [Double] = []
            for (rank, c) in candidates.prefix(keep).enumerated() where c.total > -.infinity {
                let logProb = Float(c.total - totals[c.beam])
                if stopTokens.contains(c.token) {
                    if rank < beams {
                        var done = running[c.beam]
                        done.finishReason = .stopToken(c.token)
                        finished.append((done, normalised(c.total, done.tokens.count + 1)))
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
            }
            running = nextRunning
            totals = nextTotals
            let bestRunning = zip(running, totals).map { normalised($1, $0.tokens.count) }.max() ?? -.infinity
            if finished.count == beams, let worst = finished.last?.score, bestRunning <= worst {
                running = []
                break
            }
            if step + 1 == maxTokens { break }
            decoder.reorder(parents)
            logits = decoder.step(nextTokens)
        }
        var all = finished
        for (sequence, total) in zip(running, totals) where total > -.infinity {
            all.append((sequence, normalised(total, sequence.tokens.count)))
        }
        all.sort { $0.score > $1.score }
        return BeamSearchResult(hypotheses: all.map(\.sequence), scores: all.map(\.score))
    }
}

extension Array where Element == (total: Double, beam: Int, token: Int) {
    /// Moves the `k` best candidates (highest total; on ties lower beam, then lower token) to the front,
    /// in order, by a selection pass per rank: `O(k · count)`, for the small `k = 2·beams`.
    fileprivate mutating func partialSort(_ k: Int) {
        func better(_ a: Element, _ b: Element) -> Bool {
            a.total != b.total ? a.total > b.total : (a.beam, a.token) < (b.beam, b.token)
        }
        for i in 0..<Swift.min(k, count) {
            var best = i
            for j in (i + 1)..<count where better(self[j], self[best]) { best = j }
            swapAt(i, best)
        }
    }
}
