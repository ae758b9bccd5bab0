import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension SafeTensorsFile {
    /// Writes F32 tensors as a safetensors file, atomically, straight from the callers' buffers.
    ///
    /// Tensors are sorted by name (UTF-8 byte order) and stored contiguously in that order; the JSON header is
    /// padded with spaces to a multiple of 8 bytes, so every tensor starts 8-byte aligned. The bytes go to a
    /// temporary file in the target's directory, which is `fsync`ed and renamed over `url`: a crash or a full
    /// disk leaves either the old file or the new one, never half of one. On failure the temporary file is
    /// removed and the error names the path.
    ///
    /// ```swift
    /// try w.withUnsafeBufferPointer { values in
    ///     try SafeTensorsFile.write([(name: "w", shape: [2, 3], values: values)], metadata: [:], to: url)
    /// }
    /// ```
    public static func write(
        _ tensors: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)],
        metadata: [String: String] = [:], to url: URL
    ) throws {
        let ordered = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var header: [UInt8] = []
        header.reserveCapacity(64 + 96 * ordered.count)
        header.append(UInt8(ascii: "{"))
        var separator = false
        if !metadata.isEmpty {
            header.append(contentsOf: Array(#""__metadata__":{"#.utf8))
            let keys = metadata.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            for (i, key) in keys.enumerated() {
                if i > 0 { header.append(UInt8(ascii: ",")) }
                appendJSONString(key, to: &header)
                header.append(UInt8(ascii: ":"))
                appendJSONString(metadata[key] ?? "", to: &header)
            }
            header.append(UInt8(ascii: "}"))
            separator = true
        }
        var offset = 0
        var previous: String?
        for tensor in ordered {
            guard tensor.name != previous else {
                throw SafeTensorsError.invalidArgument(tensor: tensor.name, problem: "the name appears twice")
            }
            previous = tensor.name
            guard tensor.name != "__metadata__" else {
                throw SafeTensorsError.invalidArgument(
                    tensor: tensor.name, problem: "the name is reserved for the metadata object")
            }
            var count = 1
            for dim in tensor.shape {
                guard dim >= 0 else {
                    throw SafeTensorsError.invalidArgument(
                        tensor: tensor.name, problem: "shape \(tensor.shape) has a negative dimension")
                }
                count = count.multipliedReportingOverflow(by: dim).overflow ? -1 : count * dim
                guard count >= 0 else {
                    throw SafeTensorsError.invalidArgument(
                        tensor: tensor.name, problem: "shape \(tensor.shape) has too many elements")
                }
            }
            guard count == tensor.values.count else {
                throw SafeTensorsError.invalidArgument(
                    tensor: tensor.name,
                    problem: "shape \(tensor.shape) has \(count) elements but \(tensor.values.count) values were given")
            }
            if separator { header.append(UInt8(ascii: ",")) }
            separator = true
            appendJSONString(tensor.name, to: &header)
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            let end = offset + 4 * count
            header.append(
                contentsOf: Array(#":{"dtype":"F32","shape":[\#(shape)],"data_offsets":[\#(offset),\#(end)]}"#.utf8))
            offset = end
        }
        header.append(UInt8(ascii: "}"))
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var prefix = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { prefix[i] = UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * UInt64(i))) }

        try writeAtomically(to: url) { fd, path in
            try prefix.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            try header.withUnsafeBytes { try writeAll(fd, $0, path: path) }
            for tensor in ordered { try writeLittleEndian(fd, tensor.values, path: path) }
        }
    }

    /// The same as ``write(_:metadata:to:)`` for tensors held in arrays (no copy: each array's buffer is
    /// written directly).
    ///
    /// `try SafeTensorsFile.write([(name: "bias", shape: [3], values: [0, 1, 2])], to: url)`
    public static func write(
        _ tensors: [(name: String, shape: [Int], values: [Float])],
        metadata: [String: String] = [:], to url: URL
    ) throws {
        var buffers: [(name: String, shape: [Int], values: UnsafeBufferPointer<Float>)] = []
        buffers.reserveCapacity(tensors.count)
        func gather(_ index: Int) throws {
            if index == tensors.count {
                try write(buffers, metadata: metadata, to: url)
                return
            }
            try tensors[index].values.withUnsafeBufferPointer { values in
                buffers.append((tensors[index].name, tensors[index].shape, values))
                try gather(index + 1)
            }
        }
        try gather(0)
    }

    /// Appends `text` as a JSON string literal: `"`, `\` and control characters escaped, everything else as
    /// UTF-8.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array(#"\u00"#.utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xf)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Writes `values` as little-endian F32: directly on little-endian machines, through a small byte-swapped
    /// chunk otherwise.
    static func writeLittleEndian(_ fd: Int32, _ values: UnsafeBufferPointer<Float>, path: String) throws {
        #if _endian(little)
            try writeAll(fd, UnsafeRawBufferPointer(values), path: path)
        #else
            var chunk = [UInt32](repeating: 0, count: 4096)
            var start = 0
            while start < values.count {
                let n = min(chunk.count, values.count - start)
                for i in 0..<n { chunk[i] = values[start + i].bitPattern.littleEndian }
                try chunk.withUnsafeBytes {
                    try writeAll(fd, UnsafeRawBufferPointer(rebasing: $0[0..<(4 * n)]), path: path)
                }
                start += n
            }
        #endif
    }

    /// Writes every byte of `raw` to `fd`, retrying short writes and `EINTR`; a failure (e.g. `ENOSPC`) throws
    /// ``SafeTensorsError/io(path:operation:reason:)`` naming `path`.
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, path: String) throws {
        guard var next = raw.baseAddress else { return }
        var left = raw.count
        while left > 0 {
            let written = systemWrite(fd, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError.io(path: path, operation: "write", reason: errnoText())
            }
            if written == 0 { throw SafeTensorsError.io(path: path, operation: "write", reason: "wrote 0 bytes") }
            next += written
            left -= written
        }
    }

    /// Runs `body` on a fresh temporary file beside `url`, then `fsync`s it, renames it over `url` and syncs the
    /// directory; on any error the temporary file is removed and the error rethrown.
    static func writeAtomically(to url: URL, _ body: (Int32, String) throws -> Void) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary =
            directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw SafeTensorsError.io(
                path: path, operation: "create a temporary file in \(directory)", reason: errnoText())
        }
        var isOpen = true
        do {
            try body(fd, path)
            guard fsync(fd) == 0 else { throw SafeTensorsError.io(path: path, operation: "fsync", reason: errnoText()) }
            isOpen = false
            guard close(fd) == 0 else { throw SafeTensorsError.io(path: path, operation: "close", reason: errnoText()) }
            guard rename(temporary, path) == 0 else {
                throw SafeTensorsError.io(
                    path: path, operation: "rename the temporary file into place", reason: errnoText())
            }
        } catch {
            if isOpen { close(fd) }
            unlink(temporary)
            throw error
        }
        // Make the rename itself durable; a directory that cannot be synced (some file systems) is not an error.
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }
}

/// POSIX `write(2)`, reachable from inside ``SafeTensorsFile`` whose static `write` shadows the name.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
