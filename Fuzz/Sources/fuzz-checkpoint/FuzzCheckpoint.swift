import Foundation
import SeqTraining

/// A checkpoint's `state.json` and `manifest.json`: the input is written as each file of a scratch checkpoint
/// folder and read back through the same calls `seqtrain --resume` and `seqsample` use.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let folder = Scratch.folder
    do {
        try bytes.write(to: folder.appendingPathComponent(Checkpoint.stateFile))
        try bytes.write(to: folder.appendingPathComponent(Checkpoint.manifestFile))
    } catch {
        fatalError("cannot write the scratch checkpoint in \(folder.path): \(error)")
    }
    _ = try? Checkpoint.readState(in: folder)
    _ = try? Checkpoint.readManifest(in: folder)
    _ = try? Checkpoint.verify(folder)
    _ = try? TrainedCheckpoint(path: folder)
    return 0
}

enum Scratch {
    /// A scratch checkpoint folder. When `SEQKIT_FUZZ_CHECKPOINT` names a real checkpoint (Fuzz/run.sh sets it),
    /// its other files are copied in, so a fuzzed manifest that names them reaches the size and hash checks.
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        if let source = ProcessInfo.processInfo.environment["SEQKIT_FUZZ_CHECKPOINT"] {
            for name in [
                Checkpoint.configFile, Checkpoint.tokenizerFile, Checkpoint.modelFile, Checkpoint.optimizerFile,
            ] {
                try? FileManager.default.copyItem(
                    at: URL(fileURLWithPath: source).appendingPathComponent(name), to: url.appendingPathComponent(name))
            }
        }
        return url
    }()
}
