import CBLAS
import CSeqKernels
import RealModule
import Synchronization

/// The cell a recurrent layer runs at every time step, with PyTorch's formulation and gate order.
///
/// ```swift
/// RecurrentKind.lstm.gateCount == 4   // i, f, g, o: weight_ih is (4H, in)
/// ```
public enum RecurrentKind: Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// `h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)` (`nn.RNN`, the default nonlinearity).
    case rnnTanh
    /// `h_t = max(0, x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)` (`nn.RNN(nonlinearity="relu")`).
    case rnnRelu
    /// Gates i, f, g, o: `c_t = f⊙c_{t−1} + i⊙g`, `h_t = o⊙tanh(c_t)` (`nn.LSTM`).
    case lstm
    /// Gates r, z, n: `n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn))`, `h' = (1 − z)⊙n + z⊙h` (`nn.GRU`).
    case gru

    /// Gate blocks stacked in the weights: 1 (RNN), 4 (LSTM) or 3 (GRU); `weight_ih` is (gateCount·H, in).
    public var gateCount: Int {
        switch self {
        case .rnnTanh, .rnnRelu: 1
        case .lstm: 4
        case .gru: 3
        }
    }

    /// `rnn_tanh`, `rnn_relu`, `lstm` or `gru` (PyTorch's mode names).
    public var description: String {
        switch self {
        case .rnnTanh: "rnn_tanh"
        case .rnnRelu: "rnn_relu"
        case .lstm: "lstm"
        case .gru: "gru"
        }
    }
}

/// Sizes of one recurrent sequence pass: batch B, steps T, input width I, hidden width H.
///
/// `RecurrentSizes(batch: 50, steps: 50, input: 128, hidden: 128)`
public struct RecurrentSizes: Sendable, Equatable {
    /// B, the number of independent sequences.
    public let batch: Int
    /// T, the number of time steps.
    public let steps: Int
    /// I, the width of each input vector.
    public let input: Int
    /// H, the width of the hidden state.
    public let hidden: Int

    /// Sizes of a pass over (B, T, I) inputs with an (B, H) state.
    public init(batch: Int, steps: Int, input: Int, hidden: Int) {
        precondition(
            batch >= 0 && steps >= 0 && input >= 0 && hidden >= 0,
            "RecurrentSizes: negative size (B \(batch), T \(steps), I \(input), H \(hidden))")
        self.batch = batch
        self.steps = steps
        self.input = input
        self.hidden = hidden
    }
}

/// The parameters of one recurrent layer, in PyTorch's layout: `weightIH` (G·H, I), `weightHH` (G·H, H),
/// `biasIH` and `biasHH` (G·H) or nil for a layer without bias, where G is ``RecurrentKind/gateCount``.
/// A pass whose inputs are already projected (``RecurrentActivations/projectedInput``: each input row is
/// `x W_ihᵀ + b_ih`, G·H wide) has no `weightIH` and no `biasIH`.
public struct RecurrentWeights {
    /// `weight_ih_l{k}`, (G·H, I), or nil when the inputs come projected.
    public let weightIH: UnsafePointer<Float>?
    /// `weight_hh_l{k}`, (G·H, H).
    public let weightHH: UnsafePointer<Float>
    /// `bias_ih_l{k}`, (G·H), or nil.
    public let biasIH: UnsafePointer<Float>?
    /// `bias_hh_l{k}`, (G·H), or nil.
    public let biasHH: UnsafePointer<Float>?

    /// `RecurrentWeights(weightIH: wih.pointer, weightHH: whh.pointer, biasIH: nil, biasHH: nil)`
    public init(
        weightIH: UnsafePointer<Float>?, weightHH: UnsafePointer<Float>, biasIH: UnsafePointer<Float>?,
        biasHH: UnsafePointer<Float>?
    ) {
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }
}

/// Where a recurrent backward pass accumulates (`+=`) its gradients; nil skips one.
///
/// `RecurrentGradients(input: dx, h0: dh0, weightIH: dWih, weightHH: dWhh)`
public struct RecurrentGradients {
    /// (B, T, I)
    public var input: UnsafeMutablePointer<Float>?
    /// (B, H)
    public var h0: UnsafeMutablePointer<Float>?
    /// (B, H), LSTM only.
    public var c0: UnsafeMutablePointer<Float>?
    /// (G·H, I)
    public var weightIH: UnsafeMutablePointer<Float>?
    /// (G·H, H)
    public var weightHH: UnsafeMutablePointer<Float>?
    /// (G·H)
    public var biasIH: UnsafeMutablePointer<Float>?
    /// (G·H)
    public var biasHH: UnsafeMutablePointer<Float>?

