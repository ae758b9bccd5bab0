import SeqAutograd
import SeqNN
import SeqTensor

/// A recurrent language model: `embedding → dropout → rnn (stacked RNN / LSTM / GRU) → dropout → head`,
/// named as the PyTorch twin `embedding.weight`, `rnn.weight_ih_l0`, …, `head.weight`, `head.bias`.
/// With `tieWeights` (needs hiddenSize == embeddingSize) the head reuses `embedding.weight` and keeps
/// its own bias.
public final class RecurrentLM: LanguageModel {
    public let config: ModelConfig
    public let arena = ParameterArena()
    let embedding: Embedding
    let rnn: Recurrent
    let headWeight: Parameter?  // (V, H); nil when tied
    let headBias: Parameter?  // (V)
    let hasHead: Bool

    /// Builds and initialises the model as PyTorch would: embedding normal(0, 1), recurrent weights and
    /// the head uniform(±1/√H). `config` must be validated with a vocabulary size.
    public convenience init(_ config: ModelConfig, rng: inout SeededGenerator) {
        self.init(config, head: true, rng: &rng)
    }

    /// The model, or with `head: false` its trunk alone (`embedding` and `rnn`, no `head.*`;
    /// ``forward(_:batch:state:context:)`` must not be called), as ``makeEncoder(_:seed:)`` builds
    /// encoder-only (bidirectional) configs.
    package init(_ config: ModelConfig, head: Bool, rng: inout SeededGenerator) {
        precondition(
            config.kind.isRecurrent && config.vocabSize > 0, "RecurrentLM needs a recurrent config with vocabSize")
        self.config = config
        self.hasHead = head
        let (v, e, h) = (config.vocabSize, config.embeddingSize, config.resolvedHiddenSize)
        embedding = Embedding(arena, "embedding", count: v, width: e, rng: &rng)
        rnn = Recurrent(
            arena, "rnn", kind: RecurrentLM.cell(config), inputSize: e, hiddenSize: h, layers: config.layers,
            bias: config.bias, dropout: Float(config.dropout), bidirectional: config.bidirectional, rng: &rng)
        let bound = 1 / Float(h).squareRoot()
        headWeight =
            config.tieWeights || !head ? nil : arena.parameter("head.weight", [v, h], .uniform(bound: bound), &rng)
        headBias = config.bias && head ? arena.parameter("head.bias", [v], .uniform(bound: bound), &rng) : nil
        // A tied PyTorch twin's state_dict lists the matrix as head.weight too; so do the files this arena writes.
        if config.tieWeights && head { arena.addAlias("head.weight", of: "embedding.weight") }
    }

    static func cell(_ config: ModelConfig) -> RecurrentKind {
        switch config.kind {
        case .lstm: .lstm
        case .gru: .gru
        case .rnn: config.nonlinearity == .relu ? .rnnRelu : .rnnTanh
        case .transformer: preconditionFailure("a transformer config has no recurrent cell")
        }
    }

    /// The head's matrix: its own, or the tied embedding.
    var headMatrix: Parameter { headWeight ?? embedding.weight }

    /// The top layer's hidden states `(B, T, H)` and the final state: the trunk without the head.
    public func hiddenStates(_ tokens: [Int], batch: Int, state: CarriedState?, context: ForwardContext)
        -> (hidden: Variable, state: CarriedState)
    {
        let t = tokens.count / batch
        precondition(batch > 0 && tokens.count == batch * t, "\(tokens.count) tokens do not fill \(batch) rows")
        if !context.dropsOut(Float(config.dropout)),
            rnn.readsTokensThroughTable(vocabulary: config.vocabSize, rows: tokens.count)
        {
            // No dropout between the embedding and layer 0: layer 0 reads a projected table (V, G·H).
            let (y, next) = rnn(
                tokens: tokens, batch: batch, table: embedding.weight.variable(), state: state?.recurrent,
                context: context)
            return (y, CarriedState(recurrent: next))
        }
        let x = context.dropout(embedding(tokens, shape: [batch, t]), Float(config.dropout))  // (B, T, E)
        let (y, next) = rnn(x, state: state?.recurrent, context: context)  // (B, T, H)
        return (y, CarriedState(recurrent: next))
    }

