// swift-tools-version: 6.1
// SeqKit: train and run sequence models on text, natively in Swift on Linux.
// Module graph and conventions: README.md ("Architecture").
import PackageDescription

let numerics = Target.Dependency.product(name: "RealModule", package: "swift-numerics")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "SeqKit",
    products: [
        .library(name: "SeqTokenizers", targets: ["SeqTokenizers"]),
        .library(name: "SeqConfig", targets: ["SeqConfig"]),
        .library(name: "SeqTensor", targets: ["SeqTensor"]),
        .library(name: "SeqAutograd", targets: ["SeqAutograd"]),
        .library(name: "SeqNN", targets: ["SeqNN"]),
        .library(name: "SeqModels", targets: ["SeqModels"]),
        .library(name: "SeqCheckpoint", targets: ["SeqCheckpoint"]),
        .library(name: "SeqTraining", targets: ["SeqTraining"]),
        .library(name: "SeqSampling", targets: ["SeqSampling"]),
        .library(name: "SeqEncoders", targets: ["SeqEncoders"]),
        .library(name: "SeqLayers", targets: ["SeqLayers"]),
        // Everything above in one import.
        .library(name: "SeqKit", targets: ["SeqKit"]),
        .executable(name: "seqtok", targets: ["seqtok"]),
        .executable(name: "seqtrain", targets: ["seqtrain"]),
        .executable(name: "seqsample", targets: ["seqsample"]),
        .executable(name: "seqembed", targets: ["seqembed"]),
        .executable(name: "seqbench", targets: ["seqbench"]),
        .executable(name: "tokbench", targets: ["tokbench"]),
    ],
    // `swift build --traits MPI` (or `make release-mpi`): data-parallel training under `mpirun` with Open MPI.
    traits: [.trait(name: "MPI", description: "Data-parallel training over Open MPI (needs libopenmpi-dev).")],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // `swift package generate-documentation` (make docs): the reference with the articles of SeqKit.docc.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // System libraries (apt providers named; no unsafeFlags anywhere).
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]),
        .systemLibrary(
            name: "CUTF8Proc",
            providers: [.apt(["libutf8proc-dev"]), .brew(["utf8proc"])]),
        .systemLibrary(
            name: "CMPI", pkgConfig: "ompi", providers: [.apt(["libopenmpi-dev"]), .brew(["open-mpi"])]),

        // The processes of a data-parallel run: MPI with the trait, one process without.
        .target(
            name: "SeqDistributed", dependencies: [.target(name: "CMPI", condition: .when(traits: ["MPI"]))]),

        // Strict JSON config decoding shared by tokenizers, models and training (no dependencies).
        .target(name: "SeqConfig"),

        // Tokenizers: normalizers, char and byte-level BPE, tokenizer.json (utf8proc only, nothing numeric).
        .target(name: "SeqTokenizers", dependencies: ["CUTF8Proc", "SeqConfig"]),

        // Numeric core: tensors and BLAS kernels, then the autograd graph and parameter arena.
        .target(name: "CSeqKernels"),
        .target(name: "SeqTensor", dependencies: ["CBLAS", "CSeqKernels", numerics]),
        .target(name: "SeqAutograd", dependencies: ["SeqTensor"]),

        // Layers, then language models built from a config.
        .target(name: "SeqNN", dependencies: ["SeqAutograd", "SeqTensor", "CSeqKernels", numerics]),
        .target(name: "SeqModels", dependencies: ["SeqNN", "SeqAutograd", "SeqTensor", "SeqConfig"]),

        // A run's config and its checkpoint folders: reading, verifying and locating them (no training code), for
        // the encoders, the sampler and the tools.
        .target(name: "SeqCheckpoint", dependencies: ["SeqModels", "SeqTensor", "SeqTokenizers", "SeqConfig"]),

        // Training: data, optimizers, schedules, the loop and its observers, writing checkpoints and records.
        .target(
            name: "SeqTraining",
            dependencies: [
                "SeqCheckpoint", "SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "SeqTokenizers", "SeqConfig",
                "SeqDistributed",
            ]),

        // Text to vectors with a trained trunk (reads checkpoints through SeqCheckpoint).
        .target(
            name: "SeqEncoders",
            dependencies: ["SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "SeqTokenizers", "SeqCheckpoint"]),
        // Models you compose: Keras-style layers, Sequential and functional models, compile/fit/evaluate/predict.
        .target(
            name: "SeqLayers",
            dependencies: [
                "SeqTraining", "SeqCheckpoint", "SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "SeqTokenizers",
                "SeqConfig",
            ]),
        // The umbrella: re-exports the tokenizers, tensors, models, training, sampling, encoders and layers.
        .target(
            name: "SeqKit",
            dependencies: [
                "SeqTokenizers", "SeqTensor", "SeqAutograd", "SeqModels", "SeqCheckpoint", "SeqTraining", "SeqSampling",
                "SeqEncoders", "SeqLayers",
            ]),

        // Executables (thin: options, validate, one library call); SeqCommandLine gives them one-line flag errors.
        .target(name: "SeqCommandLine", dependencies: [argumentParser]),
        .executableTarget(
            name: "seqtok", dependencies: ["SeqTokenizers", "SeqConfig", "SeqCommandLine", argumentParser]),
        .executableTarget(
            name: "seqtrain",
            dependencies: [
                "SeqTraining", "SeqLayers", "SeqTensor", "SeqDistributed", "SeqCommandLine", argumentParser,
            ]),
        .executableTarget(
            name: "seqsample",
            dependencies: [
                "SeqSampling", "SeqCheckpoint", "SeqTokenizers", "SeqTensor", "SeqLayers", "SeqCommandLine",
                argumentParser,
            ]),

        .executableTarget(
            name: "seqembed", dependencies: ["SeqEncoders", "SeqTensor", "SeqCommandLine", argumentParser]),

        // Benchmarks (release only; not tests).
        .executableTarget(
            name: "seqbench",
            dependencies: [
                "SeqTensor", "SeqAutograd", "SeqNN", "SeqModels", "SeqTraining", "SeqSampling", "CBLAS", argumentParser,
            ],
            path: "Benchmarks/seqbench"),
        .executableTarget(name: "tokbench", dependencies: ["SeqTokenizers"], path: "Benchmarks/tokbench"),

        // Data-parallel checks that need several processes (Tests/MPI/run.sh runs them under mpirun).
        .executableTarget(
            name: "mpicheck",
            dependencies: [
                "SeqTraining", "SeqCheckpoint", "SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "SeqDistributed",
            ],
            path: "Tests/MPI/mpicheck"),

        // Test support and tests.
        .target(name: "_SeqTestSupport", dependencies: ["SeqTensor", "SeqAutograd"]),
        .testTarget(name: "SeqConfigTests", dependencies: ["SeqConfig"]),
        .testTarget(
            name: "SeqTokenizersTests", dependencies: ["SeqTokenizers", "SeqConfig", "CUTF8Proc"], exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SeqTensorTests", dependencies: ["SeqTensor", "_SeqTestSupport", "CBLAS"], exclude: ["Fixtures"]),
        .testTarget(name: "SeqAutogradTests", dependencies: ["SeqAutograd", "SeqTensor", "_SeqTestSupport"]),
        .testTarget(
            name: "SeqNNTests", dependencies: ["SeqNN", "SeqAutograd", "SeqTensor", "_SeqTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SeqModelsTests",
            dependencies: ["SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "SeqConfig", "_SeqTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SeqTrainingTests",
            dependencies: [
                "SeqTraining", "SeqModels", "SeqAutograd", "SeqTokenizers", "SeqConfig", "_SeqTestSupport",
                "SeqDistributed", "SeqNN", "SeqTensor",
            ]),
        // Runs the built tools as a user would (needs `swift build` of the executables first).
        .testTarget(name: "CLITests", dependencies: ["SeqTraining"]),
        // Logit processors, samplers, beam search, generation on the incremental decoders, scoring.
        .target(
            name: "SeqSampling",
            dependencies: [
                "SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "SeqConfig", numerics,
            ]),
        .testTarget(
            name: "SeqSamplingTests",
            dependencies: ["SeqSampling", "SeqModels", "SeqNN", "SeqAutograd", "SeqTensor", "_SeqTestSupport"]),
        .testTarget(
            name: "SeqEncodersTests",
            dependencies: [
                "SeqEncoders", "SeqKit", "SeqModels", "SeqTraining", "SeqTokenizers", "SeqNN", "SeqAutograd",
                "SeqConfig", "SeqTensor", "_SeqTestSupport",
            ],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SeqLayersTests",
            dependencies: [
                "SeqLayers", "SeqKit", "SeqTraining", "SeqAutograd", "SeqTensor", "SeqConfig", "_SeqTestSupport",
            ],
            exclude: ["Fixtures"]),
        .executableTarget(
            name: "embedbench", dependencies: ["SeqEncoders", "SeqModels", "SeqTokenizers", "SeqTensor"],
            path: "Benchmarks/embedbench", exclude: ["compare_torch.py"]),
        .executableTarget(
            name: "minilmbench", dependencies: ["SeqEncoders", "SeqTensor"], path: "Benchmarks/minilmbench"),
        .executableTarget(name: "fitbench", dependencies: ["SeqLayers", "SeqTensor"], path: "Benchmarks/fitbench"),
        .executableTarget(
            name: "samplebench", dependencies: ["SeqSampling", "SeqModels", "SeqTensor"], path: "Benchmarks/samplebench"
        ),
    ]
)