    /// Gradients to accumulate into; leave out the ones not needed.
    public init(
        input: UnsafeMutablePointer<Float>? = nil, h0: UnsafeMutablePointer<Float>? = nil,
        c0: UnsafeMutablePointer<Float>? = nil, weightIH: UnsafeMutablePointer<Float>? = nil,
        weightHH: UnsafeMutablePointer<Float>? = nil, biasIH: UnsafeMutablePointer<Float>? = nil,
        biasHH: UnsafeMutablePointer<Float>? = nil
    ) {
        self.input = input
        self.h0 = h0
        self.c0 = c0
        self.weightIH = weightIH
        self.weightHH = weightHH
        self.biasIH = biasIH
        self.biasHH = biasHH
    }
}

/// The buffers a recurrent sequence forward fills and its backward reads, allocated together once per
/// call (never inside the time loop). Rows are batch-major: row `b·T + t` is sequence b at step t.
///
/// ```swift
/// let saved = RecurrentActivations(.lstm, RecurrentSizes(batch: 2, steps: 5, input: 3, hidden: 4))
/// Kernels.lstmSequence(output: y, hT: h, cT: c, saved: saved, x: x, h0: h0, c0: c0, weights: w)
/// ```
public final class RecurrentActivations: @unchecked Sendable {
    /// The cell these buffers belong to.
    public let kind: RecurrentKind
    /// The pass's sizes.
    public let sizes: RecurrentSizes
    /// Whether the inputs arrive projected: (B, T, G·H) rows of `x W_ihᵀ + b_ih` (so `sizes.input` is G·H),
    /// which the pass copies into the gates instead of multiplying, and whose gradient is the gates' own.
    public let projectedInput: Bool
    /// (B, T, G·H): gate activations (LSTM i, f, g, o; GRU r, z, n); for a plain RNN, h_t itself.
    public let gates: UnsafeMutablePointer<Float>
    /// (B, T, H): the hidden state entering each step, `h_{t−1}` (h0 at t = 0).
    public let hiddenBefore: UnsafeMutablePointer<Float>
    /// (B, T + 1, H), LSTM only: `c_{t−1}` at index t, so c0 at 0 and c_T at T.
    public let cells: UnsafeMutablePointer<Float>
    /// (B, T, H): LSTM `tanh(c_t)`; GRU the hidden part of n, `h_{t−1} W_hnᵀ + b_hn`.
    public let auxiliary: UnsafeMutablePointer<Float>
    /// (B, G·H): scratch for one step's hidden projection `h_{t−1} W_hhᵀ`.
    let projection: UnsafeMutablePointer<Float>
    /// `W_hhᵀ` (H, G·H) packed once per pass for the per-step products (`seqkit_pack_panels`); nil for a
    /// single step (a generation step), where packing would cost as much as the product.
    let hiddenWeightPanels: UnsafeMutablePointer<Float>?
    /// `W_ihᵀ` (I, G·H) packed for the input projection of all B·T rows at once; nil for fewer than
    /// ``Kernels/panelProductRows`` rows, which go to BLAS.
    let inputWeightPanels: UnsafeMutablePointer<Float>?
    private let storage: TensorStorage

    /// Allocates every buffer the cell needs for a pass of these sizes, in one block; with `projectedInput`
    /// the inputs are (B, T, G·H) projections (``projectedInput``).
    public init(_ kind: RecurrentKind, _ sizes: RecurrentSizes, projectedInput: Bool = false) {
        precondition(
            !projectedInput || sizes.input == kind.gateCount * sizes.hidden,
            "RecurrentActivations: projected inputs are \(kind.gateCount * sizes.hidden) wide, not \(sizes.input)")
        let (b, t, h) = (sizes.batch, sizes.steps, sizes.hidden)
        let gw = kind.gateCount &* h
        let gateCount = b &* t &* gw
        let hiddenCount = b &* t &* h
        let cellCount = kind == .lstm ? b &* (t &+ 1) &* h : 0
        let auxiliaryCount = kind == .lstm || kind == .gru ? hiddenCount : 0
        let weightCount = t > 1 ? seqkit_panel_size(h, gw) : 0
        let panelInput = !projectedInput && b &* t >= Kernels.panelProductRows
        let inputWeightCount = panelInput ? seqkit_panel_size(sizes.input, gw) : 0
        storage = TensorStorage(
            capacity: gateCount &+ hiddenCount &+ cellCount &+ auxiliaryCount &+ b &* gw &+ weightCount
                &+ inputWeightCount,
            zeroed: false)
        self.kind = kind
        self.sizes = sizes
        self.projectedInput = projectedInput
        gates = storage.base
        hiddenBefore = gates + gateCount
        cells = hiddenBefore + hiddenCount
        auxiliary = cells + cellCount
        projection = auxiliary + auxiliaryCount
        hiddenWeightPanels = t > 1 ? projection + b &* gw : nil
        inputWeightPanels = panelInput ? projection + (b &* gw &+ weightCount) : nil
    }
}

