import SeqTensor

/// Draws training windows from token ids: random windows for transformers (nanoGPT's get_batch),
/// contiguous truncated-BPTT streams for recurrent models (char-rnn's loader), whose hidden state
/// the trainer carries from one window to the next.
struct BatchSampler {
    /// How windows are drawn.
    enum Mode: Equatable {
        /// `batch` independent random windows per step.
        case random
        /// The ids cut into `batch` parallel streams read left to right, window after window.
        case streams
    }

    let ids: [Int]
    let batch: Int
    let time: Int
    let mode: Mode
    /// Source of random window starts.
    var rng: SeededGenerator
    /// Offset of the next window inside each stream (streams only).
    var position: Int

    init(ids: [Int], batch: Int, time: Int, mode: Mode, rng: SeededGenerator, position: Int = 0) {
        self.ids = ids
        self.batch = batch
        self.time = time
        self.mode = mode
        self.rng = rng
        self.position = position
    }

    /// Length of each stream.
    var streamLength: Int { (ids.count - 1) / batch }

    /// The next (B, T) inputs and targets (row-major), and whether a recurrent state must restart
    /// (the streams wrapped around to their beginning).
    mutating func next() -> (inputs: [Int], targets: [Int], restart: Bool) {
        var inputs = [Int](repeating: 0, count: batch * time)
        var targets = inputs
        var restart = false
        switch mode {
        case .random:
            for b in 0..<batch {
                let start = rng.nextInt(below: ids.count - time)
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
                let start = b * streamLength + position
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
