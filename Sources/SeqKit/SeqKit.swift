@_exported import SeqCheckpoint
// SeqKit: one import for the whole toolkit.
//
//     import SeqKit
//     let encoder = try TextEncoder(path: URL(fileURLWithPath: "runs/tiny-gpt"))
//
// Packages that only need tokenizers depend on the `SeqTokenizers` product instead (no BLAS).
@_exported import SeqEncoders
@_exported import SeqModels
@_exported import SeqSampling
@_exported import SeqTokenizers
@_exported import SeqTraining
