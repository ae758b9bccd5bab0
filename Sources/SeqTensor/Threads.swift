import CBLAS
import CSeqKernels
import Foundation
import Synchronization

/// The one thread setting of SeqKit: how many threads its parallel work uses.
///
/// `0` means automatic: ``RuntimeOptions/threads`` of the environment (`SEQKIT_THREADS`) if set, else the number
/// of cores. ``apply(_:)`` sets every process-wide part of a ``RuntimeOptions`` at once.
/// Every parallel part runs on one worker team (``team(_:_:)``): products big enough to gain from it are cut
/// into one slab per thread, each a one-thread OpenBLAS call (``Kernels/blasProduct``), and SeqKit's own loops
/// split the same way; a product made inside a part runs on one thread, so nothing asks for more threads
/// than there are.
///
/// ```swift
/// Threads.configure(2)
/// Threads.count  // 2
/// ```
public enum Threads {
    private static let configured = Atomic<Int>(0)
    private static let blasThreads = Atomic<Int>(0)
    private static let gemmThresholdSetting = Atomic<Int>(RuntimeOptions.environment.gemmThreshold)
    private static let gemvThresholdSetting = Atomic<Int>(RuntimeOptions.environment.gemvThreshold)
    private static let splitSetting = Atomic<Bool>(RuntimeOptions.environment.splitProducts)

    /// Products with at least this many multiply-adds are split over every thread (``RuntimeOptions/gemmThreshold``).
    public static var gemmThreshold: Int { gemmThresholdSetting.load(ordering: .relaxed) }

    /// Matrix-vector products of at least this many elements are split (``RuntimeOptions/gemvThreshold``).
    public static var gemvThreshold: Int { gemvThresholdSetting.load(ordering: .relaxed) }

    /// Whether big products are cut into slabs on the worker team rather than threaded inside OpenBLAS
    /// (``RuntimeOptions/splitProducts``); see ``Kernels/blasProduct``.
    package static var splitProducts: Bool { splitSetting.load(ordering: .relaxed) }

    /// Puts the process-wide parts of `options` in force: the thread count, the product thresholds and split,
    /// and the panel-kernel cap. (The activation policy travels in each forward pass's context instead.)
    public static func apply(_ options: RuntimeOptions) {
        configure(options.threads)
        gemmThresholdSetting.store(options.gemmThreshold, ordering: .relaxed)
        gemvThresholdSetting.store(options.gemvThreshold, ordering: .relaxed)
        splitSetting.store(options.splitProducts, ordering: .relaxed)
        seqkit_set_panel_kernel_cap(Int32(options.panelKernelCap ?? -1))
    }

    /// The number of threads in use (resolving the automatic setting on first use).
    public static var count: Int {
        let n = configured.load(ordering: .relaxed)
        if n > 0 { return n }
        configure(0)
        return configured.load(ordering: .relaxed)
    }

    /// The most threads a setting may ask for (`run.threads`, `--threads`, `SEQKIT_THREADS`): more than the
    /// cores of any machine SeqKit runs on, and few enough that a mistyped count cannot make the worker team
    /// start an OS thread per unit of it. Tools refuse a larger request with a message; ``configure(_:)``
    /// clips to it.
    public static let maximumCount = 1024

    /// Sets the thread count (`0` = automatic), at most ``maximumCount``.
    public static func configure(_ requested: Int) {
        var n = requested
        if n <= 0 { n = RuntimeOptions.environment.threads }
        if n <= 0 { n = ProcessInfo.processInfo.activeProcessorCount }
        configured.store(min(max(1, n), maximumCount), ordering: .relaxed)
    }

    /// Makes the calling thread flush denormals to zero (MXCSR FTZ/DAZ on x86, FPCR.FZ on arm64).
    /// Training and sampling call it on their own thread; ``parallelFor(_:_:)`` workers do it themselves.
    public static func flushDenormalsOnThisThread() { seqkit_flush_denormals_to_zero() }

    /// Runs `body` with the calling thread flushing denormals to zero, and puts the thread's floating-point mode
    /// back afterwards, so a caller's thread (a test runner's, an app's) keeps IEEE subnormals once training returns.
    ///
    /// `let outcome = try Threads.withDenormalsFlushed { try session.run() }`
    public static func withDenormalsFlushed<T>(_ body: () throws -> T) rethrows -> T {
        let saved = seqkit_fp_control()
        seqkit_flush_denormals_to_zero()
        defer { seqkit_set_fp_control(saved) }
        return try body()
    }