extension Kernels {
    /// Runs one recurrent layer over a whole sequence, dispatching on `saved.kind` to
    /// ``rnnSequence(output:hT:saved:x:h0:weights:)``, ``lstmSequence(output:hT:cT:saved:x:h0:c0:weights:)``
    /// or ``gruSequence(output:hT:saved:x:h0:weights:)``. `c0` and `cT` are used by the LSTM only.
    package static func recurrentSequence(
        output: UnsafeMutablePointer<Float>, hT: UnsafeMutablePointer<Float>, cT: UnsafeMutablePointer<Float>?,
        saved: RecurrentActivations, x: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>?,
        weights: RecurrentWeights
    ) {
        switch saved.kind {
        case .rnnTanh, .rnnRelu: rnnSequence(output: output, hT: hT, saved: saved, x: x, h0: h0, weights: weights)
        case .gru: gruSequence(output: output, hT: hT, saved: saved, x: x, h0: h0, weights: weights)
        case .lstm:
            guard let cT, let c0 else { preconditionFailure("recurrentSequence: the LSTM needs c0 and cT") }
            lstmSequence(output: output, hT: hT, cT: cT, saved: saved, x: x, h0: h0, c0: c0, weights: weights)
        }
    }

    /// Backward of ``recurrentSequence(output:hT:cT:saved:x:h0:c0:weights:)``, dispatching on `saved.kind`.
    /// `dOutput` (B, T, H) is required (zeros when the output carries no gradient); `dhT`, `dcT` may be nil.
    package static func recurrentSequenceBackward(
        _ grads: RecurrentGradients, dOutput: UnsafePointer<Float>, dhT: UnsafePointer<Float>?,
        dcT: UnsafePointer<Float>?, saved: RecurrentActivations, x: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        switch saved.kind {
        case .rnnTanh, .rnnRelu:
            rnnSequenceBackward(grads, dOutput: dOutput, dhT: dhT, saved: saved, x: x, weights: weights)
        case .lstm:
            lstmSequenceBackward(grads, dOutput: dOutput, dhT: dhT, dcT: dcT, saved: saved, x: x, weights: weights)
        case .gru:
            gruSequenceBackward(grads, dOutput: dOutput, dhT: dhT, saved: saved, x: x, weights: weights)
        }
    }

    /// Plain RNN over a sequence, one gemm for every input projection and one per step:
    /// `h_t = act(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh)` with act = tanh or relu from `saved.kind`.
    /// `x` is (B, T, I), `h0` (B, H); writes `output` (B, T, H) and `hT` (B, H), which may alias `h0`.
    package static func rnnSequence(
        output: UnsafeMutablePointer<Float>, hT: UnsafeMutablePointer<Float>, saved: RecurrentActivations,
        x: UnsafePointer<Float>, h0: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        precondition(
            saved.kind == .rnnTanh || saved.kind == .rnnRelu, "rnnSequence needs RNN activations, got \(saved.kind)")
        let hs = saved.sizes.hidden
        let relu = saved.kind == .rnnRelu
        forwardThroughTime(
            output: output, hT: hT, cT: nil, saved: saved, x: x, h0: h0, c0: nil, weights: weights,
            foldedHiddenBias: hs
        ) { b, row, _ in
            let pre = saved.gates + row &* hs  // pre-activation in, h_t out
            let rec = saved.projection + b &* hs
            if relu {
                for j in 0..<hs {
                    let v = pre[j] + rec[j]
                    pre[j] = v > 0 ? v : 0
                }
            } else {
                for j in 0..<hs { pre[j] += rec[j] }
                seqkit_tanh(hs, pre, pre)  // in place; AVX2 where the CPU has it
            }
            (output + row &* hs).update(from: pre, count: hs)
        }
    }

