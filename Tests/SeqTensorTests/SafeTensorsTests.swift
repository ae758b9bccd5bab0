import Foundation
import Testing

@testable import SeqTensor

/// A safetensors file assembled by hand: 8-byte little-endian length, `header` as UTF-8, then `data`.
func rawFile(_ header: String, data: [UInt8] = []) -> [UInt8] {
    let json = Array(header.utf8)
    var bytes = (0..<8).map { UInt8(truncatingIfNeeded: UInt64(json.count) >> (8 * UInt64($0))) }
    bytes += json
    bytes += data
    return bytes
}

/// Deterministic 64-bit generator (SplitMix64) for the fuzz tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fresh empty directory under the system temporary directory.
func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

@Suite struct SafeTensorsRoundTripTests {
    @Test func roundTripIsBitIdenticalForAllShapes() throws {
        var rng = SplitMix64(state: 7)
        let matrix = (0..<6).map { _ in Float.random(in: -3...3, using: &rng) }
        let special: [Float] = [
            0, -0.0, .infinity, -.infinity, .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude,
            Float(bitPattern: 0x7fc0_1234), Float(bitPattern: 0x0001_0000), 3.1415927,
        ]
        let tensors: [(name: String, shape: [Int], values: [Float])] = [
            (name: "z.matrix", shape: [2, 3], values: matrix),
            (name: "a.scalar", shape: [], values: [42.5]),
            (name: "empty", shape: [0, 4], values: []),
            (name: "special", shape: [10], values: special),
            (name: "ünïcode \"quoted\"\n", shape: [1, 1, 1], values: [-1]),
        ]
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("model.safetensors")
        let metadata = ["format": "pt", "note": "tab\there, quote \" and é", "step": "12"]
        try SafeTensorsFile.write(tensors, metadata: metadata, to: url)

        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.metadata == metadata)
        #expect(file.names == ["a.scalar", "empty", "special", "z.matrix", "ünïcode \"quoted\"\n"])
        for tensor in tensors {
            let info = try file.info(tensor.name)
            #expect(info.dtype == .float32)
            #expect(info.shape == tensor.shape)
            let read = try file.floats(tensor.name)
            #expect(read.map(\.bitPattern) == tensor.values.map(\.bitPattern), "\(tensor.name)")
        }
        // Sorted by name, contiguous in that order, header padded to 8 bytes.
        let offsets = file.names.map { file.tensors[$0]!.dataOffsets }
        #expect(offsets == [0..<4, 4..<4, 4..<44, 44..<68, 68..<72])
        #expect(file.dataStart % 8 == 0)
        // No temporary file is left beside the result.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["model.safetensors"])
    }

    @Test func copyFloatsFillsACallerBuffer() throws {
        let bytes = rawFile(
            #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: [0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0])
        let file = try SafeTensorsFile(bytes: bytes)
        var out = [Float](repeating: .nan, count: 2)
        try out.withUnsafeMutableBufferPointer { try file.copyFloats("w", into: $0) }
        #expect(out == [1, -2])
        var short = [Float](repeating: 0, count: 3)
        #expect(throws: SafeTensorsError.self) {
            try short.withUnsafeMutableBufferPointer { try file.copyFloats("w", into: $0) }
        }
    }

    @Test func writerMatchesPythonSafetensorsByteForByte() throws {
        // Tests/Fixtures/make_fixtures.py saved these tensors with safetensors.torch.save_file.
        let reference = try [UInt8](Data(contentsOf: fixtures.appendingPathComponent("python_reference.safetensors")))
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("ours.safetensors")
        try SafeTensorsFile.write(
            [
                (name: "b", shape: [3], values: [1.5, -2, 3]),
                (name: "a.weight", shape: [2, 3], values: [0, 0.125, 0.25, 0.375, 0.5, 0.625]),
                (name: "scalar", shape: [], values: [7]),
                (name: "empty", shape: [0, 2], values: []),
            ], metadata: ["format": "pt"], to: url)
        let ours = try [UInt8](Data(contentsOf: url))
        #expect(ours == reference)
    }
}

@Suite struct SafeTensorsPythonFileTests {
    let file: SafeTensorsFile

    init() throws {
        file = try SafeTensorsFile(contentsOf: fixtures.appendingPathComponent("python_dtypes.safetensors"))
    }

    @Test func metadataAndShapes() throws {
        #expect(file.metadata.count == 1)
        #expect(file.metadata["source"] == "make_fixtures.py")
        #expect(try file.info("f32").shape == [2, 3])
        #expect(try file.info("scalar").shape == [])
        #expect(try file.info("empty").shape == [0, 4])
        #expect(try file.info("i64").dtype == .int64)
    }

