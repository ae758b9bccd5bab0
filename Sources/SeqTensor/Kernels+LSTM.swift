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
    package static func lstmSequence(
        output: UnsafeMutablePointer<Float>, hT: UnsafeMutablePointer<Float>, cT: UnsafeMutablePointer<Float>,
        saved: RecurrentActivations, x: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>,
        weights: RecurrentWeights
    ) {
        precondition(saved.kind == .lstm, "lstmSequence needs LSTM activations, got \(saved.kind)")
        let (ts, hs) = (saved.sizes.steps, saved.sizes.hidden)
        let gw = 4 &* hs
        forwardThroughTime(
            output: output, hT: hT, cT: cT, saved: saved, x: x, h0: h0, c0: c0, weights: weights, foldedHiddenBias: gw
        ) { b, row, t in
            let gate = saved.gates + row &* gw  // input projection in, activations out
            let rec = saved.projection + b &* gw
            let cPrev = saved.cells + (b &* (ts &+ 1) &+ t) &* hs
            seqkit_lstm_forward_row(hs, gate, rec, cPrev, cPrev + hs, saved.auxiliary + row &* hs, output + row &* hs)
        }
    }

    /// Backward of ``lstmSequence(output:hT:cT:saved:x:h0:c0:weights:)`` through time, t from T − 1 to 0:
    ///
    ///     dc = dc_next + dh·o·(1 − tanh²c);  di = dc·g;  df = dc·c_{t−1};  dg = dc·i;  do = dh·tanh c
    ///
    /// in one fused pass per row (`seqkit_lstm_backward_row`), then per step one product
    /// `dh_{t−1} = dgates_t W_hh` (W_hh packed once), chunks of the batch on the worker team, and after the
    /// loop one product each for the weights and the input.
    /// Accumulates into `grads` from `dOutput` (B, T, H) and `dhT`, `dcT` (B, H, nil for none).
    package static func lstmSequenceBackward(
        _ grads: RecurrentGradients, dOutput: UnsafePointer<Float>, dhT: UnsafePointer<Float>?,
        dcT: UnsafePointer<Float>?, saved: RecurrentActivations, x: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        precondition(saved.kind == .lstm, "lstmSequenceBackward needs LSTM activations, got \(saved.kind)")
        let (ts, hs) = (saved.sizes.steps, saved.sizes.hidden)
        let gw = 4 &* hs
        let scratch = BackwardScratch(saved, weights: weights, dhT: dhT, dcT: dcT, separateHidden: false)
        backwardThroughTime(grads, saved: saved, scratch: scratch, x: x, weights: weights, accumulateHidden: false) {
            b, row, t in
            let cPrev = saved.cells + (b &* (ts &+ 1) &+ t) &* hs
            seqkit_lstm_backward_row(
                hs, saved.gates + row &* gw, cPrev, saved.auxiliary + row &* hs, dOutput + row &* hs,
                scratch.dh + b &* hs, scratch.dc + b &* hs, scratch.dInput + row &* gw)
        }
    }
}