    /// Backward of ``rnnSequence(output:hT:saved:x:h0:weights:)`` through time: accumulates into `grads`
    /// from `dOutput` (B, T, H) and `dhT` (B, H, or nil for none).
    package static func rnnSequenceBackward(
        _ grads: RecurrentGradients, dOutput: UnsafePointer<Float>, dhT: UnsafePointer<Float>?,
        saved: RecurrentActivations, x: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        let hs = saved.sizes.hidden
        let scratch = BackwardScratch(saved, weights: weights, dhT: dhT, dcT: nil, separateHidden: false)
        let relu = saved.kind == .rnnRelu
        backwardThroughTime(grads, saved: saved, scratch: scratch, x: x, weights: weights, accumulateHidden: false) {
            b, row, _ in
            let y = saved.gates + row &* hs
            let dy = dOutput + row &* hs
            let dh = scratch.dh + b &* hs
            let d = scratch.dInput + row &* hs
            if relu {
                for j in 0..<hs { d[j] = y[j] > 0 ? dh[j] + dy[j] : 0 }
            } else {
                for j in 0..<hs { d[j] = (dh[j] + dy[j]) * (1 - y[j] * y[j]) }
            }
        }
    }

    // MARK: Shared pieces of every cell

    /// The forward time loop every cell shares. Puts the input projections in the gates (`b_hh` folded into
    /// their first `foldedHiddenBias` columns), then, in chunks of the batch on the worker team, for each step
    /// the hidden product `h_{t−1} W_hhᵀ` (into `saved.projection`) and `cell(b, row, t)` for each sequence b of
    /// the chunk, `row = b·T + t`, which must write h_t to `output`'s row; h_t is then carried to the next
    /// step's `hiddenBefore`. Writes the final state last (`hT`, `cT` may alias `h0`, `c0`).
    static func forwardThroughTime(
        output: UnsafeMutablePointer<Float>, hT: UnsafeMutablePointer<Float>, cT: UnsafeMutablePointer<Float>?,
        saved: RecurrentActivations, x: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>?,
        weights: RecurrentWeights, foldedHiddenBias: Int, cell: (_ sequence: Int, _ row: Int, _ step: Int) -> Void
    ) {
        if emptySequence(saved, hT: hT, cT: cT, h0: h0, c0: c0) { return }
        let (ts, hs) = (saved.sizes.steps, saved.sizes.hidden)
        beginSequence(saved, x: x, h0: h0, c0: c0, weights: weights, foldedHiddenBias: foldedHiddenBias)
        splitBatch(saved) { rows in
            chunkInputProjection(saved, x: x, weights: weights, foldedHiddenBias: foldedHiddenBias, sequences: rows)
            for t in 0..<ts {
                hiddenProjection(saved, step: t, rows: rows, weightHH: weights.weightHH)
                for b in rows {
                    let row = b &* ts &+ t
                    cell(b, row, t)
                    if t &+ 1 < ts {
                        (saved.hiddenBefore + (row &+ 1) &* hs).update(from: output + row &* hs, count: hs)
                    }
                }
            }
        }
        endSequence(saved, output: output, hT: hT, cT: cT)
    }

    /// The backward time loop every cell shares: in chunks of the batch on the worker team, t from T − 1 to 0,
    /// `cell(b, row, t)` for each sequence of the chunk (it writes the row's gate gradients and leaves the
    /// direct part of dh_{t−1}), then `dh_{t−1} = dgates_t W_hh` (added to what the cells left when
    /// `accumulateHidden`); then each chunk's input gradient, and the weight, bias and initial-state gradients.
    static func backwardThroughTime(
        _ grads: RecurrentGradients, saved: RecurrentActivations, scratch: BackwardScratch, x: UnsafePointer<Float>,
        weights: RecurrentWeights, accumulateHidden: Bool, cell: (_ sequence: Int, _ row: Int, _ step: Int) -> Void
    ) {
        let ts = saved.sizes.steps
        splitBatch(saved) { rows in
            for t in stride(from: ts &- 1, through: 0, by: -1) {
                for b in rows { cell(b, b &* ts &+ t, t) }
                recurrentGradient(saved, scratch, step: t, rows: rows, accumulate: accumulateHidden)
            }
            chunkInputGradient(grads, saved, scratch, sequences: rows)
        }
        finishBackward(grads, saved, scratch, x: x, weights: weights)
    }

    /// For an empty sequence (T = 0) the final state is the initial one; returns true when it handled that.
    static func emptySequence(
        _ saved: RecurrentActivations, hT: UnsafeMutablePointer<Float>, cT: UnsafeMutablePointer<Float>?,
        h0: UnsafePointer<Float>, c0: UnsafePointer<Float>?
    ) -> Bool {
        guard saved.sizes.steps == 0 else { return false }
        let n = saved.sizes.batch &* saved.sizes.hidden
        if UnsafePointer(hT) != h0 { hT.update(from: h0, count: n) }
        if let cT, let c0, UnsafePointer(cT) != c0 { cT.update(from: c0, count: n) }
        return true
    }

