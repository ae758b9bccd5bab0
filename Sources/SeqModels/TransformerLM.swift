import SeqAutograd
import SeqNN
import SeqTensor

/// A GPT-2 / nanoGPT language model: `wte (+ wpe) → dropout → blocks → ln_f → lm_head`, with nanoGPT's
/// parameter names (`transformer.wte.weight`, `transformer.h.0.attn.c_attn.weight`, …, `lm_head.weight`).
/// With `tieWeights`, the head reuses `transformer.wte.weight` and has no parameter of its own.
public final class TransformerLM: LanguageModel {
    public let config: ModelConfig
    public let arena = ParameterArena()
    let wte: Embedding
    let wpe: Embedding?
    let sinusoid: Tensor?  // (contextLength, C) fixed table for sinusoidal positions
    let blocks: [Block]
    let ln_f: LayerNorm
    let lm_head: Linear?  // nil when tied to wte, or headless
    let hasHead: Bool

    /// Builds and initialises the model (GPT-2 style: weights normal(0, initStd), residual projections
    /// scaled by 1/√(2·layers), biases zero). `config` must be validated with a vocabulary size.
    public convenience init(_ config: ModelConfig, rng: inout SeededGenerator) {
        self.init(config, head: true, rng: &rng)
    }

    /// The model, or with `head: false` its trunk alone (no `lm_head`; ``forward(_:batch:state:context:)``
    /// must not be called), as ``makeEncoder(_:seed:)`` builds encoder-only configs.
    package init(_ config: ModelConfig, head: Bool, rng: inout SeededGenerator) {
        precondition(
            config.kind == .transformer && config.vocabSize > 0,
            "TransformerLM needs a transformer config with vocabSize")
        self.config = config
        self.hasHead = head
        let arena = self.arena
        let (v, c, std) = (config.vocabSize, config.embeddingSize, Float(config.initStd))
        wte = Embedding(arena, "transformer.wte", count: v, width: c, initialization: .normal(std: std), rng: &rng)
        wpe =
            config.positional == .learned
            ? Embedding(
                arena, "transformer.wpe", count: config.contextLength, width: c, initialization: .normal(std: std),
                rng: &rng) : nil
        sinusoid = config.positional == .sinusoidal ? sinusoidalTable(positions: config.contextLength, width: c) : nil
        blocks = (0..<config.layers).map { i in
            Block(
                arena, "transformer.h.\(i)", width: c, heads: config.heads, mlpRatio: config.mlpRatio,
                bias: config.bias, dropout: Float(config.dropout), causal: config.causal,
                rotary: config.positional == .rotary, gelu: config.activation.gelu, initStd: std,
                layers: config.layers, rng: &rng)
        }
        ln_f = LayerNorm(arena, "transformer.ln_f", width: c, bias: config.bias)
        lm_head =
            config.tieWeights || !head
            ? nil
            : Linear(
                arena, "lm_head", inFeatures: c, outFeatures: v, bias: false, weightInit: .normal(std: std), rng: &rng)
        // nanoGPT's state_dict lists the tied matrix under both names; so do the files this arena writes.
        if config.tieWeights && head { arena.addAlias("lm_head.weight", of: "transformer.wte.weight") }
    }

    /// The final hidden states `(B, T, C)` of a window of token ids: the trunk without the head.
    public func hiddenStates(_ tokens: [Int], batch: Int, context: ForwardContext) -> Variable {
        encode(tokens, batch: batch, layer: nil, context: context)
    }

    /// T of `batch` rows of `tokens`, checked to fill the rows, fit the context, and name an existing layer.
    private func windowLength(_ tokens: [Int], batch: Int, layer: Int?) -> Int {
        precondition(
            layer.map { (1...config.layers).contains($0) } ?? true,
            "layer \(layer ?? 0) outside 1...\(config.layers)")
        let t = tokens.count / max(batch, 1)
        precondition(batch > 0 && tokens.count == batch * t, "\(tokens.count) tokens do not fill \(batch) rows")
        precondition(
            t <= config.contextLength, "window of \(t) tokens exceeds the context length \(config.contextLength)")
        return t
    }

    public func encode(_ tokens: [Int], batch: Int, layer: Int?, context: ForwardContext) -> Variable {
        let t = windowLength(tokens, batch: batch, layer: layer)
        var x = wte(tokens, shape: [batch, t])  // (B, T, C)
        if let wpe { x = x + wpe(Array(0..<t), shape: [t]) }  // (T, C) broadcast over B
        if let sinusoid {
            let table = Tensor(shape: [t, config.embeddingSize], storage: sinusoid.storage, offset: 0)
            x = x + Variable(table)  // (T, C) broadcast over B
        }
        x = context.dropout(x, Float(config.dropout))
        for block in blocks.prefix(layer ?? blocks.count) { x = block(x, context) }  // (B, T, C)
        return layer == nil ? ln_f(x) : x  // (B, T, C)
    }

