/// A manually managed block of `Float`s that tensors share.
///
/// Holding data behind an `UnsafeMutablePointer` in a `final class` keeps exclusivity and
/// copy-on-write checks out of kernels (DESIGN.md, "Swift performance habits").
public final class TensorStorage: @unchecked Sendable {
    /// The first element.
    public let base: UnsafeMutablePointer<Float>
    /// Number of elements.
    public let capacity: Int

    /// Allocates `capacity` floats, zeroed when `zeroed` is true.
    ///
    /// `TensorStorage(capacity: 4, zeroed: true).base[3] == 0`
    public init(capacity: Int, zeroed: Bool = true) {
        precondition(capacity >= 0, "TensorStorage capacity must be non-negative, got \(capacity)")
        self.capacity = capacity
        // 64-byte alignment: whole cache lines for BLAS and vector loads.
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(capacity, 1) * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(capacity, 1))
        if zeroed { base.initialize(repeating: 0, count: capacity) }
    }

    deinit { UnsafeMutableRawPointer(base).deallocate() }
}