    @Test func float32() throws {
        #expect(try file.floats("f32") == [-0.5, -0.25, 0, 0.25, 0.5, 0.75])
        #expect(try file.floats("scalar") == [2.5])
        #expect(try file.floats("empty") == [])
    }

    @Test func float16() throws {
        // 0.5, -2, largest half, smallest normal half 2^-14, smallest subnormal 2^-24, inf, -0, half(1/3).
        let values = try file.floats("f16")
        let expected: [Float] = [0.5, -2, 65504, 0x1p-14, 0x1p-24, .infinity, -0.0, 0.333251953125]
        #expect(values.map(\.bitPattern) == expected.map(\.bitPattern))
    }

    @Test func bfloat16() throws {
        // 1, -3.5, 2^100, bfloat16(1/3) = 0x3EAB.
        #expect(try file.floats("bf16") == [1, -3.5, 0x1p100, 0.333984375])
    }

    @Test func float64() throws {
        // Rounded to the nearest Float; 1e-50 underflows to 0.
        #expect(try file.floats("f64") == [Float(0.1), -2.5, 0])
    }

    @Test func integers() throws {
        #expect(try file.ints("i64") == [0, 10, -3, 1 << 40, 7, 1])
        #expect(try file.info("i64").shape == [2, 3])
        #expect(try file.ints("i32") == [1, -2, 3])
        #expect(try file.ints("u8") == [0, 255])
        #expect(try file.ints("bool") == [1, 0, 1])
        #expect(try file.floats("i32") == [1, -2, 3])
    }

    @Test func wrongTypeAndMissingNameAreErrors() throws {
        #expect(throws: SafeTensorsError.wrongDType(file: file.source, tensor: "f32", dtype: "F32", wanted: "Int")) {
            try file.ints("f32")
        }
        do {
            _ = try file.floats("nope")
            Issue.record("expected an error")
        } catch let error as SafeTensorsError {
            guard case .tensorNotFound(_, "nope", let available) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(available.contains("f32"))
            #expect(error.description.contains("no tensor named 'nope'"))
        }
    }
}

@Suite struct SafeTensorsDecodingTests {
    @Test func halfConversionMatchesSwiftFloat16ForEveryBitPattern() {
        for bits in 0...UInt16.max {
            let ours = SafeTensorsFile.float(fromHalf: bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                #expect(ours.isNaN, "half 0x\(String(bits, radix: 16))")
            } else if ours.bitPattern != reference.bitPattern {
                Issue.record("half 0x\(String(bits, radix: 16)): \(ours) != \(reference)")
            }
        }
    }

    @Test func handBuiltHalfBFloatAndInt64() throws {
        let data: [UInt8] =
            [0x00, 0x3c, 0x00, 0xc0]  // F16 1, -2
            + [0x80, 0x3f, 0x49, 0x40]  // BF16 1, 3.140625
            + [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]  // I64 -1
        let header = """
            {"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},\
            "b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},\
            "i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}
            """
        let file = try SafeTensorsFile(bytes: rawFile(header, data: data))
        #expect(try file.floats("h") == [1, -2])
        #expect(try file.floats("b") == [1, 3.140625])
        #expect(try file.ints("i") == [-1])
        #expect(try file.floats("i") == [-1])
    }

