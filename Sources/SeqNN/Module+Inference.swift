import CSeqKernels
import SeqAutograd
import SeqTensor

// Graph-free forward passes over caller-owned buffers, for generation: no Variables, no allocation.

extension Linear {
    /// `y (rows, out) = x (rows, in) · Wᵀ + b` into `y`, then the GELU of that form (the training kernel) when
    /// `gelu` is set.
    /// One row is a matrix-vector product (which applies the GELU as it writes when there is no bias). A few
    /// rows (a decoder's slide) are too small for OpenBLAS's own threads, so they are split over the worker
    /// team, each part a one-thread product.
    public func infer(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, gelu: GELU? = nil) {
        let (o, i) = (outFeatures, inFeatures)
        let parts = rows >= 8 && rows &* o &* i < Threads.gemmThreshold ? min(Threads.count, rows / 4) : 1
        if parts <= 1 {
            inferRows(y, x, rows: rows, gelu: gelu)
            return
        }
        Threads.team(parts) { part in
            let (first, end) = (rows &* part / parts, rows &* (part &+ 1) / parts)
            inferRows(y + first &* o, x + first &* i, rows: end &- first, gelu: gelu)
        }
    }

    private func inferRows(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, gelu: GELU?) {
        let w = weight.value
        let (o, i) = (outFeatures, inFeatures)
        if rows == 1 {
            Kernels.gemv(y, w.pointer, x, m: o, n: i, gelu: bias == nil ? gelu : nil)
            if bias == nil { return }
        } else {
            Kernels.gemm(y, x, w.pointer, m: rows, n: o, k: i, transposeB: true)
        }
        if let bias {
            let b = bias.value.pointer
            for r in 0..<rows {
                let row = y + r &* o
                for j in 0..<o { row[j] += b[j] }
            }
        }
        if let gelu { Kernels.gelu(y, y, rows &* o, gelu) }
    }
}

extension LayerNorm {
    /// Normalizes `rows` rows of `x` into `y`; `scratch` holds 2·rows floats.
    public func infer(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        Kernels.layerNorm(
            y, mean: scratch, rstd: scratch + rows, x, weight: weight.value.pointer, bias: bias?.value.pointer,
            rows: rows, n: weight.shape[0], epsilon: epsilon)
    }
}

// MARK: - Recurrent stack, one step without the graph

/// Per-layer state and scratch for ``Recurrent/infer(_:state:)``: `h` (and `c` for the LSTM) of every
/// layer, (B, H) each, allocated once.
package final class RecurrentStepState {
    package let batch: Int
    let hidden: Int
    let layers: Int
    let hasCell: Bool
    /// (layers, B, H) hidden states, then (layers, B, H) cell states for the LSTM.
    let memory: UnsafeMutablePointer<Float>
    let gates: UnsafeMutablePointer<Float>  // (B, G·H) input projections and pre-activations
    let recurrent: UnsafeMutablePointer<Float>  // (B, G·H) hidden projections
    let cell: UnsafeMutablePointer<Float>  // (B, H) tanh(c_t) of the LSTM, W_hn h + b_hn of the GRU

    init(batch: Int, hidden: Int, layers: Int, gates: Int, hasCell: Bool) {
        (self.batch, self.hidden, self.layers, self.hasCell) = (batch, hidden, layers, hasCell)
        let count = (hasCell ? 2 : 1) * layers * batch * hidden
        memory = .allocate(capacity: count)
        memory.initialize(repeating: 0, count: count)
        self.gates = .allocate(capacity: batch * gates * hidden)
        recurrent = .allocate(capacity: batch * gates * hidden)
        cell = .allocate(capacity: batch * hidden)
    }

    deinit {
        memory.deallocate()
        gates.deallocate()
        recurrent.deallocate()
        cell.deallocate()
    }

    /// Layer `k`'s hidden state (B, H).
    func h(_ k: Int) -> UnsafeMutablePointer<Float> { memory + k * batch * hidden }
    /// Layer `k`'s LSTM cell state (B, H).
    func c(_ k: Int) -> UnsafeMutablePointer<Float> { memory + (layers + k) * batch * hidden }

    /// Zero state.
    package func reset() { memory.update(repeating: 0, count: (hasCell ? 2 : 1) * layers * batch * hidden) }

    /// Sequence `b` takes the state of sequence `parents[b]`.
    package func reorder(_ parents: [Int]) {
        precondition(
            parents.count == batch && parents.allSatisfy { (0..<batch).contains($0) }, "bad parents \(parents)")
        for k in 0..<((hasCell ? 2 : 1) * layers) {
            gatherRows(memory + k * batch * hidden, parents, rowStride: hidden, count: hidden)
        }
    }
}

