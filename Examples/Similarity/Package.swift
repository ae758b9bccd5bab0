// swift-tools-version: 6.0
// An example package that depends on SeqKit by path: tokenizes with SeqTokenizers alone, then embeds
// sentences with a trained checkpoint and ranks them by cosine similarity to a query. `run.sh` trains the
// checkpoint and runs it.
import Foundation
import PackageDescription

// A path dependency is named after its folder, which is whatever the SeqKit clone is called.
let seqkit = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")
    .standardizedFileURL.lastPathComponent

let package = Package(
    name: "Similarity",
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(
            name: "Similarity",
            dependencies: [
                .product(name: "SeqTokenizers", package: seqkit),
                .product(name: "SeqEncoders", package: seqkit),
            ])
    ]
)
