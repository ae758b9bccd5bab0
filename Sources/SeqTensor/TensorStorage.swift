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
            let (raw, fresh) = BlockCache.shared.take(bytes: bytes)
            base = raw.bindMemory(to: Float.self, capacity: capacity)
            if zeroed && !fresh { base.initialize(repeating: 0, count: capacity) }  // fresh pages are zero
        } else {
            // 64-byte alignment: whole cache lines for BLAS and vector loads.
            let raw = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 4), alignment: 64)
            base = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
            if zeroed { base.initialize(repeating: 0, count: capacity) }
        }
    }

    deinit {
        let bytes = capacity &* MemoryLayout<Float>.stride
        if bytes >= BlockCache.minimumBytes {
            BlockCache.shared.give(UnsafeMutableRawPointer(base), bytes: bytes)
        } else {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }
}

/// Large tensor blocks, mapped from the kernel page by page and kept for reuse by size when freed.
///
/// A training step allocates the same sizes in the same order every time, so a freed block of the
/// exact size a later tensor asks for serves it without a page fault, and the process never holds
/// more than the largest number of blocks of each size that were alive at once. (Through `malloc`
/// the same pattern left about 240 MiB of holes on gpt-10m: a freed 25 MB block split for 6 MB
/// ones, then grown past for the next 25 MB one.) ``releaseCached()`` returns the spare blocks.
public final class BlockCache: @unchecked Sendable {
    /// Blocks this large or larger are mapped; smaller ones come from `malloc`.
    public static let minimumBytes = 1 << 20
    /// The process-wide cache that ``TensorStorage`` uses.
    public static let shared = BlockCache()

    private let lock = NSLock()
    private var spare: [Int: [UnsafeMutableRawPointer]] = [:]  // page-rounded size → free blocks
    /// Bytes held in spare blocks.
    public private(set) var spareBytes = 0

    private static let page = 4096
    private static func rounded(_ bytes: Int) -> Int { (bytes &+ page &- 1) / page &* page }

    /// A block of at least `bytes`; `fresh` when newly mapped (so all zeros).
    func take(bytes: Int) -> (UnsafeMutableRawPointer, fresh: Bool) {
        let size = BlockCache.rounded(bytes)
        lock.lock()
        if let block = spare[size]?.popLast() {
            spareBytes &-= size
            lock.unlock()
            return (block, false)
        }
        lock.unlock()
        guard let block = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            block != MAP_FAILED
        else { fatalError("TensorStorage: out of memory mapping \(size) bytes") }
        return (block, true)
    }

    /// Keeps `block` (from ``take(bytes:)``) for the next request of its size.
    func give(_ block: UnsafeMutableRawPointer, bytes: Int) {
        let size = BlockCache.rounded(bytes)
        lock.lock()
        spare[size, default: []].append(block)
        spareBytes &+= size
        lock.unlock()
    }

    /// Unmaps every spare block (tensors still alive keep theirs).
    ///
    /// `BlockCache.shared.releaseCached()` after training, before a long idle phase.
    public func releaseCached() {
        lock.lock()
        let blocks = spare
        spare = [:]
        spareBytes = 0
        lock.unlock()
        for (size, list) in blocks { for block in list { munmap(block, size) } }
    }
}