    /// Fills the gate buffer with `X W_ihᵀ + b_ih + b_hh` (the hidden bias folded in for the first
    /// `foldedHiddenBias` columns only: GRU keeps `b_hn` apart), and puts h0 (and c0) in place for step 0.
    static func beginSequence(
        _ saved: RecurrentActivations, x: UnsafePointer<Float>, h0: UnsafePointer<Float>, c0: UnsafePointer<Float>?,
        weights: RecurrentWeights, foldedHiddenBias: Int
    ) {
        let s = saved.sizes
        let (bs, ts, hs) = (s.batch, s.steps, s.hidden)
        let gw = saved.kind.gateCount &* hs
        let rows = bs &* ts
        precondition(
            saved.projectedInput == (weights.weightIH == nil),
            "recurrent pass: projected inputs come without weight_ih, and only they do")
        if rows == 0 { return }
        // Initial state first, final state last: hT may alias h0 (incremental steps reuse one buffer).
        for b in 0..<bs {
            (saved.hiddenBefore + b &* ts &* hs).update(from: h0 + b &* hs, count: hs)
            if let c0 { (saved.cells + b &* (ts &+ 1) &* hs).update(from: c0 + b &* hs, count: hs) }
        }
        if let panels = saved.hiddenWeightPanels { seqkit_pack_panels(panels, weights.weightHH, hs, hs, gw, 1) }
        if let panels = saved.inputWeightPanels, let weightIH = weights.weightIH {
            // Each chunk of ``splitBatch(_:_:)`` projects its own rows (``chunkInputProjection``).
            seqkit_pack_panels(panels, weightIH, s.input, s.input, gw, 1)
            return
        }
        if saved.projectedInput { return }  // each chunk copies its own rows
        inputProjection(saved, x: x, weights: weights, foldedHiddenBias: foldedHiddenBias, rows: 0..<rows)
    }

    /// `gates[r] = x[r] W_ihᵀ + b_ih + b_hh` (the hidden bias folded in for the first `foldedHiddenBias`
    /// columns only) for the (B·T) rows `rows`: through the panel kernel on this thread when W_ih is packed,
    /// else one BLAS product.
    static func inputProjection(
        _ saved: RecurrentActivations, x: UnsafePointer<Float>, weights: RecurrentWeights, foldedHiddenBias: Int,
        rows: Range<Int>
    ) {
        if rows.isEmpty { return }
        let s = saved.sizes
        let gw = saved.kind.gateCount &* s.hidden
        let g = saved.gates + rows.lowerBound &* gw  // (rows, G·H)
        let xr = x + rows.lowerBound &* s.input  // (rows, I)
        guard let weightIH = weights.weightIH else {  // projected: x W_ihᵀ + b_ih given, b_hh still to add
            g.update(from: xr, count: rows.count &* gw)
            if let bhh = weights.biasHH {
                for r in 0..<rows.count {
                    let row = g + r &* gw
                    for j in 0..<foldedHiddenBias { row[j] += bhh[j] }
                }
            }
            return
        }
        var accumulate = false
        if weights.biasIH != nil || weights.biasHH != nil {
            for j in 0..<gw { g[j] = 0 }
            if let bih = weights.biasIH { for j in 0..<gw { g[j] += bih[j] } }
            if let bhh = weights.biasHH { for j in 0..<foldedHiddenBias { g[j] += bhh[j] } }
            for r in 1..<rows.count { (g + r &* gw).update(from: g, count: gw) }
            accumulate = true
        }
        if let panels = saved.inputWeightPanels {
            seqkit_panel_gemm(g, gw, xr, s.input, panels, rows.count, gw, s.input, accumulate ? 1 : 0)
            return
        }
        sgemm(
            g, ldc: gw, xr, lda: s.input, weightIH, ldb: s.input, m: rows.count, n: gw, k: s.input,
            transposeA: false, transposeB: true, beta: accumulate ? 1 : 0)
    }

    /// Inside a chunk of ``splitBatch(_:_:)``: the input projection of sequences `sequences` (all their steps),
    /// when ``beginSequence`` left it to the chunks; their gate rows are then still in cache for the time loop.
    @inline(__always)
    static func chunkInputProjection(
        _ saved: RecurrentActivations, x: UnsafePointer<Float>, weights: RecurrentWeights, foldedHiddenBias: Int,
        sequences: Range<Int>
    ) {
        guard saved.inputWeightPanels != nil || saved.projectedInput else { return }
        let ts = saved.sizes.steps
        inputProjection(
            saved, x: x, weights: weights, foldedHiddenBias: foldedHiddenBias,
            rows: sequences.lowerBound &* ts..<sequences.upperBound &* ts)
    }

