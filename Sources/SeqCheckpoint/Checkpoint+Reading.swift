import Foundation
import SeqTensor
import SeqTokenizers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A checkpoint directory read whole and verified: the manifest, then every file it lists, each checked against
/// its recorded size and SHA-256, all through one handle on the directory.
///
/// ```swift
/// let snapshot = try CheckpointSnapshot(URL(fileURLWithPath: "runs/x/latest"), keeping: [Checkpoint.stateFile])
/// let state = try Checkpoint.decodeState(snapshot.bytes(Checkpoint.stateFile), path: "runs/x/latest/state.json")
/// ```
///
/// Why one handle: the trainer replaces `latest/` by swapping whole directories, so reading file after file by
/// path could mix two checkpoints. Every file is opened with `openat` relative to the directory opened first;
/// when that directory is swapped out and removed while it is read, the read starts again on the new one.
///
/// What a manifest may name: only the fixed files of a checkpoint (``Checkpoint/requiredFiles``, plus
/// ``Checkpoint/carriedFile``), each of the required ones exactly once, never a path. Each is opened without
/// following a symbolic link and read only when it is a regular file whose size is the one recorded, so a
/// manifest cannot send the reader outside the folder, to a device, or into a read that never ends.
package struct CheckpointSnapshot: Sendable {
    /// The checkpoint directory.
    package let directory: URL
    /// Its verified manifest.
    package let manifest: Checkpoint.Manifest
    /// The contents of the files asked for (and listed), by name.
    private let contents: [String: [UInt8]]

    /// How many times a read starts again when the directory was replaced under it.
    static let attempts = 50

    /// Reads and verifies the checkpoint at `directory`, keeping the bytes of the files named in `keeping`.
    package init(_ directory: URL, keeping: Set<String>) throws {
        self.directory = directory
        var attempt = 1
        while true {
            do {
                (manifest, contents) = try Self.readOnce(directory, keeping: keeping)
                return
            } catch let replaced as Replaced {
                // The trainer swapped a new checkpoint in; it is complete by then, so read that one.
                guard attempt < Self.attempts else { throw replaced.error }
                usleep(useconds_t(min(attempt, 20) * 1000))
                attempt += 1
            }
        }
    }

    /// The bytes of `name`, which must have been asked for and listed in the manifest.
    package func bytes(_ name: String) throws -> [UInt8] {
        guard let bytes = contents[name] else {
            throw FileError(
                path: directory.appendingPathComponent(name).path, problem: "is not listed in manifest.json",
                fix: Checkpoint.damagedFix)
        }
        return bytes
    }

    /// Whether the manifest lists `name` (and it was asked for).
    package func has(_ name: String) -> Bool { contents[name] != nil }

    /// An error met while the directory was being replaced: the read is tried again.
    struct Replaced: Error { let error: FileError }

    private static func readOnce(_ directory: URL, keeping: Set<String>) throws
        -> (Checkpoint.Manifest, [String: [UInt8]])
    {
        let folder = try CheckpointFolder(directory)
        defer { folder.release() }
        do {
            let manifest = try Checkpoint.decodeManifest(
                try folder.contents(of: Checkpoint.manifestFile, limit: Checkpoint.maximumManifestBytes),
                path: folder.path(Checkpoint.manifestFile))
            try Checkpoint.checkEntries(manifest, path: folder.path(Checkpoint.manifestFile))
            var contents: [String: [UInt8]] = [:]
            for entry in manifest.files {
                let (bytes, hash) = try folder.hashed(
                    entry.name, size: entry.size, keep: keeping.contains(entry.name))
                if hash != entry.sha256 {
                    throw FileError(
                        path: folder.path(entry.name),
                        problem: "does not match manifest.json (SHA-256 \(hash), recorded \(entry.sha256))",
                        fix: Checkpoint.damagedFix)
                }
                if let bytes { contents[entry.name] = bytes }
            }
            return (manifest, contents)
        } catch let error as FileError where folder.wasReplaced {
            throw Replaced(error: error)
        }
    }
}

/// One open checkpoint directory whose files are opened relative to it, never following a link, and read only
/// when they are regular files of a size known before reading.
final class CheckpointFolder {
    let url: URL
    private let descriptor: Int32
    private var identity: stat

    /// Opens `url` as a directory; a missing path or a file is a ``FileError`` naming it.
    init(_ url: URL) throws {
        self.url = url
        let descriptor = open(url.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw FileError(
                path: url.path,
                problem: code == ENOENT || code == ENOTDIR
                    ? "is not a directory" : "cannot be opened (\(errnoText(code)))",
                fix: "pass a checkpoint directory written by seqtrain, such as runs/NAME/latest")
        }
        self.descriptor = descriptor
        identity = stat()
        _ = fstat(descriptor, &identity)
    }

