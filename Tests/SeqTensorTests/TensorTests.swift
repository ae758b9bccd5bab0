import CSeqKernels
import Foundation
import SeqTensor
import Synchronization
import Testing

@Test func tensorStoresRowMajorAndViewsShareStorage() {
    let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
    #expect(x[1, 0] == 4)
    let y = x.reshaped([3, 2])
    y[0, 1] = 20
    #expect(x[0, 1] == 20)  // a reshape is a view
    let z = x.copy()
    z[0, 0] = -1
    #expect(x[0, 0] == 1)  // a copy is independent
    #expect(Tensor(scalar: 3).item == 3)
    #expect(Tensor(zeros: [0, 4]).count == 0)
}

@Test func seededGeneratorRepeatsAndRestores() {
    var a = SeededGenerator(seed: 42)
    var b = SeededGenerator(seed: 42)
    let first = (0..<5).map { _ in a.next() }
    #expect(first == (0..<5).map { _ in b.next() })
    var c = SeededGenerator(state: a.state)!
    #expect(a.next() == c.next())
    #expect(SeededGenerator(state: [0, 0, 0, 0]) == nil)
    #expect(SeededGenerator(state: [1, 2]) == nil)
    var d = SeededGenerator(seed: 43)
    #expect(first != (0..<5).map { _ in d.next() })
}

/// xoshiro256** from state (1, 2, 3, 4) gives the reference implementation's first outputs.
@Test func seededGeneratorIsXoshiro256StarStar() {
    var rng = SeededGenerator(state: [1, 2, 3, 4])!
    #expect((0..<4).map { _ in rng.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
}

