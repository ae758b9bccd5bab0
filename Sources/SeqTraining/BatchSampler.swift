import SeqTensor

/// Draws training windows from token ids: random windows for transformers (nanoGPT's get_batch),
/// contiguous truncated-BPTT streams for recurrent models (char-rnn's loader), whose hidden state
/// the trainer carries from one window to the next.
///
/// Under data parallelism each of `ranks` processes draws the whole global batch of `ranks × batch` rows from the
/// same generator and keeps rows `rank·batch..<(rank+1)·batch`, so the run sees the same windows whatever the
/// number of processes: one process with batch 2B reads exactly the rows two ranks with batch B read together.
struct BatchSampler {
    /// How windows are drawn.
    enum Mode: Equatable {
        /// `batch` independent random windows per step.
        case random
        /// The ids cut into `batch` parallel streams read left to right, window after window.
        case streams
    }

    let ids: [Int]
    /// Rows of this process's share of a step.
    let batch: Int
    /// This process's index among ``ranks``.
    let rank: Int
    /// Processes sharing each step; the global batch is `ranks × batch`.
    let ranks: Int
    let time: Int
    let mode: Mode
    /// Source of random window starts.
    var rng: SeededGenerator
    /// Offset of the next window inside each stream (streams only).
    var position: Int

    init(
        ids: [Int], batch: Int, time: Int, mode: Mode, rng: SeededGenerator, position: Int = 0, rank: Int = 0,
        ranks: Int = 1
    ) {
        precondition(ranks > 0 && (0..<ranks).contains(rank), "rank \(rank) of \(ranks) processes")
        self.ids = ids
        self.batch = batch
        self.rank = rank
        self.ranks = ranks
        self.time = time
        self.mode = mode
        self.rng = rng
        self.position = position
    }

    /// Rows of a step over every process.
    var globalBatch: Int { batch * ranks }

    /// Length of each stream (the ids are cut into ``globalBatch`` streams).
    var streamLength: Int { (ids.count - 1) / globalBatch }

    /// The next (B, T) inputs and targets (row-major), and whether a recurrent state must restart
    /// (the streams wrapped around to their beginning).
    mutating func next() -> (inputs: [Int], targets: [Int], restart: Bool) {
        var inputs = [Int](repeating: 0, count: batch * time)
        var targets = inputs
        var restart = false
        switch mode {
        case .random:
            // Every row of the global batch is drawn, in order, so the generator moves as it does for one process.
            let mine = (rank * batch)..<((rank + 1) * batch)
            for g in 0..<globalBatch {
                let start = rng.nextInt(below: ids.count - time)
                guard mine.contains(g) else { continue }
                let b = g - mine.lowerBound
                for t in 0..<time {
                    inputs[b * time + t] = ids[start + t]
                    targets[b * time + t] = ids[start + t + 1]
                }
            }
        case .streams:
            if position + time + 1 > streamLength || position == 0 {
                restart = true
                position = 0
            }
            for b in 0..<batch {
                let start = (rank * batch + b) * streamLength + position
                for t in 0..<time {
                    inputs[b * time + t] = ids[start + t]
                    targets[b * time + t] = ids[start + t + 1]
                }
            }
            position += time
        }
        return (inputs, targets, restart)
    }
}
