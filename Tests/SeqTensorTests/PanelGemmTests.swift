import CSeqKernels
import Foundation
import SeqTensor
import Testing

// The recurrent step product (weight packed once into 16-column panels, rows read in place with a stride)
// against a naive double-precision loop: odd sizes for the band split (1…7 rows, 25 = five bands of 5) and
// the zero-padded last panel (n not a multiple of 16 or 8), both packing directions, with and without
// accumulation into C, for each of the three versions (portable, AVX2, AVX-512) this CPU can run.

private func uniform(_ n: Int, _ rng: inout SeededGenerator) -> [Float] {
    (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
}

@Test(arguments: [
    (1, 1, 1), (2, 8, 3), (3, 13, 5), (5, 16, 16), (7, 17, 9), (6, 40, 33), (25, 512, 128), (25, 128, 512),
    (13, 384, 128), (50, 128, 384), (4, 0, 3), (3, 24, 0),
])
func panelGemmMatchesNaiveProduct(m: Int, n: Int, k: Int) {
    var rng = SeededGenerator(seed: UInt64(1000 + m * 31 + n * 7 + k))
    let lda = k + 3  // rows read with a stride, as a step's rows in a (B, T, H) buffer
    let a = uniform(m * lda, &rng)
    let b = uniform(k * n, &rng)  // (k, n)
    let bT = (0..<(n * k)).map { b[($0 % k) * n + $0 / k] }  // (n, k): the layout of W_hh
    let ldc = n + 2
    let c0 = uniform(m * ldc, &rng)
    for transposed in [false, true] {
        var packed = [Float](repeating: .nan, count: seqkit_panel_size(k, n))
        if transposed {
            seqkit_pack_panels(&packed, bT, k, k, n, 1)
        } else {
            seqkit_pack_panels(&packed, b, n, k, n, 0)
        }
        for (kernel, accumulate) in [0, 1, 2].flatMap({ k in [false, true].map { (Int32(k), $0) } }) {
            var c = c0
            if !accumulate { for r in 0..<m { for j in 0..<n { c[r * ldc + j] = .nan } } }
            seqkit_panel_gemm_with(kernel, &c, ldc, a, lda, packed, m, n, k, accumulate ? 1 : 0)
            var worst = 0.0
            for r in 0..<m {
                for j in 0..<n {
                    var s = accumulate ? Double(c0[r * ldc + j]) : 0
                    for p in 0..<k { s += Double(a[r * lda + p]) * Double(b[p * n + j]) }
                    worst = max(worst, abs(Double(c[r * ldc + j]) - s))
                }
                for j in n..<ldc { #expect(c[r * ldc + j] == c0[r * ldc + j], "padding column \(j) written") }
            }
            #expect(worst < 1e-5 * Double(max(k, 1)), "m \(m) n \(n) k \(k) transposed \(transposed) kernel \(kernel)")
        }
    }
}

/// `y = x·Wᵀ + b` on packed weights, against a double-precision loop: stacked parts (the query, key and value
/// projections packed as one), every epilogue, rows strided on both sides, sizes that cross the column chunks,
/// and (from 40 × 1152 × 384 up, on a machine with several cores) products split over the worker team.
@Test(arguments: [(1, 16, 1), (5, 48, 7), (2, 24, 8), (13, 96, 384), (40, 1152, 384), (3, 32, 1536), (64, 936, 64)])
func packedProductMatchesNaiveLinear(m: Int, n: Int, k: Int) {
    var rng = SeededGenerator(seed: UInt64(77 + m * 13 + n + k))
    let (ldx, ldy) = (k + 5, n + 3)
    let x = uniform(m * ldx, &rng)
    let w = uniform(n * k, &rng)  // (n, k) rows of W
    let bias = uniform(n, &rng)
    let y0 = uniform(m * ldy, &rng)
    let part = n % 3 == 0 ? n / 3 : n  // three parts as a block's query, key and value, of any row count
    func check(_ packed: PackedWeights, panelled: Bool) {
        func gelu(_ v: Double, _ form: GELU) -> Double {
            switch form {
            case .exact: return 0.5 * v * (1 + erf(v / 2.0.squareRoot()))
            case .tanh:
                let inner: Double = (2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)
                return 0.5 * v * (1 + Foundation.tanh(inner))
            }
        }
        let epilogues: [Kernels.PackedEpilogue] = [.store, .accumulate, .gelu(.exact), .gelu(.tanh)]
        for (e, epilogue) in epilogues.enumerated() {
            for withBias in [true, false] {
                var y = y0
                bias.withUnsafeBufferPointer { b in
                    Kernels.packedProduct(
                        &y, ldy: ldy, x, ldx: ldx, packed, bias: withBias ? b.baseAddress : nil, rows: m,
                        epilogue: epilogue)
                }
                var worst = 0.0
                for r in 0..<m {
                    for j in 0..<n {
                        var s = withBias ? Double(bias[j]) : 0
                        for p in 0..<k { s += Double(x[r * ldx + p]) * Double(w[j * k + p]) }
                        switch epilogue {
                        case .accumulate: s += Double(y0[r * ldy + j])
                        case .gelu(let form): s = gelu(s, form)
                        case .store: break
                        }
                        worst = max(worst, abs(Double(y[r * ldy + j]) - s))
                    }
                    for j in n..<ldy { #expect(y[r * ldy + j] == y0[r * ldy + j], "padding column \(j) written") }
                }
                #expect(
                    worst < 2e-6 * Double(k), "m \(m) n \(n) k \(k) epilogue \(e) bias \(withBias) panelled \(panelled)"
                )
            }
        }
    }
    for panelled in [true, false] {  // the panel kernel, and BLAS on the rows where it has no vector code
        let packed = w.withUnsafeBufferPointer { p in
            PackedWeights(
                stride(from: 0, to: n, by: part).map { (p.baseAddress! + $0 * k, min(part, n - $0)) }, k: k,
                panelled: panelled)
        }
        check(packed, panelled: panelled)
    }
}
