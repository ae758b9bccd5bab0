// swift-tools-version: 6.0
// SeqKit: train and run sequence models on text, natively in Swift on Linux.
// Module graph and conventions: see README.md ("Architecture").
import PackageDescription

let package = Package(
    name: "SeqKit",
    products: [
        .library(name: "SeqConfig", targets: ["SeqConfig"]),
        .library(name: "SeqModels", targets: ["SeqModels"]),
        .library(name: "SeqTraining", targets: ["SeqTraining"]),
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

        // Model configs and (later) the models built from them.
        .target(name: "SeqModels", dependencies: ["SeqConfig"]),
        .testTarget(name: "SeqModelsTests", dependencies: ["SeqModels", "SeqConfig"]),

        // Training config, schedules, checkpoints and run directories (SHA-256 written here, no Crypto).
        .target(name: "SeqTraining", dependencies: ["SeqModels", "SeqConfig"]),
        .testTarget(name: "SeqTrainingTests", dependencies: ["SeqTraining", "SeqModels", "SeqConfig"]),
    ]
)