    /// Closes the directory handle.
    func release() { _ = close(descriptor) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// True when the path no longer names the directory opened (swapped out, or removed).
    var wasReplaced: Bool {
        var now = stat()
        guard stat(url.path, &now) == 0 else { return true }
        var opened = stat()
        if fstat(descriptor, &opened) == 0 && opened.st_nlink == 0 { return true }
        return now.st_dev != identity.st_dev || now.st_ino != identity.st_ino
    }

    /// Opens `name` for reading: not through a link, not a device or pipe, not blocking on a FIFO.
    /// A missing file is "listed in manifest.json but missing" when `listed`, else the folder is no checkpoint.
    private func openRegular(_ name: String, listed: Bool) throws -> (descriptor: Int32, size: Int) {
        let fd = openat(descriptor, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT:
                if !listed {
                    throw FileError(
                        path: url.path, problem: "is not a SeqKit checkpoint (no \(name))",
                        fix: "pass a directory written by seqtrain")
                }
                throw FileError(
                    path: path(name), problem: "is listed in manifest.json but missing", fix: Checkpoint.damagedFix)
            case ELOOP:
                throw FileError(
                    path: path(name), problem: "is a symbolic link, and a checkpoint holds only regular files",
                    fix: Checkpoint.damagedFix)
            default:
                throw FileError(
                    path: path(name), problem: "cannot be opened (\(errnoText(code)))", fix: "check its permissions")
            }
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = close(fd)
            throw FileError(
                path: path(name), problem: "cannot be inspected (\(errnoText(code)))", fix: "check its permissions")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            _ = close(fd)
            throw FileError(
                path: path(name), problem: "is not a regular file (a device, pipe or folder)",
                fix: Checkpoint.damagedFix)
        }
        return (fd, Int(info.st_size))
    }

    /// The whole of `name`, refused unread when it is larger than `limit` bytes.
    func contents(of name: String, limit: Int) throws -> [UInt8] {
        let (fd, size) = try openRegular(name, listed: false)
        defer { _ = close(fd) }
        guard size <= limit else {
            throw FileError(
                path: path(name), problem: "has \(size) bytes, more than the \(limit) a SeqKit \(name) can have",
                fix: Checkpoint.damagedFix)
        }
        var hasher: SHA256? = nil
        return try readExactly(fd, name: name, size: size, keep: true, hasher: &hasher) ?? []
    }

    /// Reads `name`, which must have `size` bytes, and hashes it; returns the bytes only when `keep`.
    func hashed(_ name: String, size: Int, keep: Bool) throws -> (bytes: [UInt8]?, sha256: String) {
        let (fd, actual) = try openRegular(name, listed: true)
        defer { _ = close(fd) }
        guard actual == size else {
            throw FileError(
                path: path(name), problem: "has \(actual) bytes but manifest.json records \(size)",
                fix: Checkpoint.damagedFix)
        }
        var hasher: SHA256? = SHA256()
        let bytes = try readExactly(fd, name: name, size: size, keep: keep, hasher: &hasher)
        return (bytes, hexString(hasher!.finalize()))
    }

    /// Reads `size` bytes from `fd` in 1 MiB chunks into the result (when `keep`) and the hasher (when given).
    private func readExactly(_ fd: Int32, name: String, size: Int, keep: Bool, hasher: inout SHA256?) throws
        -> [UInt8]?
    {
        var result: [UInt8] = []
        if keep { result.reserveCapacity(size) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var done = 0
        while done < size {
            let got = read(fd, buffer.baseAddress, min(chunk, size - done))
            if got < 0 {
                let code = errno
                if code == EINTR { continue }
                throw FileError(
                    path: path(name), problem: "cannot be read (\(errnoText(code)))", fix: "check the file and the disk"
                )
            }
            if got == 0 {
                throw FileError(
                    path: path(name), problem: "ended after \(done) of its \(size) bytes", fix: Checkpoint.damagedFix)
            }
            let piece = UnsafeRawBufferPointer(start: buffer.baseAddress, count: got)
            hasher?.update(piece)
            if keep { result.append(contentsOf: piece) }
            done += got
        }
        return keep ? result : nil
    }
}

extension CheckpointSnapshot {
    /// `directory/name` as a path, for messages.
    package func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The checkpoint's `config.json`, decoded and validated; its training memory is checked when training
    /// resumes (`Trainer.run`), its model memory when the model is built.
    package func config() throws -> TrainingConfig {
        let config = try TrainingConfig.decodeCheckpointConfig(
            Data(try bytes(Checkpoint.configFile)), file: path(Checkpoint.configFile))
        try config.validate(checkingMemory: false)
        return config
    }

    /// The checkpoint's `tokenizer.json`, loaded.
    package func tokenizer() throws -> any Tokenizer {
        do {
            return try loadTokenizer(json: Data(try bytes(Checkpoint.tokenizerFile)))
        } catch let error as TokenizerError {
            throw FileError(
                path: path(Checkpoint.tokenizerFile), problem: "cannot be loaded: \(error)",
                fix: "the checkpoint is damaged; use another one")
        }
    }

    /// One of the checkpoint's safetensors files, validated.
    package func safeTensors(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(bytes: try bytes(name), source: path(name))
    }
}