    /// Writes the embedding of `token` at `position` (C) into `row`: the token's row of `wte` plus the learned
    /// (`wpe`) or sinusoidal position embedding; rotary positions are applied inside attention instead.
    func embed(_ token: Int, at position: Int, into row: UnsafeMutablePointer<Float>) {
        let c = config.embeddingSize
        row.update(from: wte.weight.value.pointer + token * c, count: c)
        if let p = wpe?.weight.value.pointer ?? sinusoid?.pointer {
            let p = p + position * c
            for i in 0..<c { row[i] += p[i] }
        }
    }

    /// The values of ``encode(_:batch:layer:context:)`` in evaluation, computed without the graph (in-place
    /// blocks over buffers made once per call), for inference: `(B, T, C)`.
    public func infer(_ tokens: [Int], batch: Int, layer: Int?) -> Tensor {
        let t = windowLength(tokens, batch: batch, layer: layer)
        let (c, v) = (config.embeddingSize, config.vocabSize)
        let x = Tensor(uninitialized: [batch, t, c])  // (B, T, C) residual stream
        for (row, token) in tokens.enumerated() {
            precondition(token >= 0 && token < v, "token \(token) outside the vocabulary 0..<\(v)")
            embed(token, at: row % t, into: x.pointer + row * c)
        }
        let scratch = BlockScratch(
            rows: batch * t, width: c, hidden: config.mlpRatio * c, capacity: t, heads: config.heads,
            windows: (batch, t))
        for block in blocks.prefix(layer ?? blocks.count) {
            block.infer(x.pointer, batch: batch, time: t, cache: nil, start: 0, scratch: scratch)
        }
        guard layer == nil else { return x }
        let y = Tensor(uninitialized: [batch, t, c])  // (B, T, C) after ln_f
        let stats = Tensor(uninitialized: [2 * batch * t])
        ln_f.infer(y.pointer, x.pointer, rows: batch * t, scratch: stats.pointer)
        return y
    }

    public func forward(_ tokens: [Int], batch: Int, state: CarriedState?, context: ForwardContext)
        -> (logits: Variable, state: CarriedState?)
    {
        precondition(hasHead, "this TransformerLM was built as an encoder (makeEncoder) and has no head")
        let x = hiddenStates(tokens, batch: batch, context: context)  // (B, T, C)
        let logits = lm_head.map { $0(x) } ?? matmul(x, wte.weight.variable(), transposeB: true)  // (B, T, V)
        return (logits, nil)
    }

    public func makeDecoder(batch: Int) -> any IncrementalDecoder {
        precondition(hasHead && config.causal, "an encoder (makeEncoder) has no head and cannot decode")
        return TransformerDecoder(self, batch: batch)
    }

    public var description: String {
        "TransformerLM(\(config.layers) × \(blocks.first.map { "\($0)" } ?? "Block"), vocab \(config.vocabSize))"
    }
}

/// Decodes a ``TransformerLM`` one token at a time with a KV cache per block. Past the context
/// length it keeps the most recent half of the window and re-encodes it (positions
/// restart at 0), then continues.
public final class TransformerDecoder: IncrementalDecoder {
    let model: TransformerLM
    public let batch: Int
    public private(set) var consumed = 0
    var position = 0  // position of the next token in the cache
    var history: [[Int]]  // per sequence, tokens now in the cache
    let caches: [KeyValueCache]
    let scratch: BlockScratch
    let x: Tensor  // (B, C) residual stream
    let h: Tensor  // (B, C) final norm
    let stats: Tensor  // (2B)
    let logits: Tensor  // (B, V)
    var windowScratch: BlockScratch?  // made at the first prefill or slide
    /// Every block's weights packed for passes over several rows (a prefill, a slide, a step of several
    /// sequences), made at the first such pass after each ``reset()``, so a model trained between two generations
    /// is packed again.
    var packs: [PackedBlock]?
    var windowInput: Tensor?  // (B·contextLength, C) residual stream of a prefill or slide

    init(_ model: TransformerLM, batch: Int) {
        self.model = model
        self.batch = batch
        let config = model.config
        let c = config.embeddingSize
        caches = model.blocks.map { _ in KeyValueCache(batch: batch, capacity: config.contextLength, width: c) }
        scratch = BlockScratch(
            rows: batch, width: c, hidden: config.mlpRatio * c, capacity: config.contextLength, heads: config.heads)
        x = Tensor(zeros: [batch, c])
        h = Tensor(zeros: [batch, c])
        stats = Tensor(zeros: [2 * batch])
        logits = Tensor(zeros: [batch, config.vocabSize])
        history = Array(repeating: [], count: batch)
    }

    public func reset() {
        packs = nil
        consumed = 0
        position = 0
        history = Array(repeating: [], count: batch)
    }

    public func reorder(_ parents: [Int]) {
        for cache in caches { cache.reorder(parents, positions: position) }
        history = parents.map { history[$0] }
    }

