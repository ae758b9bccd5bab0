// swift-tools-version: 6.0
// The introductory example of SeqKit's composable models (`import SeqKit` only): the 177-parameter network fitted
// to y = x², then a small text classifier (Embedding → LSTM → Dense(sigmoid)). `run.sh` fetches the labelled
// passages and runs it.
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the SeqKit clone is called.
let seqkit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
    .standardizedFileURL.lastPathComponent

let package = Package(
    name: "Intro",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(name: "Intro", dependencies: [.product(name: "SeqKit", package: seqkit)])
    ]
)