    public func encode(_ tokens: [Int], batch: Int, layer: Int?, context: ForwardContext) -> Variable {
        precondition(
            layer.map { (1...config.layers).contains($0) } ?? true,
            "layer \(layer ?? 0) outside 1...\(config.layers)")
        let t = tokens.count / batch
        precondition(batch > 0 && tokens.count == batch * t, "\(tokens.count) tokens do not fill \(batch) rows")
        let x = context.dropout(embedding(tokens, shape: [batch, t]), Float(config.dropout))  // (B, T, E)
        let (outputs, _) = rnn.layerOutputs(x, state: nil, context: context)  // each (B, T, directions·H)
        return outputs[(layer ?? config.layers) - 1]
    }

    public func forward(_ tokens: [Int], batch: Int, state: CarriedState?, context: ForwardContext)
        -> (logits: Variable, state: CarriedState?)
    {
        precondition(hasHead, "this RecurrentLM was built as an encoder (makeEncoder) and has no head")
        let (y, next) = hiddenStates(tokens, batch: batch, state: state, context: context)
        let dropped = context.dropout(y, Float(config.dropout))  // (B, T, H)
        var logits = matmul(dropped, headMatrix.variable(), transposeB: true)  // (B, T, V)
        if let headBias { logits = logits + headBias.variable() }
        return (logits, next)
    }

    public func makeDecoder(batch: Int) -> any IncrementalDecoder {
        precondition(hasHead && !config.bidirectional, "an encoder (makeEncoder) has no head and cannot decode")
        return RecurrentDecoder(self, batch: batch)
    }

    public var description: String {
        "RecurrentLM(\(rnn), vocab \(config.vocabSize)\(config.tieWeights ? ", tied" : ""))"
    }
}

/// Decodes a ``RecurrentLM`` one token at a time by carrying its hidden state (graph-free steps over
/// buffers allocated once: matrix-vector products and vectorised gates).
public final class RecurrentDecoder: IncrementalDecoder {
    let model: RecurrentLM
    public let batch: Int
    public private(set) var consumed = 0
    let state: RecurrentStepState
    let x: Tensor  // (B, E) embedded tokens
    let logits: Tensor  // (B, V)

    init(_ model: RecurrentLM, batch: Int) {
        self.model = model
        self.batch = batch
        state = model.rnn.makeStepState(batch: batch)
        x = Tensor(zeros: [batch, model.config.embeddingSize])
        logits = Tensor(zeros: [batch, model.config.vocabSize])
    }

    public func reset() {
        consumed = 0
        state.reset()
    }

    public func reorder(_ parents: [Int]) { state.reorder(parents) }

    public func step(_ tokens: [Int]) -> UnsafeBufferPointer<Float> {
        precondition(tokens.count == batch, "step needs one token per sequence (\(batch)), got \(tokens.count)")
        let (e, v) = (model.config.embeddingSize, model.config.vocabSize)
        let table = model.embedding.weight.value.pointer
        for (b, token) in tokens.enumerated() {
            precondition(token >= 0 && token < v, "token \(token) outside the vocabulary 0..<\(v)")
            (x.pointer + b * e).update(from: table + token * e, count: e)
        }
        let h = model.rnn.infer(x.pointer, state: state)  // (B, H)
        let w = model.headMatrix.value.pointer
        let hidden = model.config.resolvedHiddenSize
        if let bias = model.headBias?.value.pointer {
            for b in 0..<batch { (logits.pointer + b * v).update(from: bias, count: v) }
        }
        let beta: Float = model.headBias == nil ? 0 : 1
        if batch == 1 {
            Kernels.gemv(logits.pointer, w, h, m: v, n: hidden, beta: beta)
        } else {
            Kernels.gemm(logits.pointer, h, w, m: batch, n: v, k: hidden, transposeB: true, beta: beta)
        }
        consumed += 1
        return UnsafeBufferPointer(start: logits.pointer, count: logits.count)
    }
}