    /// Inside a chunk of ``splitBatch(_:_:)``, after its time loop: `dX[rows] += dgates[rows] W_ih` for the
    /// sequences `sequences`, when W_ih is packed (else ``finishBackward`` does it for all rows with BLAS).
    @inline(__always)
    static func chunkInputGradient(
        _ grads: RecurrentGradients, _ saved: RecurrentActivations, _ scratch: BackwardScratch, sequences: Range<Int>
    ) {
        guard let dx = grads.input else { return }
        let s = saved.sizes
        let gw = saved.kind.gateCount &* s.hidden
        let first = sequences.lowerBound &* s.steps
        if saved.projectedInput {  // the projected inputs' gradient is the gates' own
            addScaled(dx + first &* gw, scratch.dInput + first &* gw, sequences.count &* s.steps &* gw, 1)
            return
        }
        guard let panels = scratch.inputWeightPanels else { return }
        seqkit_panel_gemm(
            dx + first &* s.input, s.input, scratch.dInput + first &* gw, gw, panels, sequences.count &* s.steps,
            s.input,
            gw, 1)
    }

    /// Passes with at least this many rows (B·T) do the input projections, forward and backward, inside the
    /// batch chunks through the panel kernel rather than in one BLAS product: at 2500 × 512 × 128 (char-lstm) the
    /// panel kernel ran ~100 GFLOP/s per core where OpenBLAS on 2 threads ran 75–85 in all (OpenBLAS 0.3.21,
    /// Zen 4, the machine shared); it saves two team hand-offs per layer and pass, and leaves no OpenBLAS
    /// threads spinning.
    static let panelProductRows = 256

    /// `projection[rows] = h_{t−1}[rows] W_hhᵀ` for a slice of the batch, reading `h_{t−1}` in place from
    /// `hiddenBefore` (row stride T·H).
    @inline(__always)
    static func hiddenProjection(
        _ saved: RecurrentActivations, step t: Int, rows: Range<Int>, weightHH: UnsafePointer<Float>
    ) {
        let s = saved.sizes
        let gw = saved.kind.gateCount &* s.hidden
        let projection = saved.projection + rows.lowerBound &* gw  // (rows, G·H)
        let hPrev = saved.hiddenBefore + (rows.lowerBound &* s.steps &+ t) &* s.hidden  // (rows, H), stride T·H
        guard let panels = saved.hiddenWeightPanels else {
            sgemm(
                projection, ldc: gw, hPrev, lda: s.steps &* s.hidden, weightHH, ldb: s.hidden, m: rows.count, n: gw,
                k: s.hidden, transposeA: false, transposeB: true, beta: 0)
            return
        }
        seqkit_panel_gemm(projection, gw, hPrev, s.steps &* s.hidden, panels, rows.count, gw, s.hidden, 0)
    }

    /// Rows of the batch that one thread takes at a time in ``splitBatch(_:_:)``: one band of the AVX-512
    /// panel kernel.
    static let recurrentChunkRows = 8

    /// Runs `body(rows)` over the batch cut into chunks of about ``recurrentChunkRows`` sequences, on
    /// ``Threads/count`` threads of the worker team (``Threads/team(_:_:)``), each taking the next chunk until
    /// none is left. Sequences never read each other's rows, so a chunk's whole time loop runs inside one call:
    /// one hand-off per pass instead of one per step, and a thread that the machine's other work holds up
    /// takes fewer chunks instead of keeping the other waiting.
    static func splitBatch(_ saved: RecurrentActivations, _ body: (Range<Int>) -> Void) {
        let b = saved.sizes.batch
        // A whole number of chunks per thread, so no thread is left with one chunk more (50 sequences: 8
        // chunks of 6–7, not 7 of about 7, which left one thread 4 chunks against the other's 3).
        let threads = max(1, Threads.count)
        let perThread = max(1, ((b &+ recurrentChunkRows &- 1) / recurrentChunkRows &+ threads &- 1) / threads)
        let chunks = min(b, perThread &* threads)
        let next = Atomic<Int>(0)
        Threads.team(min(Threads.count, chunks)) { _ in
            while true {
                let c = next.wrappingAdd(1, ordering: .relaxed).oldValue
                if c >= chunks { return }
                body(b &* c / chunks..<b &* (c &+ 1) / chunks)
            }
        }
    }

