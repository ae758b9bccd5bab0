import Foundation
import SeqCheckpoint

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The folder of one training run and its atomic checkpoint commits.
///
/// ```
/// runs/NAME/  latest/  best/  metrics.jsonl  loss.svg
/// ```
/// ```swift
/// let run = try RunDirectory(url: URL(fileURLWithPath: config.run.out))
/// try run.commitCheckpoint(.latest) { folder in
///     try Checkpoint.write(state, in: folder)           // … and the other files
///     try Checkpoint.writeManifest(in: folder, corpusSHA256: c, tokenizerSHA256: t)
/// }
/// ```
/// At every instant the slot's path holds a complete checkpoint, the old or the new one: the new files go to a
/// hidden sibling (`.latest.tmp`), are fsynced, then swapped in by one `renameat2(RENAME_EXCHANGE)`. Where the
/// file system cannot exchange, the old one is renamed aside to `.latest.old` first. Opening the run again
/// removes a leftover temporary and puts a `.old` back if the new one never arrived.
public struct RunDirectory: Sendable {
    /// The run folder, e.g. `runs/tiny-gpt`.
    public let url: URL

    /// How the new checkpoint replaces the old one.
    enum SwapStrategy: Sendable {
        /// One atomic `renameat2(…, RENAME_EXCHANGE)`, falling back to `renameAside` where unsupported.
        case exchange
        /// `rename(final, .old)`, `rename(.tmp, final)`, remove `.old`.
        case renameAside
    }

    /// Points of a commit at which a test can stop it as a killed process would stop (files left as they are).
    enum CommitStep: CaseIterable, Sendable {
        /// Files written into the temporary directory, not yet synced.
        case written
        /// Files and temporary directory synced.
        case synced
        /// Old checkpoint renamed aside (renameAside only).
        case movedAside
        /// New checkpoint at the final path, the old one not yet removed.
        case swapped
    }

    /// Thrown by a commit stopped at ``CommitStep`` in tests.
    struct SimulatedCrash: Error {}

    var strategy: SwapStrategy = .exchange
    var crash: CommitStep? = nil