extension Recurrent {
    /// Zero state and scratch for ``infer(_:state:)`` over `batch` sequences.
    package func makeStepState(batch: Int) -> RecurrentStepState {
        precondition(!bidirectional, "\(kind): a bidirectional stack reads the whole window; it cannot step")
        return RecurrentStepState(
            batch: batch, hidden: hiddenSize, layers: layers, gates: kind.gateCount, hasCell: kind == .lstm)
    }

    /// One time step without the graph: `x` (B, in) → the top layer's new `h` (B, H), the same equations
    /// as the sequence forward: matrix-vector products, then the training's own C cell kernels (LSTM, GRU).
    /// Allocates nothing.
    package func infer(_ x: UnsafePointer<Float>, state s: RecurrentStepState) -> UnsafePointer<Float> {
        let (b, h) = (s.batch, hiddenSize)
        let g = kind.gateCount * h
        var input = x
        for k in 0..<layers {
            let width = k == 0 ? inputSize : h
            let hk = s.h(k)
            project(s.gates, input, weightIH[k].value.pointer, rows: b, out: g, in: width, accumulate: false)
            project(s.recurrent, hk, weightHH[k].value.pointer, rows: b, out: g, in: h, accumulate: false)
            // The cell kernels take the input projection with every bias folded in but the GRU's b_hn, which
            // sits inside r ⊙ (W_hn h + b_hn).
            let folded = kind == .gru ? 2 &* h : g
            if hasBias {
                let (bi, bh) = (biasIH[k].value.pointer, biasHH[k].value.pointer)
                for r in 0..<b {
                    let row = s.gates + r &* g
                    for j in 0..<g { row[j] += bi[j] }
                    for j in 0..<folded { row[j] += bh[j] }
                }
            }
            let bhn = hasBias && kind == .gru ? UnsafePointer(biasHH[k].value.pointer + 2 &* h) : nil
            for r in 0..<b {
                let (gate, rec) = (s.gates + r &* g, UnsafePointer(s.recurrent + r &* g))
                let hr = hk + r &* h
                switch kind {
                case .rnnTanh, .rnnRelu:
                    for j in 0..<h { gate[j] += rec[j] }
                    if kind == .rnnTanh {
                        Kernels.tanh(hr, gate, h)
                    } else {
                        for j in 0..<h { hr[j] = max(gate[j], 0) }
                    }
                case .lstm:
                    let cr = s.c(k) + r &* h
                    seqkit_lstm_forward_row(h, gate, rec, cr, cr, s.cell + r &* h, hr)
                case .gru:
                    seqkit_gru_forward_row(h, gate, rec, bhn, hr, s.cell + r &* h, hr)
                }
            }
            input = UnsafePointer(hk)
        }
        return input
    }

    /// `y (rows, out) (+)= x (rows, in) · Wᵀ`.
    private func project(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, rows: Int, out: Int,
        in width: Int, accumulate: Bool
    ) {
        if rows == 1 {
            Kernels.gemv(y, w, x, m: out, n: width, beta: accumulate ? 1 : 0)
        } else {
            Kernels.gemm(y, x, w, m: rows, n: out, k: width, transposeB: true, beta: accumulate ? 1 : 0)
        }
    }
}