    /// Copies the last step's h (and c) into the final-state outputs.
    static func endSequence(
        _ saved: RecurrentActivations, output: UnsafePointer<Float>, hT: UnsafeMutablePointer<Float>,
        cT: UnsafeMutablePointer<Float>?
    ) {
        let s = saved.sizes
        let (bs, ts, hs) = (s.batch, s.steps, s.hidden)
        if ts == 0 { return }
        for b in 0..<bs {
            (hT + b &* hs).update(from: output + (b &* ts &+ ts &- 1) &* hs, count: hs)
            if let cT { (cT + b &* hs).update(from: saved.cells + (b &* (ts &+ 1) &+ ts) &* hs, count: hs) }
        }
    }

    /// The working buffers of one backward pass, allocated once per call.
    struct BackwardScratch {
        /// (B, T, G·H): gradient of the gate pre-activations, as seen by the input projection.
        let dInput: UnsafeMutablePointer<Float>
        /// (B, T, G·H): the same as seen by the hidden projection (differs for the GRU's n gate).
        let dHidden: UnsafeMutablePointer<Float>
        /// (B, H): gradient flowing into `h_{t}` from step t + 1 (dh0 at the end).
        let dh: UnsafeMutablePointer<Float>
        /// (B, H): the same for the LSTM cell state.
        let dc: UnsafeMutablePointer<Float>
        /// `W_hh` (G·H, H) packed for the per-step products `dgates_t W_hh` (`seqkit_pack_panels`).
        let hiddenWeightPanels: UnsafeMutablePointer<Float>
        /// `W_ih` (G·H, I) packed for `dX += dgates W_ih` when B·T ≥ ``panelProductRows``, else nil.
        let inputWeightPanels: UnsafeMutablePointer<Float>?
        private let storage: TensorStorage

        init(
            _ saved: RecurrentActivations, weights: RecurrentWeights, dhT: UnsafePointer<Float>?,
            dcT: UnsafePointer<Float>?, separateHidden: Bool
        ) {
            let s = saved.sizes
            let gw = saved.kind.gateCount &* s.hidden
            let gates = s.batch &* s.steps &* gw
            let state = s.batch &* s.hidden
            let panels = seqkit_panel_size(gw, s.hidden)
            let panelInput = !saved.projectedInput && s.batch &* s.steps >= panelProductRows
            let inputPanels = panelInput ? seqkit_panel_size(gw, s.input) : 0
            storage = TensorStorage(
                capacity: gates &* (separateHidden ? 2 : 1) &+ 2 &* state &+ panels &+ inputPanels, zeroed: false)
            dInput = storage.base
            dHidden = separateHidden ? dInput + gates : dInput
            dh = dInput + gates &* (separateHidden ? 2 : 1)
            dc = dh + state
            hiddenWeightPanels = dc + state
            inputWeightPanels = panelInput ? hiddenWeightPanels + panels : nil
            seqkit_pack_panels(hiddenWeightPanels, weights.weightHH, s.hidden, gw, s.hidden, 0)
            if let inputWeightPanels, let weightIH = weights.weightIH {
                seqkit_pack_panels(inputWeightPanels, weightIH, s.input, gw, s.input, 0)
            }
            if let dhT { dh.update(from: dhT, count: state) } else { dh.update(repeating: 0, count: state) }
            if let dcT { dc.update(from: dcT, count: state) } else { dc.update(repeating: 0, count: state) }
        }
    }

    /// `dh[rows] = dgates_t[rows] W_hh` (plus what is there when `accumulate`), dgates_t read in place
    /// (row stride T·G·H).
    @inline(__always)
    static func recurrentGradient(
        _ saved: RecurrentActivations, _ scratch: BackwardScratch, step t: Int, rows: Range<Int>, accumulate: Bool
    ) {
        let s = saved.sizes
        let gw = saved.kind.gateCount &* s.hidden
        let dh = scratch.dh + rows.lowerBound &* s.hidden  // (rows, H)
        let dGates = scratch.dHidden + (rows.lowerBound &* s.steps &+ t) &* gw  // (rows, G·H), stride T·G·H
        seqkit_panel_gemm(
            dh, s.hidden, dGates, s.steps &* gw, scratch.hiddenWeightPanels, rows.count, s.hidden, gw,
            accumulate ? 1 : 0)
    }

