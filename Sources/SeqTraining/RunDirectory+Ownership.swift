import Foundation
import SeqCheckpoint

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on `runs/NAME/.lock`, held while one process writes the run, so a second `seqtrain` on
/// the same folder is refused instead of interleaving its checkpoints and records with the first one's. The file
/// holds the holder's PID for the refusal message; the kernel drops the lock when the process ends, however it
/// ends, so a killed run never leaves the folder locked.
final class RunLock: @unchecked Sendable {
    /// The lock file's name inside the run folder.
    static let fileName = ".lock"

    private let descriptor: Int32

    /// Takes the lock of the run folder `directory` (which must exist), or throws naming the process that holds it.
    init(_ directory: URL) throws {
        let path = directory.appendingPathComponent(Self.fileName).path
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let code = errno
            throw FileError(
                path: path, problem: "cannot be opened to lock the run (\(errnoText(code)))",
                fix: "check the permissions of \(directory.path), or choose another --out")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw Self.inUse(directory) }
            throw FileError(
                path: path, problem: "cannot be locked (\(errnoText(code)))",
                fix: "check the file system of \(directory.path), or choose another --out")
        }
        self.descriptor = descriptor
        let pid = Data("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
    }

    deinit { close(descriptor) }

    /// The refusal: the folder, the holder's PID (as its lock file records it) and what to do.
    private static func inUse(_ directory: URL) -> FileError {
        let recorded = (try? String(contentsOfFile: directory.appendingPathComponent(fileName).path, encoding: .utf8))
            .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return FileError(
            path: directory.path,
            problem: "is being written by another seqtrain" + (recorded.map { " (PID \($0))" } ?? ""),
            fix: "wait for it to finish, stop it with Ctrl-C or kill"
                + (recorded.map { " \($0)" } ?? "") + ", or choose another --out")
    }
}

extension RunDirectory {
    /// The files a run writes at the top of its folder; `--overwrite` moves exactly these (and `latest/`, `best/`)
    /// aside, so anything else a user keeps there is left alone.
    static let runFiles = ["metrics.jsonl", "loss.svg", Checkpoint.configFile]

    /// Where `--overwrite` keeps the previous run until the new run's first checkpoint exists.
    var replacedURL: URL { url.appendingPathComponent(".replaced") }

    /// A description of the run `directory` holds (`"a run at step 2000"`), nil when it holds none.
    static func existingRun(at directory: URL) -> String? {
        let manager = FileManager.default
        let latest = directory.appendingPathComponent(CheckpointSlot.latest.rawValue)
        if let state = try? Checkpoint.readState(in: latest) { return "a run at step \(state.step)" }
        let names = CheckpointSlot.allCases.map(\.rawValue) + runFiles + [".replaced"]
        if names.contains(where: { manager.fileExists(atPath: directory.appendingPathComponent($0).path) }) {
            return "a run's files"
        }
        return nil
    }

    /// Refuses, before anything is created, to start a new run in `directory` when it holds a run that
    /// `--overwrite` does not give up. (The caller holds the folder's ``RunLock`` already.)
    static func checkNewRun(at directory: URL, overwrite: Bool) throws {
        guard !overwrite, let held = existingRun(at: directory) else { return }
        throw FileError(
            path: directory.path, problem: "holds \(held)",
            fix: "continue it with --resume \(directory.relativePath) (raise --max-steps to train longer), "
                + "start again with --overwrite (the old run is removed once the new one has saved), "
                + "or choose another --out")
    }

    /// Moves the run's checkpoints and records into ``replacedURL``; true when there was anything to move.
    func moveRunAside() throws -> Bool {
        let manager = FileManager.default
        let names = CheckpointSlot.allCases.map(\.rawValue) + Self.runFiles
        let present = names.filter { manager.fileExists(atPath: url.appendingPathComponent($0).path) }
        guard !present.isEmpty else { return false }
        do {
            try manager.createDirectory(at: replacedURL, withIntermediateDirectories: true)
            for name in present {
                try manager.moveItem(at: url.appendingPathComponent(name), to: replacedURL.appendingPathComponent(name))
            }
            try syncDirectory(url)
        } catch {
            throw FileError(
                path: url.path, problem: "cannot move the old run aside (\(error.localizedDescription))",
                fix: "check the permissions of \(url.path), or remove the old run by hand")
        }
        return true
    }

    /// Removes the run `--overwrite` replaced, once the new run has a checkpoint of its own.
    func discardReplacedRun() throws {
        guard FileManager.default.fileExists(atPath: replacedURL.path) else { return }
        do {
            try FileManager.default.removeItem(at: replacedURL)
        } catch {
            throw FileError(
                path: replacedURL.path, problem: "cannot be removed (\(error.localizedDescription))",
                fix: "remove it by hand; the new run is saved")
        }
    }

    /// Puts the replaced run back when the new one saved no checkpoint (it failed or was killed first): the new
    /// run's records are dropped and the old files return. A new run that has a checkpoint discards the old one.
    func restoreReplacedRunIfUnsaved() throws {
        let manager = FileManager.default
        guard manager.fileExists(atPath: replacedURL.path) else { return }
        guard !CheckpointSlot.allCases.contains(where: hasCheckpoint) else { return try discardReplacedRun() }
        do {
            for name in Self.runFiles {
                let target = url.appendingPathComponent(name)
                let saved = replacedURL.appendingPathComponent(name)
                guard manager.fileExists(atPath: saved.path) else { continue }
                if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }
                try manager.moveItem(at: saved, to: target)
            }
            for slot in CheckpointSlot.allCases {
                let saved = replacedURL.appendingPathComponent(slot.rawValue)
                if manager.fileExists(atPath: saved.path) { try manager.moveItem(at: saved, to: checkpointURL(slot)) }
            }
            try manager.removeItem(at: replacedURL)
            try syncDirectory(url)
        } catch {
            throw FileError(
                path: replacedURL.path,
                problem: "holds the previous run and cannot be put back (\(error.localizedDescription))",
                fix: "move its files back into \(url.path) by hand")
        }
    }
}
