import SeqConfig

/// What a model of this config can do, so training, sampling, scoring and encoding ask the model instead of
/// testing its ``ModelKind``.
extension ModelConfig {
    /// The longest window the model reads in one pass: the context length of a transformer (positions past it
    /// have no embedding); nil for recurrent models, which read any length by carrying state.
    public var contextLimit: Int? { kind.isRecurrent ? nil : contextLength }

    /// Whether hidden state flows from one window to the next (recurrent models): training then reads the corpus
    /// as contiguous streams and carries the state, and evaluation warms it up on the preceding tokens.
    public var carriesState: Bool { kind.isRecurrent }

    /// Whether the carried state has a cell tensor per layer beside the hidden one (LSTM).
    public var carriesCell: Bool { kind == .lstm }

    /// Whether the MLP activation (`model.activation`) is part of the model (transformers).
    public var usesActivation: Bool { !kind.isRecurrent }

    /// Floats one sequence's incremental decoder holds: a transformer's K/V cache and work buffers, or a
    /// recurrent stack's state and gate buffers, plus the logits (nil on overflow).
    public func decoderFloatsPerSequence() -> Int? {
        let (l, t, c, v) = (layers, contextLength, embeddingSize, vocabSize)
        if kind.isRecurrent {
            return checkedSum([checkedProduct([10, l, resolvedHiddenSize]), c, checkedProduct([2, v])])
        }
        return checkedSum([
            checkedProduct([2, l, t, c]), checkedProduct([t, c, checkedSum([mlpRatio, 6])]),
            checkedProduct([heads, t, t]), checkedProduct([2, v]),
        ])
    }
}
