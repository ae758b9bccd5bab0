import ArgumentParser
import CBLAS
import Foundation
import SeqModels
import SeqTensor
import SeqTraining

/// One `cblas_sgemm` call of a training step, `count` times per step: `C (m, n) = op(A) · op(B)`, inner size k.
struct StepProduct {
    let name: String
    let m: Int
    let n: Int
    let k: Int
    let transposeA: Bool
    let transposeB: Bool
    let count: Int
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) }
}

/// The matrix products of one training step of `model` at `batch` rows: each linear map's forward
/// (`x·Wᵀ`), its gradient to the input (`dY·W`) and to the weight (`dYᵀ·x`); attention's four products per
/// (batch, head) and layer; for a recurrent stack the input projection over every step at once, and the
/// recurrent product of each time step with its two gradients.
func trainingStepProducts(_ model: ModelConfig, batch: Int) -> [StepProduct] {
    let (t, c, l, v) = (model.contextLength, model.embeddingSize, model.layers, model.vocabSize)
    let rows = batch * t
    var products: [StepProduct] = []
    func linear(_ name: String, rows: Int, inputs: Int, outputs: Int, count: Int) {
        products.append(
            StepProduct(name: name, m: rows, n: outputs, k: inputs, transposeA: false, transposeB: true, count: count))
        products.append(
            StepProduct(
                name: name + " dX", m: rows, n: inputs, k: outputs, transposeA: false, transposeB: false, count: count))
        products.append(
            StepProduct(
                name: name + " dW", m: outputs, n: inputs, k: rows, transposeA: true, transposeB: false, count: count))
    }
    switch model.kind {
    case .transformer:
        let hidden = model.mlpRatio * c
        linear("c_attn", rows: rows, inputs: c, outputs: 3 * c, count: l)
        linear("c_proj", rows: rows, inputs: c, outputs: c, count: l)
        linear("mlp.c_fc", rows: rows, inputs: c, outputs: hidden, count: l)
        linear("mlp.c_proj", rows: rows, inputs: hidden, outputs: c, count: l)
        linear("lm_head", rows: rows, inputs: c, outputs: v, count: 1)
        let d = c / model.heads
        let perHead = batch * model.heads * l
        // Forward q·kᵀ (T, T, d) and att·v (T, d, T); backward d(att) = dY·vᵀ, dv = attᵀ·dY, dq = dS·k, dk = dSᵀ·q.
        products += [
            StepProduct(name: "q·kᵀ", m: t, n: t, k: d, transposeA: false, transposeB: true, count: perHead),
            StepProduct(name: "att·v", m: t, n: d, k: t, transposeA: false, transposeB: false, count: perHead),
            StepProduct(name: "d(att)", m: t, n: t, k: d, transposeA: false, transposeB: true, count: perHead),
            StepProduct(name: "dv", m: t, n: d, k: t, transposeA: true, transposeB: false, count: perHead),
            StepProduct(name: "dq", m: t, n: d, k: t, transposeA: false, transposeB: false, count: perHead),
            StepProduct(name: "dk", m: t, n: d, k: t, transposeA: true, transposeB: false, count: perHead),
        ]
    case .rnn, .lstm, .gru:
        let gates = model.kind == .lstm ? 4 : model.kind == .gru ? 3 : 1
        let h = model.resolvedHiddenSize
        for layer in 0..<l {
            linear("layer \(layer) input", rows: rows, inputs: layer == 0 ? c : h, outputs: gates * h, count: 1)
            linear("layer \(layer) recurrent", rows: batch, inputs: h, outputs: gates * h, count: t)
        }
        linear("head", rows: rows, inputs: h, outputs: v, count: 1)
    }
    return products
}

/// `seqbench ceiling`: how fast OpenBLAS runs the products of one training step, against its square peak.
struct CeilingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ceiling",
        abstract: "GFLOP/s of raw cblas_sgemm on exactly the products one training step of a config runs.",
        discussion: """
            Every linear map's forward and both gradients, attention's products per head, a recurrent stack's \
            per-step products; each timed alone with warm caches, split over the threads and on one thread \
            (counted as if `threads` such products ran side by side, one per core), the better of the two. \
            Their total rate over the 2048³ peak on the same threads is the MFU a training step could reach \
            with this BLAS if nothing but these products took time.
            """)

    @OptionGroup var options: ModelOptions

    @Option(help: "Side of the square reference product.")
    var size = 2048

    func run() throws {
        try reportingErrors { try measure() }
    }

    func measure() throws {
        try options.check()
        guard size >= 64 else { throw OptionError("--size must be at least 64 (the peak is a large square product)") }
        let bench = try BenchModel(options)
        let threads = Threads.count
        openblas_set_num_threads(Int32(threads))
        let products = trainingStepProducts(bench.config.model, batch: bench.config.training.batchSize)
        let largest = products.map { max($0.m * $0.k, $0.k * $0.n, $0.m * $0.n) }.max() ?? 1
        var rng = SeededGenerator(seed: 1)
        let a = Tensor(randomNormal: [largest], using: &rng)
        let b = Tensor(randomNormal: [largest], using: &rng)
        let out = Tensor(zeros: [largest])
        var flops = 0.0
        var seconds = 0.0
        print("products of one \(bench.name) training step, \(threads) thread(s), raw cblas_sgemm:")
        for p in products {
            func call(_ threads: Int) -> Double {
                openblas_set_num_threads(Int32(threads))
                return time {
                    cblas_sgemm(
                        CblasRowMajor, p.transposeA ? CblasTrans : CblasNoTrans,
                        p.transposeB ? CblasTrans : CblasNoTrans, Int32(p.m), Int32(p.n), Int32(p.k), 1, a.pointer,
                        Int32(p.transposeA ? p.m : p.k), b.pointer, Int32(p.transposeB ? p.k : p.n), 0, out.pointer,
                        Int32(p.n))
                }
            }
            // The better of one product split over the threads and `threads` products side by side, one per
            // core (its 1-thread time divided by the thread count: perfect scaling, an upper bound).
            let split = call(threads)
            let sideBySide = threads > 1 ? call(1) / Double(threads) : split
            let best = min(split, sideBySide)
            flops += p.flops * Double(p.count)
            seconds += best * Double(p.count)
            let shape = "\(p.m)x\(p.k)·\(p.k)x\(p.n) ×\(p.count)"
            let how = best == split ? "split" : "side by side"
            print(
                "  \(p.name.padding(toLength: 26, withPad: " ", startingAt: 0)) "
                    + "\(shape.padding(toLength: 28, withPad: " ", startingAt: 0)) "
                    + String(format: "%6.1f GFLOP/s ", p.flops / best / 1e9) + how)
        }
        let peak = sgemmPeak(size: size, threads: threads).rate  // sets OpenBLAS back to `threads`
        let rate = flops / seconds / 1e9
        print(
            String(
                format: "all: %.3f GFLOP in %.1f ms = %.1f GFLOP/s; sgemm %d³ %.1f GFLOP/s; ceiling %.1f%% of it",
                flops / 1e9, seconds * 1e3, rate, size, peak, 100 * rate / peak))
        let record = Record(
            workload: "ceiling", config: bench.name, threads: threads, parameters: bench.model.arena.count,
            rate: rate, unit: "GFLOP/s", cpuRate: rate, peakRSSMiB: peakResidentMiB(),
            details: ["flops_per_step": flops, "peak_gflops": peak, "ceiling_fraction": rate / peak])
        if let json = options.json { try writeJSON(record, to: json) }
    }
}
