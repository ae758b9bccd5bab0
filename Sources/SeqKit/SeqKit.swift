@_exported import SeqAutograd
@_exported import SeqCheckpoint
// SeqKit: one import for the whole toolkit.
//
//     import SeqKit
//     let encoder = try TextEncoder(path: URL(fileURLWithPath: "runs/tiny-gpt"))
//     let model = Sequential { Dense(16, activation: .relu, inputShape: [1]); Dense(1) }
//
// Packages that only need tokenizers depend on the `SeqTokenizers` product instead (no BLAS). The low-level layers
// of the built-in language models (`SeqNN`) stay out: their `Embedding` and `LayerNorm` would clash with the
// composable layers of `SeqLayers`; import `SeqNN` for them.
@_exported import SeqEncoders
@_exported import SeqLayers
@_exported import SeqModels
@_exported import SeqSampling
@_exported import SeqTensor
@_exported import SeqTokenizers
@_exported import SeqTraining
