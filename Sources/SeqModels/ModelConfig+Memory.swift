import SeqConfig

/// What training (or just building) a model of a config takes in memory, term by term, computed with overflow
/// checks so that no size in a config can trap; a term is nil when its count overflows `Int`.
///
/// The terms, in bytes (Float32 = 4 bytes; P parameters, B rows, T = contextLength, C = embeddingSize,
/// H = hidden size, L = layers, r = mlpRatio, V = vocabSize):
/// - weights: `4·P·(2 + moments)` — values and gradients of the parameter arena, plus the optimizer's moments
///   (AdamW 2); split into the embedding tables, the blocks and an untied head so the largest can be named.
/// - activations kept for the backward pass: `4·B·T·(L·block + 5·C)`, where a transformer block keeps
///   `(r + 6)·C` floats per token (fused ln+qkv 3C, attention output C, MLP hidden rC, projection C, two
///   residuals), or `(9 + 2r)·C + heads·T` for the small shapes
///   that keep every intermediate (see `Block.leanActivationBytes`); a recurrent layer keeps `(2·gates + 3)·H`.
/// - logits: `4·B·T·3·V` — logits, probabilities and their gradient.
/// - batch windows: `2·8·B·(T + 1)` — the input and target ids of one batch.
///
/// ```swift
/// let estimate = config.trainingMemory(batch: 12, optimizerMoments: 2)
/// try estimate.check(available: availableMemory())
/// ```
public struct MemoryEstimate: Sendable, Equatable {
    /// One part of the estimate.
    public struct Term: Sendable, Equatable {
        /// What it is, naming the sizes it grows with ("activations of batchSize 12 × contextLength 64 …").
        public let what: String
        /// Its bytes; nil when the count overflows `Int`.
        public let bytes: Int?
        /// The advice when this term is the largest ("lower training.batchSize or model.contextLength").
        public let fix: String
    }

    /// Every part, in a fixed order.
    public let terms: [Term]

    /// The sum of the terms; nil when any overflows.
    public var total: Int? { checkedSum(terms.map(\.bytes)) }

    /// The biggest term (one that overflows counts as the biggest).
    public var largest: Term {
        terms.max { ($0.bytes ?? Int.max) < ($1.bytes ?? Int.max) } ?? Term(what: "nothing", bytes: 0, fix: "")
    }

    /// Bytes of the named terms whose description starts with `prefix` (0 for none; nil on overflow).
    public func bytes(of prefix: String) -> Int? {
        checkedSum(terms.filter { $0.what.hasPrefix(prefix) }.map(\.bytes))
    }

    /// Throws ``ConfigError/tooLarge(needed:largest:available:fix:)`` when the total exceeds `available`
    /// bytes or overflows.
    public func check(available: Int) throws {
        if let total, total <= available { return }
        let top = largest
        throw ConfigError.tooLarge(needed: total, largest: top.what, available: available, fix: top.fix)
    }
}

extension ModelConfig {
    /// The trainable values of a model built from this config with its head (`head: false` for an encoder
    /// trunk), as the parameter arena will hold them; nil when the count overflows `Int`.
    ///
    /// It is the arena's `count` of the built model (the tests compare the two for every kind).
    /// `ModelConfig(embeddingSize: 1 << 62).parameterCount() == nil`
    public func parameterCount(head: Bool = true) -> Int? {
        let parts = parameterParts(head: head)
        return checkedSum([parts.embeddings, parts.blocks, parts.head])
    }

    /// Parameters of the embedding tables, the blocks (with the final norm) and an untied head.
    func parameterParts(head: Bool) -> (embeddings: Int?, blocks: Int?, head: Int?) {
        let (v, c, l) = (vocabSize, embeddingSize, layers)
        let b = bias ? 1 : 0
        switch kind {
        case .transformer:
            let r = mlpRatio
            let positions = positional == .learned ? contextLength : 0
            let embeddings = checkedProduct([checkedSum([v, positions]), c])
            // ln_1 and ln_2 (C each, +C bias), c_attn 3C·C (+3C), c_proj C·C (+C), c_fc rC·C (+rC), c_proj C·rC (+C).
            let rc = checkedProduct([r, c])
            let perBlock = checkedSum([
                checkedProduct([2 + 2 * b, c]), checkedProduct([3, c, c]), checkedProduct([3 * b, c]),
                checkedProduct([c, c]), checkedProduct([b, c]), checkedProduct([2, rc, c]),
                checkedProduct([b, rc]), checkedProduct([b, c]),
            ])
            let blocks = checkedSum([checkedProduct([l, perBlock]), checkedProduct([1 + b, c])])
            let untied = head && !tieWeights ? checkedProduct([v, c]) : 0
            return (embeddings, blocks, untied)
        case .rnn, .lstm, .gru:
            let h = resolvedHiddenSize
            let directions = bidirectional ? 2 : 1
            let gates = kind == .lstm ? 4 : kind == .gru ? 3 : 1
            let gh = checkedProduct([gates, h])
            // Per layer and direction: weight_ih G·H × width, weight_hh G·H × H, two biases G·H each.
            let recurrentPart = checkedSum([checkedProduct([gh, h]), checkedProduct([2 * b, gh])])
            let first = checkedSum([checkedProduct([gh, c]), recurrentPart])
            let later = checkedSum([checkedProduct([gh, directions, h]), recurrentPart])
            let blocks = checkedProduct([
                directions, checkedSum([first, checkedProduct([max(l - 1, 0), later])]),
            ])
            let untied = head && !tieWeights ? checkedProduct([v, h]) : 0
            let headBias = head && bias ? v : 0
            return (checkedProduct([v, c]), blocks, checkedSum([untied, headBias]))
        }
    }

