// swift-tools-version: 6.0
// SeqKit: train and run sequence models on text, natively in Swift on Linux.
// Module graph and conventions: see README.md ("Architecture").
import PackageDescription

let package = Package(
    name: "SeqKit",
    products: [
        .library(name: "SeqConfig", targets: ["SeqConfig"]),
        .library(name: "SeqTokenizers", targets: ["SeqTokenizers"]),
        .executable(name: "seqtok", targets: ["seqtok"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        // System libraries (apt providers named; no unsafeFlags anywhere).
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(
            name: "CUTF8Proc",
            providers: [.apt(["libutf8proc-dev"]), .brew(["utf8proc"])]),

        // Strict JSON config decoding shared by tokenizers, models and training (no dependencies).
        .target(name: "SeqConfig"),
        .testTarget(name: "SeqConfigTests", dependencies: ["SeqConfig"]),

        // Tokenizers: normalizers, char and byte-level BPE tokenizers, tokenizer.json (utf8proc only, nothing numeric).
        .target(name: "SeqTokenizers", dependencies: ["CUTF8Proc", "SeqConfig"]),
        .executableTarget(
            name: "seqtok",
            dependencies: [
                "SeqTokenizers", "SeqConfig", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(name: "tokbench", dependencies: ["SeqTokenizers"], path: "Benchmarks/tokbench"),
        .testTarget(
            name: "SeqTokenizersTests", dependencies: ["SeqTokenizers"],
            exclude: ["Fixtures"]),
    ]
)
