// swift-tools-version: 6.0
// libFuzzer targets, one per parser SeqKit reads user files with. Built and run by `make fuzz` (Fuzz/run.sh);
// never part of `make test`. `-parse-as-library` lets libFuzzer's own `main` drive `LLVMFuzzerTestOneInput`;
// the flag is allowed here because nothing depends on this package.
import PackageDescription

let fuzzFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name, dependencies: products.map { .product(name: $0, package: "SeqKit") }, swiftSettings: fuzzFlags)
}

let package = Package(
    name: "SeqKitFuzz",
    dependencies: [.package(name: "SeqKit", path: "..")],
    targets: [
        fuzzTarget("fuzz-config", ["SeqTraining"]),
        fuzzTarget("fuzz-tokenizer-json", ["SeqTokenizers"]),
        fuzzTarget("fuzz-safetensors", ["SeqTensor"]),
        fuzzTarget("fuzz-checkpoint", ["SeqTraining"]),
        fuzzTarget("fuzz-encode", ["SeqTokenizers"]),
    ]
)
