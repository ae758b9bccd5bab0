// A training run is configured by `TrainingConfig` and writes checkpoints that `SeqCheckpoint` reads, so
// `import SeqTraining` brings both.
@_exported import SeqCheckpoint
