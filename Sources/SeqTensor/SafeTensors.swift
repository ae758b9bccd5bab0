import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The element types a safetensors header may name, with their sizes in bytes.
///
/// ```swift
/// SafeTensorsDType(rawValue: "BF16")?.byteSize  // 2
/// ```
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case uint8 = "U8"
    case int8 = "I8"
    case float8E5M2 = "F8_E5M2"
    case float8E4M3 = "F8_E4M3"
    case float8E8M0 = "F8_E8M0"
    case int16 = "I16"
    case uint16 = "U16"
    case float16 = "F16"
    case bfloat16 = "BF16"
    case int32 = "I32"
    case uint32 = "U32"
    case float32 = "F32"
    case float64 = "F64"
    case int64 = "I64"
    case uint64 = "U64"

    /// Bytes per element: `F32` → 4, `BF16` → 2, `I64` → 8.
    public var byteSize: Int {
        switch self {
        case .bool, .uint8, .int8, .float8E5M2, .float8E4M3, .float8E8M0: 1
        case .int16, .uint16, .float16, .bfloat16: 2
        case .int32, .uint32, .float32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// Whether ``SafeTensorsFile/floats(_:)`` converts this type (every type but the 8-bit floats).
    public var convertsToFloat: Bool {
        switch self {
        case .float8E5M2, .float8E4M3, .float8E8M0: false
        default: true
        }
    }

    /// Whether ``SafeTensorsFile/ints(_:)`` converts this type (the integer types and `BOOL`).
    public var isInteger: Bool {
        switch self {
        case .bool, .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: true
        default: false
        }
    }
}

/// Why reading or writing a safetensors file failed; `description` is one line naming the file, the tensor,
/// the field and what to do.
///
/// ```swift
/// SafeTensorsError.malformed(file: "m.safetensors", tensor: "w", field: "shape", problem: "is not an array")
///     .description
/// // "m.safetensors: tensor 'w': field 'shape' is not an array; the file is corrupt or not a
/// //  safetensors file; re-save the checkpoint"
/// ```
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The bytes break the format; `tensor` and `field` say where, when the problem is inside the header.
    case malformed(file: String, tensor: String?, field: String?, problem: String)
    /// No tensor of that name is in the file.
    case tensorNotFound(file: String, tensor: String, available: [String])
    /// The tensor's element type cannot be converted to the type asked for.
    case wrongDType(file: String, tensor: String, dtype: String, wanted: String)
    /// A tensor handed to ``SafeTensorsFile/write(_:metadata:to:)`` or a copy destination is inconsistent.
    case invalidArgument(tensor: String, problem: String)
    /// The operating system refused a read, write, sync or rename.
    case io(path: String, operation: String, reason: String)

    /// The one-line message: where (file, tensor, field), what is wrong, and what to do.
    public var description: String {
        switch self {
        case .malformed(let file, let tensor, let field, let problem):
            var place = "\(file):"
            if let tensor { place += " tensor '\(tensor)':" }
            if let field { place += " field '\(field)'" }
            return
                "\(place) \(problem); the file is truncated, corrupt or not a safetensors file; re-save the checkpoint"
        case .tensorNotFound(let file, let tensor, let available):
            let listed = available.prefix(8).map { "'\($0)'" }.joined(separator: ", ")
            let more = available.count > 8 ? ", …" : ""
            return "\(file): no tensor named '\(tensor)' (the file has \(available.count): \(listed)\(more));"
                + " check the name or the checkpoint's model kind"
        case .wrongDType(let file, let tensor, let dtype, let wanted):
            return "\(file): tensor '\(tensor)' has dtype \(dtype), which cannot be read as \(wanted);"
                + " convert it (e.g. to F32) when saving"
        case .invalidArgument(let tensor, let problem):
            return "tensor '\(tensor)': \(problem); fix the tensor list before writing"
        case .io(let path, let operation, let reason):
            return "\(path): cannot \(operation): \(reason); check the path, permissions and free disk space"
        }
    }
}