    /// After the time loop: one gemm each for `dW_ih += dgatesᵀ X`, `dX += dgates W_ih`,
    /// `dW_hh += dgatesᵀ H_prev`, the bias sums, and the initial state's gradients.
    static func finishBackward(
        _ grads: RecurrentGradients, _ saved: RecurrentActivations, _ scratch: BackwardScratch,
        x: UnsafePointer<Float>, weights: RecurrentWeights
    ) {
        let s = saved.sizes
        let (rows, i, hs) = (s.batch &* s.steps, s.input, s.hidden)
        let gw = saved.kind.gateCount &* hs
        let state = s.batch &* hs
        if let dh0 = grads.h0 { for j in 0..<state { dh0[j] += scratch.dh[j] } }
        if let dc0 = grads.c0 { for j in 0..<state { dc0[j] += scratch.dc[j] } }
        if rows == 0 { return }
        if let dW = grads.weightIH {
            sgemm(
                dW, ldc: i, scratch.dInput, lda: gw, x, ldb: i, m: gw, n: i, k: rows, transposeA: true,
                transposeB: false, beta: 1)
        }
        if let dx = grads.input, let weightIH = weights.weightIH, scratch.inputWeightPanels == nil {  // else the chunks
            sgemm(
                dx, ldc: i, scratch.dInput, lda: gw, weightIH, ldb: i, m: rows, n: i, k: gw,
                transposeA: false, transposeB: false, beta: 1)
        }
        if let dW = grads.weightHH {
            sgemm(
                dW, ldc: hs, scratch.dHidden, lda: gw, saved.hiddenBefore, ldb: hs, m: gw, n: hs, k: rows,
                transposeA: true, transposeB: false, beta: 1)
        }
        if let dbih = grads.biasIH, let dbhh = grads.biasHH, scratch.dHidden == scratch.dInput {
            // One gradient feeds both biases (LSTM, RNN): sum its columns once.
            let sums = TensorStorage(capacity: gw, zeroed: true)
            withExtendedLifetime(sums) {
                addColumnSums(sums.base, scratch.dInput, rows: rows, n: gw)
                for j in 0..<gw {
                    dbih[j] += sums.base[j]
                    dbhh[j] += sums.base[j]
                }
            }
            return
        }
        if let db = grads.biasIH { addColumnSums(db, scratch.dInput, rows: rows, n: gw) }
        if let db = grads.biasHH { addColumnSums(db, scratch.dHidden, rows: rows, n: gw) }
    }

    /// `dst[j] += Σ_r src[r·n + j]`.
    static func addColumnSums(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, rows: Int, n: Int) {
        for r in 0..<rows {
            let row = src + r &* n
            for j in 0..<n { dst[j] += row[j] }
        }
    }

    /// `C = op(A) · op(B) + beta · C` with explicit leading dimensions, so a step's rows can be read in
    /// place from a batch-major (B, T, ·) buffer. Thread policy as ``gemm(_:_:_:m:n:k:transposeA:transposeB:alpha:beta:)``.
    @inline(__always)
    static func sgemm(
        _ c: UnsafeMutablePointer<Float>, ldc: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>,
        ldb: Int, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, beta: Float
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            if beta == 0 { for r in 0..<m { (c + r &* ldc).update(repeating: 0, count: n) } }
            return
        }
        if m == 1 && !transposeA {
            // One row (a generation step at batch 1): sgemv reads W once, where sgemm would first pack it.
            Threads.setBLASThreads(1)
            cblas_sgemv(
                CblasRowMajor, transposeB ? CblasNoTrans : CblasTrans, Int32(transposeB ? n : k),
                Int32(transposeB ? k : n), 1, b, Int32(ldb), a, 1, beta, c, 1)
            return
        }
        blasProduct(
            c, ldc: ldc, a, lda: lda, b, ldb: ldb, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
            alpha: 1, beta: beta)
    }

    /// `tanh(x)` through `Float.exp`, within about 3e-7 relative of the exact value: a Taylor polynomial
    /// below |x| = 1/8 (where `1 − e^−2|x|` would cancel), `(1 − e^−2|x|) / (1 + e^−2|x|)` above.
    /// glibc's `tanhf` goes through `expm1f` and took about a fifth of an LSTM's training step.
    ///
    /// `abs(Kernels.recurrentTanh(0.5) - 0.462_117_16) < 1e-7`
    @inline(__always) package static func recurrentTanh(_ x: Float) -> Float {
        let a = abs(x)
        if a < 0.125 {
            let x2 = x * x  // x − x³/3 + 2x⁵/15 − 17x⁷/315 + 62x⁹/2835
            return x * (1 + x2 * (-1 / 3 + x2 * (2 / 15 + x2 * (-17 / 315 + x2 * (62 / 2835)))))
        }
        let e = Float.exp(-2 * a)
        let t = (1 - e) / (1 + e)
        return x < 0 ? -t : t
    }

    /// `1 / (1 + e^−x)` without a branch: e^−x overflows to +∞ for very negative x, giving exactly 0.
    @inline(__always) package static func logistic(_ x: Float) -> Float { 1 / (1 + Float.exp(-x)) }
}
