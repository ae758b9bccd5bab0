import Foundation
import SeqAutograd
import SeqNN
import SeqTensor

/// A next-token model over token ids: `embedding → blocks → (final norm) → head`.
///
/// Training and sampling see models only through this protocol; every ``ModelKind`` conforms, so
/// kinds are interchangeable in a config file.
///
/// ```swift
/// let model = try makeModel(config, seed: 1337)
/// let (logits, _) = model.forward(tokens, batch: 12, state: nil, context: .evaluation())   // (12, T, V)
/// ```
public protocol LanguageModel: EncoderTrunk {
    /// Logits for a window of `batch` rows of token ids, row-major `(B, T)` → `(B, T, V)`.
    /// `state` carries recurrent hidden state in from the previous window (nil = zeros) and the
    /// returned one carries it out; transformers take nil and return nil.
    func forward(_ tokens: [Int], batch: Int, state: CarriedState?, context: ForwardContext)
        -> (logits: Variable, state: CarriedState?)

    /// A decoder that consumes one token per sequence at a time (KV cache or carried state).
    func makeDecoder(batch: Int) -> any IncrementalDecoder
}

/// Hidden state a recurrent model carries from one training window to the next (truncated BPTT).
public struct CarriedState {
    /// Per-layer state of the recurrent stack.
    public var recurrent: RecurrentState

    /// Wraps a recurrent stack's state.
    public init(recurrent: RecurrentState) { self.recurrent = recurrent }

    /// The same values with no graph behind them, so the next window's backward pass stops here.
    public func detached() -> CarriedState { CarriedState(recurrent: recurrent.detached()) }
}

/// Generation one token per sequence at a time, after the prompt is read in one ``prefill(_:time:)``.
///
/// ```swift
/// let decoder = model.makeDecoder(batch: 1)
/// _ = decoder.prefill(prompt, time: prompt.count)
/// let logits = decoder.step([next])   // (1, V), valid until the next call
/// ```
public protocol IncrementalDecoder: AnyObject {
    /// Number of sequences decoded side by side.
    var batch: Int { get }
    /// Tokens consumed so far by each sequence.
    var consumed: Int { get }
    /// Feeds one token per sequence and returns the next-token logits, row-major (B, V); the buffer
    /// is reused by the next call.
    func step(_ tokens: [Int]) -> UnsafeBufferPointer<Float>
    /// Feeds `time` tokens per sequence (row-major `(B, T)`) and returns the logits after each sequence's last
    /// one, (B, V), as `time` calls of ``step(_:)`` would; a decoder that can reads them in one pass.
    func prefill(_ tokens: [Int], time: Int) -> UnsafeBufferPointer<Float>
    /// Forgets every token (an empty cache or zero state).
    func reset()
    /// Replaces each sequence's state by a copy of another's, for beam search: afterwards sequence `b`
    /// continues from what sequence `parents[b]` had consumed (`reorder([0, 0, 1])` duplicates 0, drops 2).
    func reorder(_ parents: [Int])
}

extension IncrementalDecoder {
    /// ``step(_:)`` once per position: the way to read a prompt for decoders without a batched pass.
    public func prefill(_ tokens: [Int], time: Int) -> UnsafeBufferPointer<Float> {
        precondition(time > 0 && tokens.count == batch * time, "prefill needs \(batch)·\(time) tokens")
        var logits = UnsafeBufferPointer<Float>(start: nil, count: 0)
        for t in 0..<time { logits = step((0..<batch).map { tokens[$0 * time + t] }) }
        return logits
    }
}

extension LanguageModel {
    /// Saves the parameters as `model.safetensors`-style F32 safetensors (atomic); a tied head is stored under
    /// its own name too (`lm_head.weight`, `head.weight`), as PyTorch's `state_dict` has it.
    public func save(to url: URL) throws { try arena.write(to: url, metadata: ["format": "pt"]) }

    /// Loads parameters by name; a missing, extra or mis-shaped tensor is an error naming it.
    public func load(from url: URL) throws { try arena.read(from: url) }

    /// Loads parameters from a safetensors file already read, e.g. one of a verified checkpoint.
    public func load(from file: SafeTensorsFile) throws { try arena.read(from: file) }

    /// Number of trainable values.
    public var parameters: [Parameter] { arena.slots.map { Parameter(arena: arena, slot: $0) } }
}
