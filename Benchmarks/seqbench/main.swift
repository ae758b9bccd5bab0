// seqbench: release-mode benchmarks of the SeqKit tensor core.
//
//   swift run -c release seqbench matmul [--threads 1,2] [--json FILE]
//
// Reports GFLOP/s of raw cblas_sgemm and of SeqKit's `matmul` (tensor allocation, shape checks and
// graph recording included) at the shapes the tiny-gpt and char-lstm configs use, per thread count,
// and the tensor core's overhead over raw sgemm.
import CBLAS
import Foundation
import SeqAutograd
import SeqTensor

struct Shape {
    let name: String
    let m: Int
    let n: Int
    let k: Int
    let batch: Int
    var flops: Double { 2 * Double(m) * Double(n) * Double(k) * Double(batch) }
}

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
        let start = DispatchTime.now().uptimeNanoseconds
        var elapsed = 0.0
        repeat {
            body()
            calls += 1
            elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        } while elapsed < minimum
        samples.append(elapsed / Double(calls))
    }
    return samples.sorted()[repeats / 2]
}

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

var arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.first == "matmul" else {
    print("usage: seqbench matmul [--threads 1,2] [--json FILE]")
    exit(arguments.isEmpty ? 0 : 2)
}
var threadCounts = [1, 2]
var jsonPath: String?
var i = 1
while i < arguments.count {
    switch arguments[i] {
    case "--threads" where i + 1 < arguments.count:
        threadCounts = arguments[i + 1].split(separator: ",").compactMap { Int($0) }
        i += 2
    case "--json" where i + 1 < arguments.count:
        jsonPath = arguments[i + 1]
        i += 2
    default:
        print("seqbench: unknown option '\(arguments[i])'; try --threads 1,2 or --json FILE")
        exit(2)
    }
}

print("matmul GFLOP/s, median of 5 (raw = cblas_sgemm alone; SeqKit = matmul on Variables, with its thread policy)")
print(
    "shape".padding(toLength: 38, withPad: " ", startingAt: 0)
        + threadCounts.map { "raw@\($0)  seqkit@\($0)  overhead " }.joined())
var records: [[String: Any]] = []
for s in shapes {
    var line = s.name.padding(toLength: 38, withPad: " ", startingAt: 0)
    for t in threadCounts {
        let (raw, seq) = measure(s, threads: t)
        let overhead = (raw / seq - 1) * 100
        line += String(format: "%6.1f  %9.1f  %+7.1f%%  ", raw, seq, overhead)
        records.append([
            "shape": s.name, "threads": t, "raw_gflops": raw, "seqkit_gflops": seq, "overhead_pct": overhead,
        ])
    }
    print(line)
}
if let jsonPath {
    let data = try JSONSerialization.data(withJSONObject: records, options: [.prettyPrinted, .sortedKeys])
    try data.write(to: URL(fileURLWithPath: jsonPath))
}