    public func step(_ tokens: [Int]) -> UnsafeBufferPointer<Float> {
        precondition(tokens.count == batch, "step needs one token per sequence (\(batch)), got \(tokens.count)")
        if position == model.config.contextLength { slide() }
        advance(tokens)
        consumed += 1
        return UnsafeBufferPointer(start: logits.pointer, count: logits.count)
    }

    /// The blocks' packed weights, made now if this generation has none yet.
    private func packedBlocks() -> [PackedBlock] {
        if let packs { return packs }
        let made = model.blocks.map(PackedBlock.init)
        packs = made
        return made
    }

    /// Buffers for passes over up to a whole window per sequence, made at the first such pass.
    private func windowBuffers() -> (BlockScratch, Tensor) {
        if let scratch = windowScratch, let input = windowInput { return (scratch, input) }
        let config = model.config
        let c = config.embeddingSize
        let scratch = BlockScratch(
            rows: batch * config.contextLength, width: c, hidden: config.mlpRatio * c, capacity: config.contextLength,
            heads: config.heads)
        let input = Tensor(zeros: [batch * config.contextLength, c])
        (windowScratch, windowInput) = (scratch, input)
        return (scratch, input)
    }

    /// Keeps the last half of the window and re-encodes it from position 0, every block in
    /// one pass over all kept tokens (matrix-matrix products).
    private func slide() {
        let config = model.config
        let keep = max(1, config.contextLength / 2)
        let c = config.embeddingSize
        let (scratch, input) = windowBuffers()
        history = history.map { Array($0.suffix(keep)) }
        for b in 0..<batch {
            for (t, token) in history[b].enumerated() {
                model.embed(token, at: t, into: input.pointer + (b * keep + t) * c)
            }
        }
        for (block, (cache, packed)) in zip(model.blocks, zip(caches, packedBlocks())) {
            block.infer(
                input.pointer, batch: batch, time: keep, cache: cache, start: 0, scratch: scratch, packed: packed)
        }
        position = keep
    }

    /// Reads the prompt in one pass of matrix-matrix products when it fits the window from the current position,
    /// else a step at a time (which slides the window).
    public func prefill(_ tokens: [Int], time t: Int) -> UnsafeBufferPointer<Float> {
        precondition(t > 0 && tokens.count == batch * t, "prefill needs \(batch)·\(t) tokens, got \(tokens.count)")
        let config = model.config
        guard t > 1, position + t <= config.contextLength else {
            var logits = UnsafeBufferPointer<Float>(start: nil, count: 0)
            for i in 0..<t { logits = step((0..<batch).map { tokens[$0 * t + i] }) }
            return logits
        }
        let (scratch, input) = windowBuffers()
        let (c, v) = (config.embeddingSize, config.vocabSize)
        for (row, token) in tokens.enumerated() {
            precondition(token >= 0 && token < v, "token \(token) outside the vocabulary 0..<\(v)")
            model.embed(token, at: position + row % t, into: input.pointer + row * c)
            history[row / t].append(token)
        }
        for (block, (cache, packed)) in zip(model.blocks, zip(caches, packedBlocks())) {
            block.infer(
                input.pointer, batch: batch, time: t, cache: cache, start: position, scratch: scratch, packed: packed)
        }
        for b in 0..<batch { (x.pointer + b * c).update(from: input.pointer + (b * t + t - 1) * c, count: c) }
        position += t
        consumed += t
        return logitsOfLastRows()
    }

    /// Runs one token per sequence through every block at `position`.
    private func advance(_ tokens: [Int]) {
        let config = model.config
        let (c, v) = (config.embeddingSize, config.vocabSize)
        for (b, token) in tokens.enumerated() {
            precondition(token >= 0 && token < v, "token \(token) outside the vocabulary 0..<\(v)")
            model.embed(token, at: position, into: x.pointer + b * c)
            history[b].append(token)
        }
        // One row per sequence: at batch 1 the products are matrix-vector ones, which read the weights in place.
        let packs = batch > 1 ? packedBlocks() : nil
        for (index, (block, cache)) in zip(model.blocks, caches).enumerated() {
            block.infer(
                x.pointer, batch: batch, time: 1, cache: cache, start: position, scratch: scratch,
                packed: packs?[index])
        }
        position += 1
        _ = logitsOfLastRows()
    }

    /// The next-token logits (B, V) of the residual rows in `x`: final norm, then the head (or the tied table).
    private func logitsOfLastRows() -> UnsafeBufferPointer<Float> {
        let (c, v) = (model.config.embeddingSize, model.config.vocabSize)
        let table = model.wte.weight.value.pointer
        model.ln_f.infer(h.pointer, x.pointer, rows: batch, scratch: stats.pointer)
        if let head = model.lm_head {
            head.infer(logits.pointer, h.pointer, rows: batch)
        } else if batch == 1 {
            Kernels.gemv(logits.pointer, table, h.pointer, m: v, n: c)
        } else {
            Kernels.gemm(logits.pointer, h.pointer, table, m: batch, n: v, k: c, transposeB: true)
        }
        return UnsafeBufferPointer(start: logits.pointer, count: logits.count)
    }
}