    @Test func eightBitFloatsAreRecognisedButNotConverted() throws {
        let file = try SafeTensorsFile(
            bytes: rawFile(#"{"q":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, data: [1, 2]))
        #expect(throws: SafeTensorsError.self) { try file.floats("q") }
    }
}

/// One malformed file and the words its error must contain.
struct MalformedCase: CustomTestStringConvertible, Sendable {
    let label: String
    let bytes: [UInt8]
    let mustContain: [String]
    var testDescription: String { label }

    init(_ label: String, _ bytes: [UInt8], _ mustContain: [String]) {
        self.label = label
        self.bytes = bytes
        self.mustContain = mustContain
    }

    init(_ label: String, header: String, data: [UInt8] = [], _ mustContain: [String]) {
        self.init(label, rawFile(header, data: data), mustContain)
    }
}

let four: [UInt8] = [0, 0, 0x80, 0x3f]
let malformedCases: [MalformedCase] = [
    MalformedCase("empty file", [], ["0 bytes long", "8-byte header length"]),
    MalformedCase("five bytes", [1, 2, 3, 4, 5], ["5 bytes long"]),
    MalformedCase("length past end", [100, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8), ["header length 100", "10-byte"]),
    MalformedCase("length huge", [UInt8](repeating: 0xff, count: 8) + Array("{}".utf8), ["runs past the end"]),
    MalformedCase("header not JSON", header: "hello!!!", ["not valid JSON"]),
    MalformedCase("header not UTF-8", rawFile("{\"") + [0xff, 0xfe] + Array("\":1}".utf8), ["not valid JSON"]),
    MalformedCase("trailing text", header: "{} x", ["not valid JSON"]),
    MalformedCase("header an array", header: "[1, 2]", ["not a JSON object"]),
    MalformedCase("entry not object", header: #"{"w": 3}"#, ["tensor 'w'", "not a JSON object"]),
    MalformedCase(
        "missing dtype", header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: four,
        ["tensor 'w'", "field 'dtype'", "missing"]),
    MalformedCase(
        "dtype not string", header: #"{"w":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}"#, data: four,
        ["field 'dtype'", "not a string"]),
    MalformedCase(
        "unknown dtype", header: #"{"w":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}"#, data: four,
        ["field 'dtype'", "'F17'"]),
    MalformedCase(
        "missing shape", header: #"{"w":{"dtype":"F32","data_offsets":[0,4]}}"#, data: four,
        ["field 'shape'", "missing"]),
    MalformedCase(
        "shape not array", header: #"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#, data: four,
        ["field 'shape'", "not an array"]),
    MalformedCase(
        "negative dim", header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, data: four,
        ["field 'shape'", "-1"]),
    MalformedCase(
        "fractional dim", header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: four,
        ["field 'shape'", "1.5"]),
    MalformedCase(
        "overflowing shape",
        header: #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, data: four,
        ["field 'shape'", "too many"]),
    MalformedCase(
        "missing offsets", header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: four,
        ["field 'data_offsets'", "missing"]),
    MalformedCase(
        "one offset", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4]}}"#, data: four,
        ["field 'data_offsets'", "pair"]),
    MalformedCase(
        "offset too big for Int",
        header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,99999999999999999999]}}"#, data: four,
        ["field 'data_offsets'", "pair"]),
    MalformedCase(
        "begin after end", header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#, data: four,
        ["field 'data_offsets'", "begin 4 is after end 0"]),
    MalformedCase(
        "end past data", header: #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: four,
        ["field 'data_offsets'", "4-byte data section"]),
    MalformedCase(
        "size mismatch", header: #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
        data: four + four, ["tensor 'w'", "field 'data_offsets'", "needs 12"]),
    MalformedCase(
        "overlap",
        header:
            #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
        data: four + four + four, ["tensor 'b'", "overlaps tensor 'a'"]),
    MalformedCase(
        "gap",
        header:
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
        data: four + four + four, ["tensor 'b'", "gap of 4 bytes"]),
    MalformedCase(
        "data longer than tensors", header: #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
        data: four + four, ["cover 4 bytes", "has 8"]),
    MalformedCase(
        "duplicate name",
        header:
            #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#,
        data: four + four, ["tensor 'a'", "twice"]),
    MalformedCase("metadata not object", header: #"{"__metadata__":[1]}"#, ["field '__metadata__'"]),
    MalformedCase(
        "metadata value not string", header: #"{"__metadata__":{"step":3}}"#, ["field '__metadata__'", "'step'"]),
    MalformedCase("unpaired surrogate", header: #"{"\ud800":{}}"#, ["not valid JSON", "surrogate"]),
    MalformedCase("deep nesting", header: String(repeating: "[", count: 5000), ["not valid JSON", "nesting"]),
]

@Suite struct SafeTensorsMalformedTests {
    @Test(arguments: malformedCases)
    func malformedFileThrowsAOneLineErrorNamingThePlace(_ item: MalformedCase) {
        do {
            _ = try SafeTensorsFile(bytes: item.bytes, source: "bad.safetensors")
            Issue.record("\(item.label): expected an error")
        } catch let error as SafeTensorsError {
            guard case .malformed = error else {
                Issue.record("\(item.label): wrong error \(error)")
                return
            }
            let message = error.description
            #expect(message.hasPrefix("bad.safetensors:"))
            #expect(message.hasSuffix("re-save the checkpoint"))
            #expect(!message.contains("\n"))
            for word in item.mustContain {
                #expect(message.contains(word), "\(item.label): '\(word)' not in: \(message)")
            }
        } catch {
            Issue.record("\(item.label): unexpected error type \(error)")
        }
    }

    @Test func missingFileNamesThePath() {
        let path = "/nonexistent-dir/model.safetensors"
        #expect(throws: SafeTensorsError.self) { try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path)) }
        do {
            _ = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: path))
        } catch {
            #expect("\(error)".contains(path))
        }
    }

    @Test func everyTruncationOfAValidFileIsRejectedInMemoryAndOnDisk() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("t.safetensors")
        try SafeTensorsFile.write(
            [(name: "a", shape: [2, 2], values: [1, 2, 3, 4]), (name: "b", shape: [], values: [5])],
            metadata: ["k": "v"], to: url)
        let bytes = try [UInt8](Data(contentsOf: url))
        #expect(try SafeTensorsFile(bytes: bytes).floats("a") == [1, 2, 3, 4])
        let cut = directory.appendingPathComponent("cut.safetensors")
        for length in 0..<bytes.count {
            #expect(throws: SafeTensorsError.self, "length \(length)") {
                try SafeTensorsFile(bytes: Array(bytes[0..<length]))
            }
            try Data(bytes[0..<length]).write(to: cut)
            #expect(throws: SafeTensorsError.self, "length \(length) on disk") { try SafeTensorsFile(contentsOf: cut) }
        }
    }

    /// The data section is read when a tensor is asked for, so a file cut short after it was opened (by another
    /// program) must give an error naming it, not a crash or stale values.
    @Test func aFileCutShortAfterOpeningIsAReadError() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("t.safetensors")
        let values = (0..<1000).map { Float($0) }
        try SafeTensorsFile.write(
            [(name: "a", shape: [1000], values: values)], to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(try file.floats("a") == values)
        #expect(truncate(url.path, 200) == 0)
        do {
            _ = try file.floats("a")
            Issue.record("reading a cut file succeeded")
        } catch let error as SafeTensorsError {
            #expect(error.description.contains("t.safetensors: cannot read: the file ended at byte"))
        }
    }

    @Test func seededFuzzNeverCrashes() throws {
        var rng = SplitMix64(state: 2024)
        let valid = rawFile(
            #"{"__metadata__":{"a":"b"},"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}}"#,
            data: [UInt8](repeating: 0x3c, count: 16))
        #expect(try SafeTensorsFile(bytes: valid).names == ["i", "w"])
        var accepted = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:  // random bytes, sometimes with a plausible length prefix
                bytes = (0..<Int.random(in: 0...96, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if bytes.count > 8, Bool.random(using: &rng) {
                    let n = UInt64.random(in: 0...UInt64(bytes.count - 8), using: &rng)
                    for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
                }
            case 1:  // a valid file with a few bytes changed
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            default:  // a valid file cut short or extended
                bytes = Array(valid[0..<Int.random(in: 0...valid.count, using: &rng)])
                if Bool.random(using: &rng) {
                    bytes += [UInt8](repeating: 0x20, count: Int.random(in: 1...9, using: &rng))
                }
            }
            if let file = try? SafeTensorsFile(bytes: bytes) {
                accepted += 1
                for name in file.names {  // whatever was accepted must also convert without trapping
                    _ = try? file.floats(name)
                    _ = try? file.ints(name)
                }
            }
        }
        // Mutations inside the data section leave a valid file, so some are accepted; most are not.
        #expect(accepted > 0 && accepted < 3000)
    }
}

