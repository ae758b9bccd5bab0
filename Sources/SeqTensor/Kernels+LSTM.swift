import CSeqKernels

extension Kernels {
    /// LSTM over a sequence in PyTorch's formulation, gates i, f, g, o stacked in the weights:
    ///
    ///     [i f g o] = x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh   (then σ, σ, tanh, σ)
    ///     c_t = f⊙c_{t−1} + i⊙g,   h_t = o⊙tanh(c_t)
    ///
    /// One product projects every (B·T) input row, then each step is one (B, H)·W_hhᵀ product against W_hh packed
    /// once per pass (`seqkit_panel_gemm`) and one fused pass per row, `seqkit_lstm_forward_row` (AVX2 e^x, σ,
    /// tanh where the CPU has them). The batch runs in chunks of sequences on the worker team
    /// (``splitBatch(_:_:)``), each chunk's whole time loop in one hand-off. `x` is (B, T, I), `h0`, `c0` (B, H);
    /// writes `output` (B, T, H), `hT`, `cT` (B, H) (which may alias `h0`, `c0`) and, in `saved`, what
    /// ``lstmSequenceBackward(_:dOutput:dhT:dcT:saved:x:weights:)`` reads.
    public static func lstmSequence(
        output: UnsafeMutablePointer<Float>, hT: UnsafeMutablePointer<Float>, cT: UnsafeMutablePointer<Float>,
        saved: RecurrentActivations, x: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>,
        weights: RecurrentWeights
    ) {
        precondition(saved.kind == .lstm, "lstmSequence needs LSTM activations, got \(saved.kind)")
        if emptySequence(saved, hT: hT, cT: cT, h0: h0, c0: c0) { return }
        let s = saved.sizes
        let (ts, hs) = (s.steps, s.hidden)
        let gw = 4 &* hs
        beginSequence(saved, x: x, h0: h0, c0: c0, weights: weights, foldedHiddenBias: gw)
        splitBatch(saved) { rows in
            chunkInputProjection(saved, x: x, weights: weights, foldedHiddenBias: gw, sequences: rows)
            for t in 0..<ts {
                hiddenProjection(saved, step: t, rows: rows, weightHH: weights.weightHH)
                for b in rows {
                    let row = b &* ts &+ t
                    let gate = saved.gates + row &* gw  // input projection in, activations out
                    let rec = saved.projection + b &* gw
                    let cPrev = saved.cells + (b &* (ts &+ 1) &+ t) &* hs
                    let cNext = cPrev + hs
                    let tc = saved.auxiliary + row &* hs
                    let h = output + row &* hs
                    seqkit_lstm_forward_row(hs, gate, rec, cPrev, cNext, tc, h)
                    if t &+ 1 < ts { (saved.hiddenBefore + (row &+ 1) &* hs).update(from: h, count: hs) }
                }
            }
        }
        endSequence(saved, output: output, hT: hT, cT: cT)
    }

    /// Backward of ``lstmSequence(output:hT:cT:saved:x:h0:c0:weights:)`` through time, t from T − 1 to 0:
    ///
    ///     dc = dc_next + dh·o·(1 − tanh²c);  di = dc·g;  df = dc·c_{t−1};  dg = dc·i;  do = dh·tanh c
    ///
    /// in one fused pass per row (`seqkit_lstm_backward_row`), then per step one product
    /// `dh_{t−1} = dgates_t W_hh` (W_hh packed once), chunks of the batch on the worker team, and after the
    /// loop one product each for the weights and the input.
    /// Accumulates into `grads` from `dOutput` (B, T, H) and `dhT`, `dcT` (B, H, nil for none).
    public static func lstmSequenceBackward(
        _ grads: RecurrentGradients, dOutput: UnsafePointer<Float>, dhT: UnsafePointer<Float>?,
        dcT: UnsafePointer<Float>?, saved: RecurrentActivations, x: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        precondition(saved.kind == .lstm, "lstmSequenceBackward needs LSTM activations, got \(saved.kind)")
        let s = saved.sizes
        let (ts, hs) = (s.steps, s.hidden)
        let gw = 4 &* hs
        let scratch = BackwardScratch(saved, weights: weights, dhT: dhT, dcT: dcT, separateHidden: false)
        splitBatch(saved) { rows in
            for t in stride(from: ts &- 1, through: 0, by: -1) {
                for b in rows {
                    let row = b &* ts &+ t
                    let gate = saved.gates + row &* gw
                    let cPrev = saved.cells + (b &* (ts &+ 1) &+ t) &* hs
                    let tc = saved.auxiliary + row &* hs
                    let dy = dOutput + row &* hs
                    let dh = scratch.dh + b &* hs
                    let dc = scratch.dc + b &* hs
                    let d = scratch.dInput + row &* gw
                    seqkit_lstm_backward_row(hs, gate, cPrev, tc, dy, dh, dc, d)
                }
                recurrentGradient(saved, scratch, step: t, rows: rows, accumulate: false)
            }
            chunkInputGradient(grads, saved, scratch, sequences: rows)
        }
        finishBackward(grads, saved, scratch, x: x, weights: weights)
    }
}
