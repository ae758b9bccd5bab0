import ArgumentParser
import CBLAS
import Foundation
import SeqAutograd
import SeqTensor

/// One matrix product `(batch ×) (m, k) · (n, k)ᵀ`.
struct Shape {
    let name: String
    let m: Int
    let n: Int
    let k: Int
    let batch: Int
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(batch) }
}

/// The products the configs' models run, and square reference points.
let shapes = [
    // tiny-gpt: B·T = 12·64 = 768 rows, C = 128, 4 heads of 32, V = 65.
    Shape(name: "tiny-gpt c_attn 768x128 -> 384", m: 768, n: 384, k: 128, batch: 1),
    Shape(name: "tiny-gpt c_proj 768x128 -> 128", m: 768, n: 128, k: 128, batch: 1),
    Shape(name: "tiny-gpt mlp.c_fc 768x128 -> 512", m: 768, n: 512, k: 128, batch: 1),
    Shape(name: "tiny-gpt mlp.c_proj 768x512 -> 128", m: 768, n: 128, k: 512, batch: 1),
    Shape(name: "tiny-gpt lm_head 768x128 -> 65", m: 768, n: 65, k: 128, batch: 1),
    Shape(name: "tiny-gpt q·kᵀ 48 x (64x32·32x64)", m: 64, n: 64, k: 32, batch: 48),
    // char-lstm: B = 50, T = 50, E = H = 128, 4H = 512, V = 65.
    Shape(name: "char-lstm x·W_ih 2500x128 -> 512", m: 2500, n: 512, k: 128, batch: 1),
    Shape(name: "char-lstm h·W_hh 50x128 -> 512", m: 50, n: 512, k: 128, batch: 1),
    Shape(name: "char-lstm head 2500x128 -> 65", m: 2500, n: 65, k: 128, batch: 1),
    // gpt-10m: B·T = 16·256 = 4096 rows, C = 384, 6 heads of 64.
    Shape(name: "gpt-10m c_attn 4096x384 -> 1152", m: 4096, n: 1152, k: 384, batch: 1),
    Shape(name: "gpt-10m mlp.c_fc 4096x384 -> 1536", m: 4096, n: 1536, k: 384, batch: 1),
    Shape(name: "gpt-10m q·kᵀ 96 x (256x64·64x256)", m: 256, n: 256, k: 64, batch: 96),
    // Reference points.
    Shape(name: "square 128", m: 128, n: 128, k: 128, batch: 1),
    Shape(name: "square 512", m: 512, n: 512, k: 512, batch: 1),
    Shape(name: "square 1024", m: 1024, n: 1024, k: 1024, batch: 1),
]

/// Median seconds per call over `repeats` timed blocks of calls lasting at least `minimum` seconds each.
func time(repeats: Int = 5, minimum: Double = 0.05, _ body: () -> Void) -> Double {
    for _ in 0..<3 { body() }  // warm-up
    var samples: [Double] = []
    for _ in 0..<repeats {
        var calls = 0
        let clock = Stopwatch()
        repeat {
            body()
            calls += 1
        } while clock.wall < minimum
        samples.append(clock.wall / Double(calls))
    }
    return samples.sorted()[repeats / 2]
}

/// GFLOP/s of raw `cblas_sgemm` on `threads` OpenBLAS threads and of SeqKit's `matmul` with its thread policy.
func measure(_ s: Shape, threads: Int) -> (raw: Double, seqkit: Double) {
    var rng = SeededGenerator(seed: 1)
    let a = Tensor(randomNormal: [s.batch, s.m, s.k], using: &rng)
    let b = Tensor(randomNormal: [s.batch, s.n, s.k], using: &rng)  // stored (N, K): a Linear weight
    let c = Tensor(zeros: [s.batch, s.m, s.n])
    openblas_set_num_threads(Int32(threads))
    let raw = time {
        for i in 0..<s.batch {
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(s.m), Int32(s.n), Int32(s.k), 1,
                a.pointer + i * s.m * s.k, Int32(s.k), b.pointer + i * s.n * s.k, Int32(s.k), 0,
                c.pointer + i * s.m * s.n, Int32(s.n))
        }
    }
    Threads.configure(threads)
    let va = Variable(a, requiresGrad: true)
    let vb = Variable(s.batch == 1 ? b.reshaped([s.n, s.k]) : b, requiresGrad: true)
    let seqkit = time { _ = matmul(va, vb, transposeB: true) }
    return (s.flops / raw / 1e9, s.flops / seqkit / 1e9)
}

