import SeqAutograd
import SeqTensor

// Graph-free forward passes over caller-owned buffers, for generation: no Variables, no allocation.

extension Linear {
    /// `y (rows, out) = x (rows, in) · Wᵀ + b` into `y`; one row uses a matrix-vector product.
    public func infer(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int) {
        let w = weight.value
        let (o, i) = (outFeatures, inFeatures)
        if rows == 1 {
            Kernels.gemv(y, w.pointer, x, m: o, n: i)
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
