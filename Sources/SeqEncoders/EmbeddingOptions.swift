/// How the hidden states of a text's tokens become one vector.
///
/// ```swift
/// let vectors = try encoder.embed(texts, options: EmbeddingOptions(pooling: .last))
/// ```
public enum Pooling: String, Sendable, CaseIterable {
    /// The mean over the text's tokens (padding never counts).
    case mean
    /// The hidden state of the text's last token: for a causal model, the only one that has read it all.
    case last
}

/// The choices of ``TextEncoder/embed(_:options:)``: pooling, layer, normalization and batch size.
///
/// ```swift
/// var options = EmbeddingOptions()
/// options.layer = 2          // the second block's output instead of the final one
/// options.normalize = true   // unit length, so a dot product is the cosine similarity
/// ```
public struct EmbeddingOptions: Sendable, Equatable {
    /// How token states are pooled; `.mean` by default.
    public var pooling: Pooling
    /// Which layer's states to pool: nil = the trunk's output, `k` in `1...layers` = the k-th block's.
    public var layer: Int?
    /// Scale every embedding to unit L2 length.
    public var normalize: Bool
    /// Texts run through the model together; at least 1.
    public var batchSize: Int

    /// Options with the given values; `EmbeddingOptions()` is mean pooling of the final layer, not normalized,
    /// 32 texts at a time.
    public init(pooling: Pooling = .mean, layer: Int? = nil, normalize: Bool = false, batchSize: Int = 32) {
        self.pooling = pooling
        self.layer = layer
        self.normalize = normalize
        self.batchSize = batchSize
    }
}

/// The hidden states of one text: one row of ``width`` values per token.
///
/// ```swift
/// let states = try encoder.hiddenStates("To be, or not to be")
/// states.count        // T tokens
/// states[0]           // the first token's C values
/// ```
public struct TokenStates: Sendable, Equatable {
    /// The token ids the text was encoded to (after any truncation).
    public let tokens: [Int]
    /// Values per token (C).
    public let width: Int
    /// Row-major `(T, C)` values.
    public let values: [Float]

    /// Wraps `(T, C)` values; `values.count` must be `tokens.count · width`.
    public init(tokens: [Int], width: Int, values: [Float]) {
        precondition(values.count == tokens.count * width, "\(values.count) values for \(tokens.count) × \(width)")
        self.tokens = tokens
        self.width = width
        self.values = values
    }

    /// Number of tokens (T).
    public var count: Int { tokens.count }

    /// The state of token `t`, `width` values: `states[states.count - 1]` is the last token's.
    public subscript(t: Int) -> ArraySlice<Float> { values[(t * width)..<((t + 1) * width)] }
}

/// The cosine of the angle between two vectors of the same length, in [−1, 1] (0 when either is all zeros).
///
/// `cosineSimilarity([1, 0], [1, 1])  // 0.7071`
public func cosineSimilarity(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "cosineSimilarity of vectors of lengths \(a.count) and \(b.count)")
    var (dot, aa, bb): (Float, Float, Float) = (0, 0, 0)
    for i in a.indices {
        dot += a[i] * b[i]
        aa += a[i] * a[i]
        bb += b[i] * b[i]
    }
    let norm = (aa * bb).squareRoot()
    return norm > 0 ? dot / norm : 0
}
