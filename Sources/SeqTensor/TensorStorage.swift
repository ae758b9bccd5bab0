import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A manually managed block of `Float`s that tensors share.
///
/// Holding data behind an `UnsafeMutablePointer` in a `final class` keeps exclusivity and
/// copy-on-write checks out of kernels (DESIGN.md, "Swift performance habits").
public final class TensorStorage: @unchecked Sendable {
    /// The first element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let capacity: Int

    /// Allocates `capacity` floats, zeroed when `zeroed` is true. Blocks of ``BlockCache/minimumBytes`` or
    /// more come from (and go back to) the ``BlockCache``.
    ///
    /// `TensorStorage(capacity: 4, zeroed: true).base[3] == 0`
    public init(capacity: Int, zeroed: Bool = true) {
        precondition(capacity >= 0, "TensorStorage capacity must be non-negative, got \(capacity)")
        self.capacity = capacity
        let bytes = capacity &* MemoryLayout<Float>.stride
        if bytes >= BlockCache.minimumBytes {
            let (raw, size, fresh) = BlockCache.shared.take(bytes: bytes)
            base = raw.bindMemory(to: Float.self, capacity: capacity)
            blockBytes = size
            if zeroed && !fresh { base.initialize(repeating: 0, count: capacity) }  // fresh pages are zero
        } else {
            // 64-byte alignment: whole cache lines for BLAS and vector loads.
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 4), alignment: 64)
            base = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
            blockBytes = 0
            if zeroed { base.initialize(repeating: 0, count: capacity) }
        }
    }

    /// Bytes of the ``BlockCache`` block behind ``base`` (0 when it came from `malloc`).
    private let blockBytes: Int

    deinit {
        if blockBytes > 0 {
            BlockCache.shared.give(UnsafeMutableRawPointer(base), bytes: blockBytes)
        } else {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }
}

/// Large tensor blocks, mapped from the kernel and kept for reuse when freed.
///
/// A training step allocates the same sizes in the same order every time. A request takes a spare block
/// of exactly its size if there is one, else the smallest larger spare block, whose pages past the request
/// are handed back to the kernel when they come to ``minimumReturnedTail`` or more (`MADV_DONTNEED`: the
/// mapping stays, the memory goes, and those pages read as zeros when next touched); only when no spare
/// block is large enough is a new one mapped. So the
/// process holds about the bytes alive at its busiest moment, and a steady training loop faults in only
/// the tails a block regrows into. Through `malloc`, gpt-10m's pattern left about 240 MiB of holes (a freed
/// 25 MB block split for 6 MB ones, then grown past for the next 25 MB one); a cache that reused blocks of
/// exactly one size only held about 200 MiB of spare blocks of the sizes backward uses at the end of forward.
public final class BlockCache: @unchecked Sendable {
    /// Blocks this large or larger are mapped; smaller ones come from `malloc`.
    public static let minimumBytes = 1 << 20
    /// The process-wide cache that ``TensorStorage`` uses.
    public static let shared = BlockCache()

    private let lock = NSLock()
    private var spare: [(block: UnsafeMutableRawPointer, bytes: Int)] = []  // sorted by size
    /// Bytes mapped in spare blocks (their resident part may be smaller).
    public private(set) var spareBytes = 0

    /// Tails shorter than this stay resident with their block. Handing pages back costs more than the memory:
    /// `MADV_DONTNEED` in a process with threads on other cores flushes their TLBs by interrupt, and the pages
    /// fault back in zeroed when the block grows again. A char-lstm step returned a 0.6 MB and a 4 MB tail, and
    /// the flushes alone were 6% of the caller's samples.
    static let minimumReturnedTail = 8 << 20

    private static let page = 4096
    private static func rounded(_ bytes: Int) -> Int { (bytes &+ page &- 1) / page &* page }

    /// The index of the first spare block of at least `bytes` (the list is sorted by size); call with `lock` held.
    private func firstSpare(atLeast bytes: Int) -> Int {
        var low = 0
        var high = spare.count
        while low < high {
            let mid = (low &+ high) / 2
            if spare[mid].bytes < bytes { low = mid &+ 1 } else { high = mid }
        }
        return low
    }

    /// A block of at least `bytes` and its mapped size; `fresh` when newly mapped (so all zeros).
    func take(bytes: Int) -> (UnsafeMutableRawPointer, bytes: Int, fresh: Bool) {
        let size = BlockCache.rounded(bytes)
        lock.lock()
        let low = firstSpare(atLeast: size)  // the smallest spare block that fits
        if low < spare.count {
            let (block, mapped) = spare.remove(at: low)
            spareBytes &-= mapped
            lock.unlock()
            if mapped &- size >= BlockCache.minimumReturnedTail {
                madvise(block + size, mapped &- size, Int32(MADV_DONTNEED))
            }
            return (block, mapped, false)
        }
        lock.unlock()
        guard let block = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            block != MAP_FAILED
        else { fatalError("TensorStorage: out of memory mapping \(size) bytes") }
        return (block, size, true)
    }

    /// Keeps `block` (from ``take(bytes:)``, with the mapped size it returned) for a later request.
    func give(_ block: UnsafeMutableRawPointer, bytes: Int) {
        lock.lock()
        spare.insert((block, bytes), at: firstSpare(atLeast: bytes))
        spareBytes &+= bytes
        lock.unlock()
    }

    /// Unmaps every spare block (tensors still alive keep theirs).
    ///
    /// `BlockCache.shared.releaseCached()` after training, before a long idle phase.
    public func releaseCached() {
        lock.lock()
        let blocks = spare
        spare = []
        spareBytes = 0
        lock.unlock()
        for (block, bytes) in blocks { munmap(block, bytes) }
    }
}
