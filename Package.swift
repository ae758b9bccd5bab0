// swift-tools-version: 6.0
// SeqKit: train and run sequence models on text, natively in Swift on Linux.
// Module graph and conventions: see README.md ("Architecture").
import PackageDescription

let package = Package(
    name: "SeqKit",
    products: [
        .library(name: "SeqConfig", targets: ["SeqConfig"]),
        .library(name: "SeqTensor", targets: ["SeqTensor"]),
        .library(name: "SeqAutograd", targets: ["SeqAutograd"]),
        .library(name: "SeqNN", targets: ["SeqNN"]),
        .executable(name: "seqbench", targets: ["seqbench"]),
        .library(name: "SeqModels", targets: ["SeqModels"]),
        .library(name: "SeqTraining", targets: ["SeqTraining"]),
        .library(name: "SeqSampling", targets: ["SeqSampling"]),
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

        // Numeric core: tensors and BLAS kernels, then the autograd tape and parameter arena.
        .target(name: "CSeqKernels"),
        .target(
            name: "SeqTensor",
            dependencies: ["CBLAS", "CSeqKernels", .product(name: "RealModule", package: "swift-numerics")]),
        .target(name: "SeqAutograd", dependencies: ["SeqTensor"]),
        .target(name: "_SeqTestSupport", dependencies: ["SeqTensor", "SeqAutograd"]),

        // Layers, then language models built from a config.
        .target(name: "SeqNN", dependencies: ["SeqAutograd", "SeqTensor"]),
        .testTarget(
            name: "SeqNNTests", dependencies: ["SeqNN", "SeqAutograd", "SeqTensor", "_SeqTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SeqTensorTests", dependencies: ["SeqTensor", "_SeqTestSupport", "CBLAS"], exclude: ["Fixtures"]),
        .testTarget(name: "SeqAutogradTests", dependencies: ["SeqAutograd", "SeqTensor", "_SeqTestSupport"]),

        // Benchmarks (release only; not tests).
        .executableTarget(
            name: "seqbench", dependencies: ["SeqTensor", "SeqAutograd", "CBLAS"], path: "Benchmarks/seqbench"),
        .target(name: "SeqModels", dependencies: ["SeqNN", "SeqAutograd", "SeqTensor", "SeqConfig"]),
        .testTarget(
            name: "SeqModelsTests",
            dependencies: ["SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "SeqConfig", "_SeqTestSupport"],
            exclude: ["Fixtures"]),

        // Training config, schedules, checkpoints and run directories (SHA-256 written here, no Crypto).
        .target(name: "SeqTraining", dependencies: ["SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "SeqConfig"]),
        .testTarget(name: "SeqTrainingTests", dependencies: ["SeqTraining", "SeqModels", "SeqConfig"]),

        // Logit processors, samplers, beam search, generation on the incremental decoders, scoring.
        .target(
            name: "SeqSampling",
            dependencies: [
                "SeqModels", "SeqNN", "SeqAutograd", "SeqTensor",
                .product(name: "RealModule", package: "swift-numerics"),
            ]),
        .testTarget(
            name: "SeqSamplingTests",
            dependencies: ["SeqSampling", "SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "_SeqTestSupport"]),
        .executableTarget(
            name: "samplebench", dependencies: ["SeqSampling", "SeqModels", "SeqTensor"],
            path: "Benchmarks/samplebench"),
    ]
)