@Suite struct SafeTensorsWriteFailureTests {
    @Test func invalidInputThrowsAndLeavesTheOldFile() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        try SafeTensorsFile.write([(name: "w", shape: [2], values: [1, 2])], to: url)
        let before = try Data(contentsOf: url)
        let bad: [[(name: String, shape: [Int], values: [Float])]] = [
            [(name: "w", shape: [3], values: [1, 2])],
            [(name: "w", shape: [-1], values: [])],
            [(name: "w", shape: [1], values: [1]), (name: "w", shape: [1], values: [2])],
            [(name: "__metadata__", shape: [1], values: [1])],
        ]
        for tensors in bad {
            #expect(throws: SafeTensorsError.self) { try SafeTensorsFile.write(tensors, to: url) }
        }
        #expect(try Data(contentsOf: url) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.safetensors"])
    }

    @Test func overwriteReplacesTheFileWhole() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("m.safetensors")
        try SafeTensorsFile.write([(name: "w", shape: [4], values: [1, 2, 3, 4])], to: url)
        try SafeTensorsFile.write([(name: "v", shape: [1], values: [9])], to: url)
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.names == ["v"])
        #expect(try file.floats("v") == [9])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.safetensors"])
    }

    @Test func missingDirectoryNamesThePath() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/m.safetensors")
        do {
            try SafeTensorsFile.write([(name: "w", shape: [1], values: [1])], to: url)
            Issue.record("expected an error")
        } catch let error as SafeTensorsError {
            #expect(error.description.contains(url.path))
            #expect(error.description.contains("No such file or directory"))
        }
    }

    @Test func failedRenameRemovesTheTemporaryFile() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The target is a non-empty directory, so rename(2) fails after the data was written and synced.
        let target = directory.appendingPathComponent("m.safetensors")
        try FileManager.default.createDirectory(
            at: target.appendingPathComponent("inside"), withIntermediateDirectories: true)
        #expect(throws: SafeTensorsError.self) {
            try SafeTensorsFile.write([(name: "w", shape: [1], values: [1])], to: target)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.safetensors"])
    }

    @Test func fullDiskErrorNamesThePath() throws {
        // /dev/full answers every write with ENOSPC, as a full disk does.
        let fd = open("/dev/full", O_WRONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let bytes = [UInt8](repeating: 1, count: 64)
        do {
            try bytes.withUnsafeBytes { try SafeTensorsFile.writeAll(fd, $0, path: "/ckpt/model.safetensors") }
            Issue.record("expected ENOSPC")
        } catch let error as SafeTensorsError {
            #expect(error.description.contains("/ckpt/model.safetensors"))
            #expect(error.description.contains("No space left on device"))
        }
    }
}