    /// Opens the run folder, creating it (and its parents) if needed, and cleans or recovers what a killed run left:
    /// a half-swapped checkpoint, and a run that `--overwrite` moved aside before the new one saved anything.
    /// With `create` false nothing is created or changed (`--dry-run`).
    ///
    /// A folder that cannot be created is a ``FileError`` naming it and suggesting another `--out`.
    public init(url: URL, create: Bool = true) throws {
        self.url = url
        guard create else { return }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw FileError(
                path: url.path, problem: "cannot be created (\(Self.reason(error)))",
                fix: "choose another folder with --out or run.out, or fix the permissions of its parent")
        }
        guard access(url.path, W_OK | X_OK) == 0 else {
            throw FileError(
                path: url.path, problem: "is not writable (\(errnoText(errno)))",
                fix: "choose another folder with --out or run.out, or fix its permissions")
        }
        for slot in CheckpointSlot.allCases { try recover(slot) }
        try restoreReplacedRunIfUnsaved()
    }

    /// `runs/NAME/latest` or `runs/NAME/best`.
    public func checkpointURL(_ slot: CheckpointSlot) -> URL { url.appendingPathComponent(slot.rawValue) }

    /// `runs/NAME/metrics.jsonl`, one JSON record per logged step (see ``MetricsLog``).
    public var metricsURL: URL { url.appendingPathComponent("metrics.jsonl") }

    /// `runs/NAME/loss.svg`, the training and validation loss chart (see ``LossChart``).
    public var lossChartURL: URL { url.appendingPathComponent("loss.svg") }

    /// `runs/NAME/config.json`, the resolved config of the run.
    public var configURL: URL { url.appendingPathComponent(Checkpoint.configFile) }

    /// Saves the resolved config as `runs/NAME/config.json` (atomically), so the run records what it ran with.
    public func saveConfig(_ config: TrainingConfig) throws {
        do {
            try Data((config.resolvedJSON() + "\n").utf8).write(to: configURL, options: .atomic)
        } catch {
            throw FileError(
                path: configURL.path, problem: "cannot be written (\(Self.reason(error)))",
                fix: "check free space and the permissions of \(url.path)")
        }
    }

    /// True when the slot holds a checkpoint directory.
    public func hasCheckpoint(_ slot: CheckpointSlot) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: checkpointURL(slot).path, isDirectory: &isDirectory)
            && isDirectory.boolValue
    }

    func temporaryURL(_ slot: CheckpointSlot) -> URL { url.appendingPathComponent(".\(slot.rawValue).tmp") }
    func asideURL(_ slot: CheckpointSlot) -> URL { url.appendingPathComponent(".\(slot.rawValue).old") }

    /// Writes a new checkpoint into the slot atomically.
    ///
    /// `write` receives an empty temporary folder and writes every file into it. If it throws, the folder is
    /// removed and the old checkpoint stays. Otherwise the files are fsynced and swapped into place.
    public func commitCheckpoint(_ slot: CheckpointSlot, write: (URL) throws -> Void) throws {
        try commit(final: checkpointURL(slot), temporary: temporaryURL(slot), aside: asideURL(slot), write: write)
    }

    /// Writes the folder `final` atomically as ``commitCheckpoint(_:write:)`` writes a slot: into
    /// `.<name>.tmp` beside it, fsynced, then swapped into place, so a reader sees the old folder or the new one,
    /// never a mix. A saved composed model and `ModelCheckpoint` use it.
    ///
    /// `try RunDirectory.commitFolder(URL(fileURLWithPath: "models/squares")) { try write(into: $0) }`
    public static func commitFolder(_ final: URL, write: (URL) throws -> Void) throws {
        let parent = final.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        } catch {
            throw FileError(
                path: parent.path, problem: "cannot be created (\(reason(error)))",
                fix: "check free space and the permissions of its parent")
        }
        let name = final.lastPathComponent
        try RunDirectory(folder: parent).commit(
            final: final, temporary: parent.appendingPathComponent(".\(name).tmp"),
            aside: parent.appendingPathComponent(".\(name).old"), write: write)
    }

    private init(folder: URL) { url = folder }

    private func commit(final: URL, temporary: URL, aside: URL, write: (URL) throws -> Void) throws {
        try removeIfPresent(temporary)
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw FileError(
                path: temporary.path, problem: "cannot be created (\(Self.reason(error)))",
                fix: "check free space and the permissions of \(url.path)")
        }
        do {
            try write(temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        if crash == .written { throw SimulatedCrash() }
        try syncTree(temporary)
        if crash == .synced { throw SimulatedCrash() }

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: final.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            try rename(temporary, final)
            try syncDirectory(url)
            return
        }
        if strategy == .exchange, try exchange(temporary, final) {
            try syncDirectory(url)
            if crash == .swapped { throw SimulatedCrash() }
            try removeIfPresent(temporary)  // now holds the old checkpoint
            return
        }
        try removeIfPresent(aside)
        try rename(final, aside)
        if crash == .movedAside { throw SimulatedCrash() }
        try rename(temporary, final)
        try syncDirectory(url)
        if crash == .swapped { throw SimulatedCrash() }
        try removeIfPresent(aside)
    }

    /// Puts the slot back in order after a killed commit: restores `.old` if the final path is empty, then
    /// removes the temporary and aside folders.
    func recover(_ slot: CheckpointSlot) throws {
        let aside = asideURL(slot)
        if FileManager.default.fileExists(atPath: aside.path) {
            if hasCheckpoint(slot) {
                try removeIfPresent(aside)
            } else {
                try rename(aside, checkpointURL(slot))
            }
        }
        try removeIfPresent(temporaryURL(slot))
        try syncDirectory(url)
    }

    private func removeIfPresent(_ target: URL) throws {
        guard FileManager.default.fileExists(atPath: target.path) else { return }
        do {
            try FileManager.default.removeItem(at: target)
        } catch {
            throw FileError(
                path: target.path, problem: "cannot be removed (\(Self.reason(error)))",
                fix: "remove it by hand and run again")
        }
    }

    private func rename(_ source: URL, _ destination: URL) throws {
        if Foundation.rename(source.path, destination.path) != 0 {
            let code = errno
            throw FileError(
                path: source.path,
                problem: "cannot be renamed to \(destination.lastPathComponent) (\(errnoText(code)))",
                fix: "check the permissions of \(url.path)")
        }
    }

    /// Atomically swaps two paths; false when the system or file system cannot, so the caller falls back.
    private func exchange(_ a: URL, _ b: URL) throws -> Bool {
        #if os(Linux)
            guard let exchangeFunction = renameExchange else { return false }
            if exchangeFunction(AT_FDCWD, a.path, AT_FDCWD, b.path, 2) == 0 { return true }  // 2 = RENAME_EXCHANGE
            let code = errno
            if code == EINVAL || code == ENOSYS || code == ENOTSUP { return false }
            throw FileError(
                path: a.path, problem: "cannot be swapped with \(b.lastPathComponent) (\(errnoText(code)))",
                fix: "check the permissions of \(url.path)")
        #else
            return false
        #endif
    }

    private static func reason(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain {
            return errnoText(Int32(underlying.code))
        }
        return (error as NSError).localizedDescription
    }
}

#if os(Linux)
    /// glibc's `renameat2`, looked up at run time: Swift's Glibc module does not declare it.
    private typealias RenameAt2 =
        @convention(c) (
            Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32
        ) -> Int32

    private let renameExchange: RenameAt2? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()
#endif

/// fsyncs every file under `root`, then every folder from the deepest up to `root` itself.
func syncTree(_ root: URL) throws {
    var directories: [String] = [root.path]
    if let enumerator = FileManager.default.enumerator(atPath: root.path) {
        while let relative = enumerator.nextObject() as? String {
            let path = root.appendingPathComponent(relative).path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue { directories.append(path) } else { try syncPath(path, directory: false) }
        }
    }
    for directory in directories.reversed() { try syncPath(directory, directory: true) }
}

/// fsyncs one folder so the names in it (after a create or rename) are on disk.
func syncDirectory(_ directory: URL) throws { try syncPath(directory.path, directory: true) }

private func syncPath(_ path: String, directory: Bool) throws {
    let descriptor = open(path, directory ? O_RDONLY | O_DIRECTORY : O_RDONLY)
    guard descriptor >= 0 else {
        let code = errno
        throw FileError(
            path: path, problem: "cannot be opened to sync (\(errnoText(code)))", fix: "check its permissions")
    }
    defer { close(descriptor) }
    if fsync(descriptor) != 0 {
        let code = errno
        // Some file systems refuse fsync on a directory; the rename is still atomic there.
        if directory && (code == EINVAL || code == EBADF) { return }
        throw FileError(
            path: path, problem: "cannot be synced to disk (\(errnoText(code)))", fix: "check free space and the disk")
    }
}
