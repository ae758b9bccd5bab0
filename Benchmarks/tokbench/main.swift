// tokbench: times SeqKit's byte-level BPE on one corpus, single thread, and prints one JSON line.
//
//     swift build -c release --product tokbench
//     .build/release/tokbench CORPUS [--vocab 4096] [--kind bpe|char] [--unit scalar|grapheme] [--save tokenizer.json]
//
// train_s: training time; encode_mbps: encoding the whole corpus with a freshly loaded tokenizer (empty cache);
// encode_warm_mbps: encoding it again (pre-token cache filled); decode_mbps: decoding the ids to text.
// MB = 10^6 bytes of the corpus. No normalization (the references run none either).
//
//     .build/release/tokbench --combining-marks
//
// times NFC encoding of 'a' followed by 10^4, 10^5 and 10^6 alternating U+0301 U+0316 (one run of marks that
// canonical ordering must sort) and prints one JSON line per size; the time should grow linearly.
import Foundation
import SeqTokenizers

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var vocabularySize = 4096
var savePath: String?
var corpusPath: String?
var kind = TokenizerOptions.Kind.bpe
var unit = TokenizerOptions.CharUnit.scalar
while !arguments.isEmpty {
    let argument = arguments.removeFirst()
    switch argument {
    case "--vocab":
        guard let value = arguments.first.flatMap(Int.init) else { fail("--vocab needs a whole number") }
        vocabularySize = value
        arguments.removeFirst()
    case "--kind":
        guard let value = arguments.first.flatMap(TokenizerOptions.Kind.init(rawValue:)) else {
            fail("--kind needs bpe or char")
        }
        kind = value
        arguments.removeFirst()
    case "--unit":
        guard let value = arguments.first.flatMap(TokenizerOptions.CharUnit.init(rawValue:)) else {
            fail("--unit needs scalar or grapheme")
        }
        unit = value
        arguments.removeFirst()
    case "--combining-marks":
        let tokenizer = try trainTokenizer(
            TokenizerOptions(kind: .bpe, normalization: [.nfc], vocabularySize: 300), corpus: Array("ab a\u{301}".utf8))
        for marks in [10_000, 100_000, 1_000_000] {
            var input = Array("a".utf8)
            input.reserveCapacity(1 + 2 * marks)
            for _ in 0..<(marks / 2) { input += Array("\u{301}\u{316}".utf8) }
            var count = 0
            let time = try seconds { count = try tokenizer.encode(bytes: input).count }
            print("{\"marks\": \(marks), \"encode_s\": \(time), \"ids\": \(count)}")
        }
        exit(0)
    case "--save":
        guard let value = arguments.first else { fail("--save needs a path") }
        savePath = value
        arguments.removeFirst()
    default:
        corpusPath = argument
    }
}
guard let corpusPath else {
    fail("usage: tokbench CORPUS [--vocab 4096] [--kind bpe|char] [--unit scalar|grapheme] [--save tokenizer.json]")
}
guard let data = FileManager.default.contents(atPath: corpusPath) else { fail("cannot read \(corpusPath)") }
let corpus = [UInt8](data)
let text = String(decoding: corpus, as: UTF8.self)
let megabytes = Double(corpus.count) / 1e6

do {
    let options = TokenizerOptions(
        kind: kind, unit: unit, normalization: [], vocabularySize: vocabularySize, specialTokens: ["<|endoftext|>"])
    var trained: (any Tokenizer)?
    let trainTime = try seconds { trained = try trainTokenizer(options, corpus: corpus) }
    let file = URL(fileURLWithPath: savePath ?? NSTemporaryDirectory() + "/tokbench-\(getpid()).json")
    try trained!.save(to: file)
    let tokenizer = try loadTokenizer(from: file)
    if savePath == nil { try? FileManager.default.removeItem(at: file) }
    var ids = [Int]()
    let encodeTime = try seconds { ids = try tokenizer.encode(text) }
    let warmTime = try seconds { ids = try tokenizer.encode(text) }
    var decoded = ""
    let decodeTime = try seconds { decoded = try tokenizer.decode(ids) }
    guard decoded == text else { fail("round trip failed") }
    print(
        "{\"impl\": \"seqkit-\(kind.rawValue)\", \"train_s\": \(trainTime), \"encode_mbps\": \(megabytes / encodeTime),"
            + " \"encode_warm_mbps\": \(megabytes / warmTime),"
            + " \"decode_mbps\": \(megabytes / decodeTime), \"tokens\": \(ids.count),"
            + " \"vocab\": \(tokenizer.vocabularySize)}")
} catch {
    fail("\(error)")
}