/// Keep bits: element 2k is decided by bits 40–63 of draw k and element 2k + 1 by bits 8–31, each kept when
/// its 24-bit value u has u / 2²⁴ ≥ p; bits past `count` stay clear, and about 1 − p of the elements are kept.
@Test(arguments: [Float(0), 0.1, 0.25, 0.5])
func keepBitsFollowTheirDrawsAndKeepOneMinusP(p: Float) {
    for count in [1, 7, 8, 13, 100_003] {
        var rng = SeededGenerator(seed: 11)
        var replay = rng
        var bits = [UInt8](repeating: 0xFF, count: (count + 7) / 8)
        bits.withUnsafeMutableBufferPointer { rng.fillKeepBits($0.baseAddress!, count: count, dropping: p) }
        var kept = 0
        var mismatches = 0
        var draw: UInt64 = 0
        for e in 0..<((count + 7) / 8 * 8) {
            if e % 2 == 0 { draw = replay.next() }
            let u = e % 2 == 0 ? draw >> 40 : (draw >> 8) & 0xFF_FFFF
            let expected = e < count && Double(u) / 16_777_216 >= Double(p)
            let bit = (bits[e / 8] >> UInt8(e % 8)) & 1 != 0
            if bit != expected { mismatches += 1 }
            if bit { kept += 1 }
        }
        #expect(mismatches == 0)
        #expect(rng == replay)  // four draws per byte of the mask
        if count > 100_000 { #expect(abs(Double(kept) / Double(count) - Double(1 - p)) < 0.005) }
    }
}

@Test func normalSamplesHaveUnitMomentsAndUniformStaysInRange() {
    var rng = SeededGenerator(seed: 7)
    let n = 200_000
    var sum: Double = 0
    var sumSquares: Double = 0
    for _ in 0..<n {
        let z = Double(rng.nextNormal())
        sum += z
        sumSquares += z * z
    }
    #expect(abs(sum / Double(n)) < 0.01)
    #expect(abs(sumSquares / Double(n) - 1) < 0.02)
    for _ in 0..<10_000 {
        let u = rng.nextUniform()
        #expect(u >= 0 && u < 1)
    }
}

@Test(arguments: [
    ([4, 1, 3], [5, 3], [4, 5, 3]),
    ([3], [2, 3], [2, 3]),
    ([2, 1], [1, 4], [2, 4]),
    ([], [2, 2], [2, 2]),
])
func broadcastPlanFindsTheOutputShape(a: [Int], b: [Int], expected: [Int]) {
    #expect(BroadcastPlan(a, b)?.shape == expected)
}

@Test func incompatibleShapesDoNotBroadcast() {
    #expect(BroadcastPlan([2, 3], [4, 3]) == nil)
}

@Test func threadSettingResolvesAndFlushesDenormals() {
    Threads.configure(1)
    #expect(Threads.count == 1)
    // On a thread of its own, so the test runner's threads keep IEEE denormals.
    let flushed = Atomic<Int>(-1)
    let thread = Thread {
        let tiny = Float.leastNormalMagnitude
        Threads.flushDenormalsOnThisThread()
        let halved = tiny * Float(opaque: 0.5)
        flushed.store(seqkit_flushes_denormals() == 1 && halved == 0 ? 1 : 0, ordering: .relaxed)
    }
    thread.start()
    while flushed.load(ordering: .relaxed) == -1 { usleep(1000) }
    #expect(flushed.load(ordering: .relaxed) == 1)
    Threads.configure(0)
    #expect(Threads.count >= 1)
    var hits = [Int](repeating: 0, count: 100)
    hits.withUnsafeMutableBufferPointer { h in
        let p = h.baseAddress!
        Threads.parallelFor(100) { i in p[i] += i }
    }
    #expect(hits == Array(0..<100))
}

extension Float {
    /// A value the optimizer cannot fold at compile time.
    @inline(never) fileprivate init(opaque value: Float) { self = value }
}

/// Large storages come from the block cache: a freed block serves a later request, smaller or the same
/// size, and a zeroed storage reads zeros even when its block held other numbers.
@Test func blockCacheStoragesStartZeroed() {
    let n = BlockCache.minimumBytes / 4 * 3  // 3 MiB of floats
    for _ in 0..<3 {
        let a = TensorStorage(capacity: n, zeroed: true)
        #expect((0..<n).allSatisfy { a.base[$0] == 0 })
        for i in 0..<n { a.base[i] = 7 }
    }
    let b = TensorStorage(capacity: n / 2, zeroed: true)  // a smaller request, perhaps from a larger block
    #expect((0..<(n / 2)).allSatisfy { b.base[$0] == 0 })
    for i in 0..<(n / 2) { b.base[i] = 7 }
    let c = TensorStorage(capacity: n, zeroed: true)
    #expect((0..<n).allSatisfy { c.base[$0] == 0 })
}

/// Dropout through a packed mask, forward and backward, long enough to be split over the worker team: each
/// element follows its own bit.
@Test func dropoutKernelsFollowTheirBits() {
    let n = 40_003
    var rng = SeededGenerator(seed: 12)
    let x = Tensor(randomNormal: [n], using: &rng)
    var bits = [UInt8](repeating: 0, count: (n + 7) / 8)
    bits.withUnsafeMutableBufferPointer { rng.fillKeepBits($0.baseAddress!, count: n, dropping: 0.4) }
    let y = Tensor(uninitialized: [n])
    let dx = Tensor(randomNormal: [n], using: &rng)
    let dx0 = dx.toArray()
    Kernels.dropout(y.pointer, x.pointer, keepBits: bits, n, scale: 2.5)
    Kernels.dropoutBackward(dx.pointer, x.pointer, keepBits: bits, n, scale: 2.5)
    let (xs, ys, dxs) = (x.toArray(), y.toArray(), dx.toArray())
    var wrong = 0
    for e in 0..<n {
        let kept = (bits[e / 8] >> UInt8(e % 8)) & 1 != 0
        if ys[e] != (kept ? xs[e] * 2.5 : 0) { wrong += 1 }
        if dxs[e] != (kept ? dx0[e] + xs[e] * 2.5 : dx0[e]) { wrong += 1 }
    }
    #expect(wrong == 0)
}