/// A safetensors file: the validated header, and the data in memory or read from the open file tensor by tensor,
/// with conversions to `[Float]` and `[Int]`.
///
/// Layout: 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "__metadata__": {...}}`, then the
/// little-endian, row-major data; offsets are relative to the start of the data and the tensors tile it
/// exactly.
///
/// ```swift
/// let file = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: "model.safetensors"))
/// let w = try file.floats("head.weight")  // row-major, count == file.tensors["head.weight"]!.elementCount
/// ```
public struct SafeTensorsFile: Sendable {
    /// One tensor's header entry.
    public struct TensorInfo: Equatable, Sendable {
        /// The tensor's name, e.g. `rnn.weight_ih_l0`.
        public let name: String
        /// Its element type.
        public let dtype: SafeTensorsDType
        /// Its shape; `[]` is a scalar (one element).
        public let shape: [Int]
        /// Byte range relative to the start of the data section: `dataOffsets.count == elementCount × byteSize`.
        public let dataOffsets: Range<Int>
        /// `shape.reduce(1, *)`.
        public var elementCount: Int { shape.reduce(1, *) }
    }

    /// Where the bytes came from (a path, or a label for in-memory bytes); used in error messages.
    public let source: String
    /// The `__metadata__` object (empty when absent).
    public let metadata: [String: String]
    /// Every tensor's header entry, by name.
    public let tensors: [String: TensorInfo]
    /// The whole file, or the open file whose data section is read when a tensor is asked for.
    let storage: Storage
    /// Byte offset in the file where the data section starts: `8 + N`.
    let dataStart: Int

    /// Where the bytes are. A file opened by path stays open and is read one tensor at a time, so loading a
    /// model holds the model once rather than the file and the model.
    enum Storage: Sendable {
        case memory([UInt8])
        case file(OpenFile)
    }

    /// Largest header accepted, as in the reference implementation (100 MB).
    static let maximumHeaderLength = 100_000_000

