import SeqTensor

/// A safetensors file: header parsing, then reading every tensor it declares.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? SafeTensorsFile(bytes: bytes, source: "fuzz.safetensors") else { return 0 }
    for name in file.names {
        if let info = try? file.info(name), info.dtype.isInteger {
            _ = try? file.ints(name)
        } else {
            _ = try? file.floats(name)
        }
    }
    return 0
}