    /// The memory of training this model on `batch` rows of `contextLength` tokens with an optimizer that keeps
    /// `optimizerMoments` floats per parameter (AdamW 2, SGD with momentum 1); `batch: 0, optimizerMoments: 0`
    /// is what building the model takes.
    public func trainingMemory(batch: Int, optimizerMoments: Int) -> MemoryEstimate {
        let parts = parameterParts(head: true)
        let perWeight = 4 * (2 + max(optimizerMoments, 0))
        let (v, c, t, l) = (vocabSize, embeddingSize, contextLength, layers)
        let what = optimizerMoments > 0 ? "values, gradients and optimizer moments" : "values and gradients"
        var terms = [
            MemoryEstimate.Term(
                what: "\(what) of the embeddings (vocabSize \(v) × embeddingSize \(c))",
                bytes: checkedProduct([perWeight, parts.embeddings]),
                fix: "lower model.vocabSize (or tokenizer.vocabularySize) or model.embeddingSize"),
            MemoryEstimate.Term(
                what: "\(what) of \(l) layers of width \(kind == .transformer ? c : resolvedHiddenSize)"
                    + (kind == .transformer ? " (mlpRatio \(mlpRatio))" : ""),
                bytes: checkedProduct([perWeight, parts.blocks]),
                fix: kind == .transformer
                    ? "lower model.layers, model.embeddingSize or model.mlpRatio"
                    : "lower model.layers, model.hiddenSize or model.embeddingSize"),
            MemoryEstimate.Term(
                what: "\(what) of the untied head (vocabSize \(v))", bytes: checkedProduct([perWeight, parts.head]),
                fix: "lower model.vocabSize (or tokenizer.vocabularySize), or set model.tieWeights to true"),
        ]
        if kind == .transformer && positional == .sinusoidal {
            terms.append(
                .init(
                    what: "the sinusoidal table (contextLength \(t) × embeddingSize \(c))",
                    bytes: checkedProduct([4, t, c]), fix: "lower model.contextLength or model.embeddingSize"))
        }
        guard batch > 0 else { return MemoryEstimate(terms: terms) }
        let tokens = checkedProduct([batch, t])
        terms.append(
            .init(
                what: "activations of batchSize \(batch) × contextLength \(t) × \(l) layers",
                bytes: checkedProduct([4, tokens, activationFloatsPerToken(batch: batch)]),
                fix: "lower training.batchSize (or model.contextLength, model.layers)"))
        terms.append(
            .init(
                what: "logits of batchSize \(batch) × contextLength \(t) × vocabSize \(v)",
                bytes: checkedProduct([12, tokens, v]),
                fix: "lower training.batchSize (or model.vocabSize, tokenizer.vocabularySize)"))
        terms.append(
            .init(
                what: "batch windows of batchSize \(batch) × contextLength \(t)",
                bytes: checkedProduct([16, batch, checkedSum([t, 1])]), fix: "lower training.batchSize"))
        return MemoryEstimate(terms: terms)
    }

    /// Floats one token keeps for the backward pass outside the logits (nil on overflow).
    func activationFloatsPerToken(batch: Int) -> Int? {
        let c = embeddingSize
        let perLayer: Int?
        switch kind {
        case .transformer:
            // Small windows keep every intermediate and the attention weights; larger ones run the lean path.
            let lean = (checkedProduct([batch, contextLength, c, 4]) ?? Int.max) >= 1 << 21
            perLayer =
                lean
                ? checkedProduct([checkedSum([mlpRatio, 6]), c])
                : checkedSum([
                    checkedProduct([checkedSum([checkedProduct([2, mlpRatio]), 9]), c]),
                    checkedProduct([heads, contextLength]),
                ])
        case .rnn, .lstm, .gru:
            let gates = kind == .lstm ? 4 : kind == .gru ? 3 : 1
            perLayer = checkedProduct([2 * gates + 3, resolvedHiddenSize, bidirectional ? 2 : 1])
        }
        // Outside the layers: embedding lookup and position add, their dropout, the final norm.
        return checkedSum([checkedProduct([layers, perLayer]), checkedProduct([5, c])])
    }
}