    /// Makes OpenBLAS use `n` threads, calling into it only when the setting changes.
    static func setBLASThreads(_ n: Int) {
        if blasThreads.exchange(n, ordering: .relaxed) != n { openblas_set_num_threads(Int32(n)) }
    }

    /// The BLAS thread count chosen for a product of `m·n·k` multiply-adds: one inside a part of a parallel
    /// section (``parallelFor(_:_:)``, ``team(_:_:)``), where the other threads are already busy.
    static func blasThreads(forMultiplyAdds work: Int) -> Int {
        work >= gemmThreshold && seqkit_in_parallel() == 0 ? count : 1
    }

    /// Runs `body(i)` for every `i` in `0..<iterations`, spread over ``count`` threads in contiguous
    /// chunks (one ``team(_:_:)`` part each); OpenBLAS is held to one thread meanwhile. Every thread flushes
    /// denormals while it runs (the calling thread restores its floating-point mode afterwards).
    ///
    /// It used Dispatch's `concurrentPerform`, whose third thread had to win a core from the team's worker
    /// (spinning between calls) and from OpenBLAS's; on two cores that cost more than the hand-off saved.
    ///
    /// ```swift
    /// Threads.parallelFor(heads) { h in attendHead(h) }
    /// ```
    public static func parallelFor(_ iterations: Int, _ body: (Int) -> Void) {
        let workers = min(count, iterations)
        if workers <= 1 {
            for i in 0..<iterations { body(i) }
            return
        }
        let saved = seqkit_fp_control()
        seqkit_flush_denormals_to_zero()
        defer { seqkit_set_fp_control(saved) }
        team(workers) { w in
            for i in (iterations &* w / workers)..<(iterations &* (w &+ 1) / workers) { body(i) }
        }
    }
}

extension Threads {
    /// Runs `body(part)` for every `part` in `0..<parts`, shared between the calling thread and SeqKit's
    /// persistent worker team (at most ``count`` threads in all; parts may outnumber them), which hands work
    /// over in well under a microsecond (workers spin briefly between calls, then sleep), so it pays even for
    /// short sections called many times in a row. Parts may run at once or one after another, in any order, so
    /// a part must never wait for another. OpenBLAS is held to one thread meanwhile. A call from inside a part,
    /// or while another thread's call runs, runs the parts on the caller.
    ///
    /// ```swift
    /// Threads.team(Threads.count) { part in work(rowsOf: part) }
    /// ```
    public static func team(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 {
            if parts == 1 { body(0) }
            return
        }
        setBLASThreads(1)
        withoutActuallyEscaping(body) { body in
            var task = body
            withUnsafeMutablePointer(to: &task) { pointer in
                seqkit_team_run_on(
                    { context, part, _ in
                        context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(part)
                    }, pointer, parts, min(parts, count))
            }
        }
    }
}

extension Threads {
    /// Elements below which an element-wise kernel stays on the calling thread: about 8 µs of work, several
    /// times what a team hand-off costs.
    package static let elementwiseSplitMinimum = 1 << 14

    /// How many parts a loop over `n` items is cut into: ``count`` when `n` reaches `minimum` and the caller
    /// is not already inside a parallel section, else 1.
    package static func parts(for n: Int, minimum: Int) -> Int {
        n >= minimum && n >= 2 && seqkit_in_parallel() == 0 ? min(count, n) : 1
    }

    /// Part `part` of `0..<n` cut into `parts` contiguous ranges whose inner boundaries are multiples of `grain`.
    package static func range(_ part: Int, of parts: Int, _ n: Int, grain: Int = 16) -> Range<Int> {
        let bound = { (p: Int) in p >= parts ? n : min(n, (n &* p / parts &+ grain / 2) / grain &* grain) }
        return bound(part)..<max(bound(part), bound(part &+ 1))
    }

    /// Runs `body` over `0..<n` cut into one range per thread on the team (``team(_:_:)``) when `n` reaches
    /// `minimum`, else `body(0..<n)` on the caller. The ranges must touch disjoint memory.
    ///
    /// `Threads.split(n, minimum: Threads.elementwiseSplitMinimum) { r in seqkit_gelu(r.count, y + r.lowerBound, x + r.lowerBound) }`
    package static func split(_ n: Int, minimum: Int, grain: Int = 16, _ body: (Range<Int>) -> Void) {
        let parts = parts(for: n, minimum: minimum)
        if parts <= 1 {
            if n > 0 { body(0..<n) }
            return
        }
        team(parts) { p in
            let r = range(p, of: parts, n, grain: grain)
            if !r.isEmpty { body(r) }
        }
    }
}