/// Throughput of a large write and read; runs only with SEQKIT_BENCH=1 (`SEQKIT_BENCH=1 swift test -c release
/// --filter SafeTensorsBenchmark`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SEQKIT_BENCH"] != nil))
struct SafeTensorsBenchmark {
    @Test func writeAndReadQuarterGigabyte() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("big.safetensors")
        let count = 64 << 20  // 64 Mi floats = 256 MiB in 8 tensors
        let values = (0..<count).map { Float($0 & 1023) * 0.5 }
        let tensors = (0..<8).map { i in
            (
                name: "layer.\(i).weight", shape: [count / 8],
                values: Array(values[(i * count / 8)..<((i + 1) * count / 8)])
            )
        }
        let clock = ContinuousClock()
        let writeTime = try clock.measure { try SafeTensorsFile.write(tensors, to: url) }
        var file: SafeTensorsFile?
        let openTime = try clock.measure { file = try SafeTensorsFile(contentsOf: url) }
        var total: Float = 0
        let convertTime = try clock.measure {
            for name in file!.names { total += try file!.floats(name)[12345] }
        }
        let mib = Double(count * 4) / Double(1 << 20)
        func rate(_ d: Duration) -> String {
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
            return String(format: "%.3f s, %.0f MiB/s", seconds, mib / seconds)
        }
        print(
            "safetensors 256 MiB: write+fsync+rename \(rate(writeTime)); read+validate \(rate(openTime));"
                + " floats() of all tensors \(rate(convertTime)) (checksum \(total))")
        #expect(total == 8 * Float(12345 & 1023) * 0.5)
    }
}

/// Every golden fixture of the layer and model tests parses, and each parameter has a gradient of its shape.
@Suite struct GoldenFixtureFilesTests {
    static let files: [URL] = ["SeqNNTests", "SeqModelsTests"].flatMap { target -> [URL] in
        let directory = fixtures.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(target).appendingPathComponent("Fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".safetensors") }.sorted().map { directory.appendingPathComponent($0) }
    }

    @Test func allArePresent() {  // 20 from make_fixtures.py, 3 from make_encoder_fixtures.py
        #expect(Self.files.count == 23)
    }

    @Test(arguments: files)
    func parsesWithGradientsForEveryParameter(_ url: URL) throws {
        let file = try SafeTensorsFile(contentsOf: url)
        #expect(file.metadata["fixture"]?.contains("\"kind\"") == true)
        let data: Set<String> = [
            "input", "input_ids", "h0", "c0", "output", "h_n", "c_n", "probe", "probe_h", "probe_c", "inputs",
            "targets", "logits", "loss", "cos", "sin",
        ]
        let parameters = file.names.filter { !$0.hasPrefix("grad.") && !data.contains($0) }
        for name in parameters {
            let gradient = try file.info("grad.\(name)")
            #expect(gradient.shape == (try file.info(name)).shape, "\(url.lastPathComponent): \(name)")
            #expect(try file.floats("grad.\(name)").contains { $0 != 0 }, "\(url.lastPathComponent): \(name)")
        }
        for name in file.names where !(["inputs", "targets", "input_ids"].contains(name)) {
            #expect(try file.floats(name).allSatisfy(\.isFinite), "\(url.lastPathComponent): \(name)")
        }
    }
}