    /// The tensor names, sorted by their UTF-8 bytes: `["b.bias", "b.weight", "embedding.weight"]`.
    public var names: [String] { tensors.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) }

    /// Opens the file at `url` and validates its header; tensors are read from the file when asked for (the file
    /// stays open while the value lives: replace it by renaming a new file into place, as SeqKit's writers do).
    ///
    /// `let file = try SafeTensorsFile(contentsOf: url)`; throws ``SafeTensorsError`` for unreadable or
    /// malformed files, never traps.
    public init(contentsOf url: URL) throws {
        let file = try OpenFile(path: url.path)
        let prefix = try file.read(at: 0, count: min(8, file.size))
        let length = try Self.headerLength(prefix[...], fileSize: file.size, source: file.path)
        let header = try file.read(at: 8, count: length)
        try self.init(header: header[...], fileSize: file.size, storage: .file(file), source: file.path)
    }

    /// Validates `bytes` as a whole safetensors file; `source` names it in error messages.
    ///
    /// `let file = try SafeTensorsFile(bytes: Array(data), source: "download")`
    public init(bytes: [UInt8], source: String = "<memory>") throws {
        let length = try Self.headerLength(bytes[..<min(8, bytes.count)], fileSize: bytes.count, source: source)
        try self.init(header: bytes[8..<(8 + length)], fileSize: bytes.count, storage: .memory(bytes), source: source)
    }

    /// The header length N from the file's first 8 bytes (fewer when the file is shorter), checked against the
    /// file's size and the limit.
    static func headerLength(_ prefix: ArraySlice<UInt8>, fileSize: Int, source: String) throws -> Int {
        func fail(_ problem: String) -> SafeTensorsError {
            .malformed(file: source, tensor: nil, field: nil, problem: problem)
        }
        guard prefix.count >= 8 else {
            throw fail("is \(fileSize) bytes long, shorter than the 8-byte header length")
        }
        var length: UInt64 = 0
        for (i, byte) in prefix.prefix(8).enumerated() { length |= UInt64(byte) << (8 * UInt64(i)) }
        guard length <= UInt64(fileSize - 8) else {
            throw fail("header length \(length) runs past the end of the \(fileSize)-byte file")
        }
        guard length <= UInt64(Self.maximumHeaderLength) else {
            throw fail("header length \(length) exceeds the \(Self.maximumHeaderLength)-byte limit")
        }
        return Int(length)
    }

    /// Validates the JSON `header` (the N bytes after the length) of a file of `fileSize` bytes.
    private init(header: ArraySlice<UInt8>, fileSize: Int, storage: Storage, source: String) throws {
        func fail(_ tensor: String?, _ field: String?, _ problem: String) -> SafeTensorsError {
            .malformed(file: source, tensor: tensor, field: field, problem: problem)
        }
        let headerEnd = 8 + header.count
        let root: SafeTensorsJSON
        do {
            root = try SafeTensorsJSON.parse(header)
        } catch let error as SafeTensorsJSON.ParseError {
            throw fail(nil, nil, "header is not valid JSON (\(error.message) at byte \(error.offset))")
        }
        guard case .object(let members) = root else {
            throw fail(nil, nil, "header is not a JSON object")
        }
        let dataLength = fileSize - headerEnd
        var metadata: [String: String] = [:]
        var tensors: [String: TensorInfo] = [:]
        var seen = Set<String>()
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw fail(name, nil, "appears twice in the header") }
            if name == "__metadata__" {
                guard case .object(let pairs) = value else {
                    throw fail(nil, "__metadata__", "is not an object of strings")
                }
                for (key, item) in pairs {
                    guard case .string(let text) = item else {
                        throw fail(nil, "__metadata__", "value of '\(key)' is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors[name] = try Self.tensorInfo(name, value, dataLength: dataLength, fail: fail)
        }
        try Self.checkTiling(tensors.values, dataLength: dataLength, fail: fail)
        self.source = source
        self.metadata = metadata
        self.tensors = tensors
        self.storage = storage
        self.dataStart = headerEnd
    }

    /// Reads one header entry `{"dtype": …, "shape": […], "data_offsets": [begin, end]}` and checks that its byte
    /// range lies in the data and matches `elementCount × byteSize`.
    static func tensorInfo(
        _ name: String, _ value: SafeTensorsJSON, dataLength: Int,
        fail: (String?, String?, String) -> SafeTensorsError
    ) throws -> TensorInfo {
        guard case .object(let fields) = value else { throw fail(name, nil, "entry is not a JSON object") }
        func field(_ key: String) throws -> SafeTensorsJSON {
            guard let found = fields.first(where: { $0.0 == key }) else { throw fail(name, key, "is missing") }
            return found.1
        }
        guard case .string(let dtypeName) = try field("dtype") else { throw fail(name, "dtype", "is not a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail(name, "dtype", "'\(dtypeName)' is not a supported dtype (\(known))")
        }
        guard case .array(let dims) = try field("shape") else { throw fail(name, "shape", "is not an array") }
        var shape: [Int] = []
        var count = 1
        for dim in dims {
            guard let n = dim.nonNegativeInt else {
                throw fail(name, "shape", "holds \(dim.summary), not a non-negative integer")
            }
            shape.append(n)
            let (product, overflow) = count.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail(name, "shape", "\(shape) has too many elements") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw fail(name, "shape", "\(shape) has too many bytes") }
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2,
            let begin = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt
        else {
            throw fail(name, "data_offsets", "is not a pair [begin, end] of non-negative integers")
        }
        guard begin <= end else { throw fail(name, "data_offsets", "begin \(begin) is after end \(end)") }
        guard end <= dataLength else {
            throw fail(name, "data_offsets", "end \(end) runs past the \(dataLength)-byte data section")
        }
        guard end - begin == byteCount else {
            throw fail(
                name, "data_offsets",
                "covers \(end - begin) bytes but shape \(shape) of \(dtypeName) needs \(byteCount)")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: begin..<end)
    }

    /// Checks that the byte ranges, sorted by start, tile `0..<dataLength` with no gap and no overlap.
    static func checkTiling(
        _ infos: some Collection<TensorInfo>, dataLength: Int,
        fail: (String?, String?, String) -> SafeTensorsError
    ) throws {
        let sorted = infos.sorted {
            ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < (
                $1.dataOffsets.lowerBound, $1.dataOffsets.upperBound
            )
        }
        var position = 0
        var previous: String?
        for info in sorted {
            let begin = info.dataOffsets.lowerBound
            if begin < position {
                throw fail(info.name, "data_offsets", "overlaps tensor '\(previous ?? "")' (begins at \(begin))")
            }
            if begin > position {
                throw fail(info.name, "data_offsets", "leaves a gap of \(begin - position) bytes before it")
            }
            position = info.dataOffsets.upperBound
            previous = info.name
        }
        guard position == dataLength else {
            throw fail(
                nil, "data_offsets",
                "tensors cover \(position) bytes but the data section has \(dataLength)")
        }
    }

    /// The header entry of `name`, or ``SafeTensorsError/tensorNotFound(file:tensor:available:)``.
    ///
    /// `try file.info("head.weight").shape  // [11, 16]`
    public func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else {
            throw SafeTensorsError.tensorNotFound(file: source, tensor: name, available: names)
        }
        return info
    }

    /// The values of `name` converted to `Float`, row-major: F32 as is, F16/BF16 widened exactly, F64 rounded to
    /// nearest, integer types and BOOL converted.
    ///
    /// `try file.floats("ln_f.weight")  // [Float], count == info.elementCount`
    public func floats(_ name: String) throws -> [Float] {
        let info = try info(name)
        return try [Float](unsafeUninitializedCapacity: info.elementCount) { buffer, initialized in
            try decodeFloats(info, into: buffer)
            initialized = info.elementCount
        }
    }

    /// Converts `name` like ``floats(_:)`` straight into `destination`, whose count must equal the tensor's
    /// element count; no intermediate array.
    ///
    /// `try file.copyFloats("wte.weight", into: arena.slot("wte.weight"))`
    public func copyFloats(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try info(name)
        guard destination.count == info.elementCount else {
            throw SafeTensorsError.invalidArgument(
                tensor: name,
                problem:
                    "destination holds \(destination.count) floats but shape \(info.shape) has \(info.elementCount)")
        }
        try decodeFloats(info, into: destination)
    }

    /// The values of an integer or BOOL tensor (`I64` token ids, say) as `[Int]`, row-major.
    ///
    /// `try file.ints("inputs")  // [3, 7, 1, ...]`
    public func ints(_ name: String) throws -> [Int] {
        let info = try info(name)
        guard info.dtype.isInteger else {
            throw SafeTensorsError.wrongDType(file: source, tensor: name, dtype: info.dtype.rawValue, wanted: "Int")
        }
        let count = info.elementCount
        var result = [Int](repeating: 0, count: count)
        try withBytes(of: info) { raw, base in
            for i in 0..<count {
                let at = base &+ i &* info.dtype.byteSize
                switch info.dtype {
                case .bool, .uint8: result[i] = Int(raw[at])
                case .int8: result[i] = Int(Int8(bitPattern: raw[at]))
                case .int16: result[i] = Int(Int16(bitPattern: raw.loadLE16(at)))
                case .uint16: result[i] = Int(raw.loadLE16(at))
                case .int32: result[i] = Int(Int32(bitPattern: raw.loadLE32(at)))
                case .uint32: result[i] = Int(raw.loadLE32(at))
                case .int64: result[i] = Int(Int64(bitPattern: raw.loadLE64(at)))
                case .uint64:
                    let value = raw.loadLE64(at)
                    guard value <= UInt64(Int.max) else {
                        throw SafeTensorsError.wrongDType(
                            file: source, tensor: name, dtype: "U64 value \(value)", wanted: "Int")
                    }
                    result[i] = Int(value)
                default: break
                }
            }
        }
        return result
    }

    /// Calls `body` with bytes holding the tensor's data from byte `base` on: the file in memory, or the tensor's
    /// range read from the open file.
    func withBytes<R>(of info: TensorInfo, _ body: (UnsafeRawBufferPointer, Int) throws -> R) throws -> R {
        switch storage {
        case .memory(let bytes):
            return try bytes.withUnsafeBytes { try body($0, dataStart &+ info.dataOffsets.lowerBound) }
        case .file(let file):
            let range = try file.read(at: dataStart + info.dataOffsets.lowerBound, count: info.dataOffsets.count)
            return try range.withUnsafeBytes { try body($0, 0) }
        }
    }

    /// The conversion loop behind ``floats(_:)`` and ``copyFloats(_:into:)``; `buffer.count == elementCount`.
    func decodeFloats(_ info: TensorInfo, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard info.dtype.convertsToFloat else {
            throw SafeTensorsError.wrongDType(
                file: source, tensor: info.name, dtype: info.dtype.rawValue, wanted: "Float")
        }
        let count = info.elementCount
        #if _endian(little)
            if info.dtype == .float32 {  // the common case: one copy of the validated byte range
                guard count > 0, let destination = buffer.baseAddress else { return }
                let start = dataStart + info.dataOffsets.lowerBound
                switch storage {
                case .memory(let bytes):
                    bytes.withUnsafeBytes { raw in
                        guard let source = raw.baseAddress else { return }
                        UnsafeMutableRawPointer(destination).copyMemory(from: source + start, byteCount: 4 * count)
                    }
                case .file(let file):
                    try file.read(into: UnsafeMutableRawPointer(destination), at: start, count: 4 * count)
                }
                return
            }
        #endif
        try withBytes(of: info) { raw, base in
            let size = info.dtype.byteSize
            for i in 0..<count {
                let at = base &+ i &* size
                let value: Float
                switch info.dtype {
                case .float32: value = Float(bitPattern: raw.loadLE32(at))
                case .float16: value = Self.float(fromHalf: raw.loadLE16(at))
                case .bfloat16: value = Float(bitPattern: UInt32(raw.loadLE16(at)) << 16)
                case .float64: value = Float(Double(bitPattern: raw.loadLE64(at)))
                case .bool, .uint8: value = Float(raw[at])
                case .int8: value = Float(Int8(bitPattern: raw[at]))
                case .int16: value = Float(Int16(bitPattern: raw.loadLE16(at)))
                case .uint16: value = Float(raw.loadLE16(at))
                case .int32: value = Float(Int32(bitPattern: raw.loadLE32(at)))
                case .uint32: value = Float(raw.loadLE32(at))
                case .int64: value = Float(Int64(bitPattern: raw.loadLE64(at)))
                case .uint64: value = Float(raw.loadLE64(at))
                case .float8E5M2, .float8E4M3, .float8E8M0: value = .nan
                }
                buffer[i] = value
            }
        }
    }

    /// IEEE 754 binary16 bits → `Float`, exactly: sign s, exponent e (5 bits), fraction f (10 bits);
    /// value = (−1)^s × 2^(e−15) × (1 + f/1024) for 0 < e < 31, (−1)^s × 2^−14 × f/1024 for e = 0, ±inf/NaN
    /// for e = 31.
    static func float(fromHalf h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1f
        let fraction = UInt32(h & 0x3ff)
        if exponent == 0x1f { return Float(bitPattern: sign | 0x7f80_0000 | (fraction << 13)) }
        if exponent == 0 {
            let magnitude = Float(fraction) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (fraction << 13))
    }
}

/// The current `errno` as text, e.g. "No space left on device (errno 28)".
func errnoText() -> String {
    let code = errno
    return "\(String(cString: strerror(code))) (errno \(code))"
}

/// A regular file open for reading, closed when the last reference goes; reads are positioned (`pread`), so
/// copies of a ``SafeTensorsFile`` can read it from several threads.
final class OpenFile: @unchecked Sendable {
    let path: String
    let descriptor: Int32
    /// The size when opened.
    let size: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SafeTensorsError.io(path: path, operation: "open for reading", reason: errnoText()) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = errnoText()
            close(fd)
            throw SafeTensorsError.io(path: path, operation: "stat", reason: reason)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw SafeTensorsError.io(path: path, operation: "read", reason: "not a regular file")
        }
        self.path = path
        descriptor = fd
        size = max(0, Int(info.st_size))
    }

    deinit { close(descriptor) }

    /// Reads exactly `count` bytes at `offset` into `destination`; a file that ended early (changed since it
    /// was opened) is an error.
    func read(into destination: UnsafeMutableRawPointer, at offset: Int, count: Int) throws {
        var done = 0
        while done < count {
            let got = pread(descriptor, destination + done, count - done, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError.io(path: path, operation: "read", reason: errnoText())
            }
            if got == 0 {
                throw SafeTensorsError.io(
                    path: path, operation: "read",
                    reason: "the file ended at byte \(offset + done) of \(size); it was changed while being read")
            }
            done += got
        }
    }

    /// `count` bytes at `offset`.
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            if count > 0, let base = buffer.baseAddress { try read(into: base, at: offset, count: count) }
            initialized = count
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Little-endian UInt16 at byte `offset` (any alignment).
    @inline(__always) func loadLE16(_ offset: Int) -> UInt16 {
        UInt16(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    /// Little-endian UInt32 at byte `offset` (any alignment).
    @inline(__always) func loadLE32(_ offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
    /// Little-endian UInt64 at byte `offset` (any alignment).
    @inline(__always) func loadLE64(_ offset: Int) -> UInt64 {
        UInt64(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
}