/// The machine's sgemm peak: raw `cblas_sgemm` of `size`³ on `threads` OpenBLAS threads (0 = automatic).
func sgemmPeak(size: Int, threads: Int) -> Record {
    Threads.configure(threads)
    let n = Threads.count
    var rng = SeededGenerator(seed: 1)
    let a = Tensor(randomNormal: [size, size], using: &rng)
    let b = Tensor(randomNormal: [size, size], using: &rng)
    let c = Tensor(zeros: [size, size])
    openblas_set_num_threads(Int32(n))
    let clock = Stopwatch()
    let seconds = time(minimum: 0.2) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(size), Int32(size), Int32(size), 1, a.pointer,
            Int32(size), b.pointer, Int32(size), 0, c.pointer, Int32(size))
    }
    let flops = 2 * Double(size) * Double(size) * Double(size)
    return Record(
        workload: "peak", config: "sgemm \(size)^3", threads: n, parameters: 0, rate: flops / seconds / 1e9,
        unit: "GFLOP/s", cpuRate: flops / seconds / 1e9 * clock.wall / max(clock.cpu, 1e-9),
        peakRSSMiB: peakResidentMiB(),
        details: ["size": Double(size), "seconds_per_call": seconds])
}

/// `seqbench matmul`: the per-shape GFLOP/s table.
struct MatmulCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matmul",
        abstract: "GFLOP/s of raw cblas_sgemm and of SeqKit's matmul at the configs' shapes, per thread count.",
        discussion: """
            raw = cblas_sgemm alone; SeqKit = matmul on Variables (tensor allocation, shape checks and graph \
            recording included) with SeqKit's thread policy; overhead = raw / SeqKit - 1.
            """)

    @Option(help: "Comma-separated thread counts to measure.")
    var threads = "1,2"

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    func run() throws {
        try reportingErrors {
            let counts = threads.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw OptionError("--threads takes positive counts separated by commas, e.g. 1,2; got '\(threads)'")
            }
            try matmulTable(threadCounts: counts.map { $0! }, json: json)
        }
    }
}

/// One row of the matmul table in JSON.
struct MatmulRecord: Codable {
    var shape: String
    var threads: Int
    var rawGFLOPs: Double
    var seqkitGFLOPs: Double
    var overheadPercent: Double

    enum CodingKeys: String, CodingKey {
        case shape, threads
        case rawGFLOPs = "raw_gflops"
        case seqkitGFLOPs = "seqkit_gflops"
        case overheadPercent = "overhead_pct"
    }
}

/// Prints the matmul table (median of 5 per cell) and writes it as JSON when asked.
func matmulTable(threadCounts: [Int], json: String?) throws {
    print(
        "matmul GFLOP/s, median of 5 (raw = cblas_sgemm alone; SeqKit = matmul on Variables, with its thread policy)")
    print(
        "shape".padding(toLength: 38, withPad: " ", startingAt: 0)
            + threadCounts.map { "raw@\($0)  seqkit@\($0)  overhead " }.joined())
    var records: [MatmulRecord] = []
    for s in shapes {
        var line = s.name.padding(toLength: 38, withPad: " ", startingAt: 0)
        for t in threadCounts {
            let (raw, seq) = measure(s, threads: t)
            let overhead = (raw / seq - 1) * 100
            line += String(format: "%6.1f  %9.1f  %+7.1f%%  ", raw, seq, overhead)
            records.append(
                MatmulRecord(shape: s.name, threads: t, rawGFLOPs: raw, seqkitGFLOPs: seq, overheadPercent: overhead))
        }
        print(line)
    }
    if let json { try writeJSON(records, to: json) }
}
