import Foundation
import SeqTokenizers

/// A `tokenizer.json`: parsing, then a short encode and decode with what it built.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizerJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    guard let tokenizer = try? loadTokenizer(json: bytes, invalidUTF8: .replace) else { return 0 }
    if let ids = try? tokenizer.encode("To be, or not to be: naïve café 👍🏽\n") {
        _ = try? tokenizer.decode(ids)
    }
    return 0
}
