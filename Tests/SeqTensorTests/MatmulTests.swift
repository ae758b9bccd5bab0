import SeqTensor
import Testing
import _SeqTestSupport

/// Naive triple loop over stored layouts: the reference for every transpose combination.
private func naiveProduct(
    _ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool
) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var s: Double = 0
            for p in 0..<k {
                let x = transposeA ? a[p * m + i] : a[i * k + p]
                let y = transposeB ? b[j * k + p] : b[p * n + j]
                s += Double(x) * Double(y)
            }
            c[i * n + j] = Float(s)
        }
    }
    return c
}

@Test(arguments: [(1, 1, 1), (3, 5, 7), (17, 4, 9), (64, 33, 65), (2, 128, 3)])
func gemmMatchesNaiveLoopForEveryTransposeCombination(m: Int, n: Int, k: Int) {
    var rng = SeededGenerator(seed: UInt64(m * 1000 + n * 10 + k))
    for transposeA in [false, true] {
        for transposeB in [false, true] {
            let a = Tensor(randomNormal: transposeA ? [k, m] : [m, k], using: &rng)
            let b = Tensor(randomNormal: transposeB ? [n, k] : [k, n], using: &rng)
            let c = Tensor(zeros: [m, n])
            Kernels.gemm(
                c.pointer, a.pointer, b.pointer, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
            let expected = naiveProduct(
                a.toArray(), b.toArray(), m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
            #expect(
                relativeError(c.toArray(), expected) < 1e-5,
                "m=\(m) n=\(n) k=\(k) tA=\(transposeA) tB=\(transposeB)")
        }
    }
}

@Test func gemmHonoursAlphaAndBeta() {
    var rng = SeededGenerator(seed: 3)
    let (m, n, k) = (4, 6, 5)
    let a = Tensor(randomNormal: [m, k], using: &rng)
    let b = Tensor(randomNormal: [k, n], using: &rng)
    let c0 = Tensor(randomNormal: [m, n], using: &rng)
    let c = c0.copy()
    Kernels.gemm(c.pointer, a.pointer, b.pointer, m: m, n: n, k: k, alpha: 2, beta: 0.5)
    let product = naiveProduct(a.toArray(), b.toArray(), m: m, n: n, k: k, transposeA: false, transposeB: false)
    let expected = zip(product, c0.toArray()).map { 2 * $0 + 0.5 * $1 }
    #expect(relativeError(c.toArray(), expected) < 1e-5)
}

@Test(arguments: [false, true])
func batchedGemmMatchesPerBatchProducts(sharedB: Bool) {
    var rng = SeededGenerator(seed: 11)
    let (batch, m, n, k) = (3, 5, 4, 7)
    for transposeA in [false, true] {
        for transposeB in [false, true] {
            let a = Tensor(randomNormal: [batch, transposeA ? k : m, transposeA ? m : k], using: &rng)
            let b = Tensor(randomNormal: (sharedB ? [] : [batch]) + (transposeB ? [n, k] : [k, n]), using: &rng)
            let c = Tensor(zeros: [batch, m, n])
            Kernels.batchedGemm(
                c.pointer, a.pointer, b.pointer, batch: batch, m: m, n: n, k: k, strideA: m * k,
                strideB: sharedB ? 0 : k * n, strideC: m * n, transposeA: transposeA, transposeB: transposeB)
            let av = a.toArray()
            let bv = b.toArray()
            for i in 0..<batch {
                let ai = Array(av[(i * m * k)..<((i + 1) * m * k)])
                let bi = sharedB ? bv : Array(bv[(i * k * n)..<((i + 1) * k * n)])
                let expected = naiveProduct(ai, bi, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
                let got = Array(c.toArray()[(i * m * n)..<((i + 1) * m * n)])
                #expect(relativeError(got, expected) < 1e-5)
            }
        }
    }
}

@Test func emptyInnerDimensionGivesZerosOrScaledC() {
    let c = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
    let dummy = Tensor(zeros: [1])
    Kernels.gemm(c.pointer, dummy.pointer, dummy.pointer, m: 2, n: 2, k: 0, beta: 0)
    #expect(c.toArray() == [0, 0, 0, 0])
}

/// The batch-1 product: vector rows of 16 and the scalar rest (n not a multiple of 16, rows not a multiple
/// of 4), a row stride wider than the row, β = 0 (y not read, so NaN there stays out) and β = 1, and both
/// the one-thread and the team-split paths (every matrix here is at least 16K elements or far below).
@Test(arguments: [(1, 1), (5, 16), (7, 33), (130, 128), (385, 128), (512, 128), (128, 512), (65, 128)])
func gemvMatchesNaiveLoopWithAndWithoutAccumulation(m: Int, n: Int) {
    var rng = SeededGenerator(seed: UInt64(m * 7 + n))
    let lda = n + 3
    let a = Tensor(randomNormal: [m, lda], using: &rng)
    let x = Tensor(randomNormal: [n], using: &rng)
    let y0 = Tensor(randomNormal: [m], using: &rng)
    var expected = [Float](repeating: 0, count: m)
    let (av, xv) = (a.toArray(), x.toArray())
    for r in 0..<m {
        var s: Double = 0
        for j in 0..<n { s += Double(av[r * lda + j]) * Double(xv[j]) }
        expected[r] = Float(s)
    }
    let y = Tensor(zeros: [m])
    y.pointer.update(repeating: .nan, count: m)
    Kernels.gemv(y.pointer, a.pointer, x.pointer, m: m, n: n, lda: lda)
    #expect(relativeError(y.toArray(), expected) < 1e-5, "m=\(m) n=\(n) β=0")
    let accumulated = y0.copy()
    Kernels.gemv(accumulated.pointer, a.pointer, x.pointer, m: m, n: n, beta: 1, lda: lda)
    #expect(relativeError(accumulated.toArray(), zip(expected, y0.toArray()).map(+)) < 1e-5, "m=\(m) n=\(n) β=1")
}

/// Every part of a team run happens exactly once, also when parts outnumber the cores, when a part itself
/// starts a team run (which then runs serially), and when several threads call at once.
@Test func teamRunsEveryPartOnceIncludingNestedAndConcurrentCalls() async {
    for parts in [1, 2, 3, 8] {
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: parts * parts)
        counts.initialize(repeating: 0, count: parts * parts)
        defer { counts.deallocate() }
        for _ in 0..<50 {
            Threads.team(parts) { outer in
                Threads.team(parts) { inner in counts[outer * parts + inner] += 1 }
            }
        }
        #expect((0..<(parts * parts)).allSatisfy { counts[$0] == 50 }, "parts=\(parts)")
    }
    let sums = await withTaskGroup(of: Int.self) { group in
        for caller in 0..<4 {
            group.addTask {
                let cells = UnsafeMutablePointer<Int>.allocate(capacity: 2)
                defer { cells.deallocate() }
                var total = 0
                for _ in 0..<200 {
                    cells.initialize(repeating: 0, count: 2)
                    Threads.team(2) { part in cells[part] = caller + part + 1 }
                    total += cells[0] + cells[1]
                }
                return total
            }
        }
        var all: [Int] = []
        for await sum in group { all.append(sum) }
        return all.sorted()
    }
    #expect(sums == (0..<4).map { 200 * (2 * $0 + 3) })
}

/// Products of 2²² multiply-adds or more are cut into slabs on the worker team (rows when M ≥ N, else
/// columns): every transpose combination, alpha and beta, and C inside a wider matrix (ldc > N) still match
/// the naive loop, including a slab boundary that does not fall on a multiple of 16.
@Test(arguments: [(300, 120, 128), (100, 331, 128)])
func splitProductsMatchNaiveLoop(m: Int, n: Int, k: Int) {
    #expect(m * n * k >= Threads.gemmThreshold)
    var rng = SeededGenerator(seed: UInt64(m + n))
    let ldc = n + 3
    for transposeA in [false, true] {
        for transposeB in [false, true] {
            let a = Tensor(randomNormal: transposeA ? [k, m] : [m, k], using: &rng)
            let b = Tensor(randomNormal: transposeB ? [n, k] : [k, n], using: &rng)
            let c0 = Tensor(randomNormal: [m, ldc], using: &rng)
            let c = c0.copy()
            Kernels.gemm(
                c.pointer, a.pointer, b.pointer, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                alpha: 2, beta: 0.5, ldc: ldc)
            let product = naiveProduct(
                a.toArray(), b.toArray(), m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
            let (got, old) = (c.toArray(), c0.toArray())
            var expected = old
            for i in 0..<m {
                for j in 0..<n { expected[i * ldc + j] = 2 * product[i * n + j] + 0.5 * old[i * ldc + j] }
            }
            #expect(relativeError(got, expected) < 1e-5, "m=\(m) n=\(n) tA=\(transposeA) tB=\(transposeB)")
            #expect((0..<m).allSatisfy { i in (n..<ldc).allSatisfy { got[i * ldc + $0] == old[i * ldc + $0] } })
        }
    }
}

/// Ranges that cut a loop for the team cover it exactly once, in order, on multiples of the grain.
@Test(arguments: [(0, 2, 16), (5, 2, 16), (100, 2, 16), (1000, 3, 16), (17, 4, 1)])
func splitRangesCoverTheLoopOnce(n: Int, parts: Int, grain: Int) {
    var next = 0
    for p in 0..<parts {
        let r = Threads.range(p, of: parts, n, grain: grain)
        #expect(r.lowerBound == next)
        if p > 0 && p < parts && r.lowerBound < n && r.lowerBound > 0 { #expect(r.lowerBound % grain == 0) }
        next = r.upperBound
    }
    #expect(next == n)
}
