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
    return 0
}

enum Scratch {
    static let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()
}
