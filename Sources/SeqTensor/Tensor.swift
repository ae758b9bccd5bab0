/// A dense, row-major `Float` tensor: a shape over a (possibly shared) ``TensorStorage``.
///
/// Tensors are values whose elements live in a shared storage class; copying a `Tensor` shares
/// the elements, and ``copy()`` makes an independent one. A tensor may be a view at an offset into
/// a larger storage (the parameter arena does this).
///
/// ```swift
/// let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])  // (2, 3)
/// x[1, 2] == 6
/// ```
public struct Tensor: @unchecked Sendable {
    /// Sizes of the axes, outermost first.
    public private(set) var shape: [Int]
    /// The shared elements.
    public let storage: TensorStorage
    /// Index of this tensor's first element in `storage`.
    public let offset: Int
    /// Number of elements (the product of `shape`).
    public let count: Int

    /// A zero-filled tensor.
    ///
    /// `Tensor(zeros: [2, 2]).toArray() == [0, 0, 0, 0]`
    public init(zeros shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.init(shape: shape, storage: TensorStorage(capacity: n, zeroed: true), offset: 0)
    }

    /// A tensor whose elements are not initialised; every element must be written before it is read.
    public init(uninitialized shape: [Int]) {
        let n = Tensor.elementCount(shape)
        self.init(shape: shape, storage: TensorStorage(capacity: n, zeroed: false), offset: 0)
    }

    /// A tensor holding `values` in row-major order.
    ///
    /// `Tensor(shape: [3], values: [1, 2, 3]).count == 3`
    public init(shape: [Int], values: [Float]) {
        let n = Tensor.elementCount(shape)
        precondition(values.count == n, "Tensor: \(values.count) values for shape \(shape) (\(n) elements)")
        self.init(uninitialized: shape)
        values.withUnsafeBufferPointer { source in
            if n > 0 { pointer.update(from: source.baseAddress!, count: n) }
        }
    }

    /// A scalar (shape `[]`).
    ///
    /// `Tensor(scalar: 2).item == 2`
    public init(scalar: Float) { self.init(shape: [], values: [scalar]) }

    /// A view of `shape` at `offset` into `storage`.
    public init(shape: [Int], storage: TensorStorage, offset: Int) {
        let n = Tensor.elementCount(shape)
        precondition(
            offset >= 0 && offset + n <= storage.capacity,
            "Tensor view of shape \(shape) at offset \(offset) exceeds storage of \(storage.capacity)")
        self.shape = shape
        self.storage = storage
        self.offset = offset
        self.count = n
    }

    /// The product of the sizes in `shape` (1 for a scalar).
    public static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for size in shape {
            precondition(size >= 0, "negative size in shape \(shape)")
            n &*= size
        }
        return n
    }

    /// Pointer to the first element.
    @inlinable public var pointer: UnsafeMutablePointer<Float> { storage.base + offset }

    /// Number of axes.
    public var rank: Int { shape.count }

    /// The only element of a one-element tensor.
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, got shape \(shape)")
        return pointer[0]
    }

    /// The elements as an array, row-major.
    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// The elements as a read-only buffer.
    public var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }

    /// The elements as a writable buffer (writes are seen by every tensor sharing the storage).
    public var mutableBuffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// An independent copy of the elements.
    public func copy() -> Tensor {
        var result = Tensor(uninitialized: shape)
        result.pointer.update(from: pointer, count: count)
        result.shape = shape
        return result
    }

    /// The same elements seen with another shape of equal element count (no copy).
    ///
    /// `Tensor(zeros: [2, 3]).reshaped([3, 2]).shape == [3, 2]`
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(
            Tensor.elementCount(newShape) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
        return Tensor(shape: newShape, storage: storage, offset: offset)
    }

    /// Sets every element to `value`.
    public func fill(_ value: Float) { pointer.update(repeating: value, count: count) }

    /// Element at a multi-dimensional index (for tests and small inspections, not for kernels).
    public subscript(_ index: Int...) -> Float {
        get { pointer[flatIndex(index)] }
        nonmutating set { pointer[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, size) in zip(index, shape) {
            precondition(i >= 0 && i < size, "index \(index) out of range for shape \(shape)")
            flat = flat * size + i
        }
        return flat
    }
}

extension Tensor: CustomStringConvertible {
    /// `Tensor(shape: [2], values: [1, 2])` prints as `Tensor([2]: 1.0, 2.0)`.
    public var description: String {
        let shown = toArray().prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(\(shape): \(shown)\(count > 8 ? ", …" : ""))"
    }
}
