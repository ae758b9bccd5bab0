import Foundation
import SeqTraining

/// A training config: the strict decoder, then validation of every section.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    if let config = try? TrainingConfig.decode(bytes, file: "fuzz.json") {
        try? config.validate()
    }
    return 0
}
