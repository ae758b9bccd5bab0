import Foundation
import SeqAutograd
import SeqModels
import SeqNN
import SeqTensor

/// How well a model predicts a text: `meanNLL = −(1/N) Σ_j log p(x_j | x_<j)` over the N = count − 1 tokens
/// after the first, and `perplexity = e^meanNLL`.
///
/// ```swift
/// let result = try score(ids, model: model)
/// print(result.perplexity, result.bitsPerCharacter(characters: text.count))
/// ```
public struct ScoreResult: Sendable, Equatable {
    /// Mean negative log-likelihood per scored token, in nats.
    public var meanNLL: Double
    /// `e^meanNLL`.
    public var perplexity: Double { Foundation.exp(meanNLL) }
    /// Tokens scored (every token but the first).
    public var tokenCount: Int
    /// Total negative log-likelihood, in nats: `meanNLL · tokenCount`.
    public var totalNLL: Double { meanNLL * Double(tokenCount) }

    /// Bits per character of the scored text: `totalNLL / (ln 2 · characters)`, with `characters` counted
    /// by the caller (characters or bytes of the text whose tokens after the first were scored).
    ///
    /// `result.bitsPerCharacter(characters: text.unicodeScalars.count - 1)`
    public func bitsPerCharacter(characters: Int) -> Double {
        characters > 0 ? totalNLL / (Foundation.log(2) * Double(characters)) : .nan
    }
}

/// Scores `tokens` under `model`: every token after the first is predicted once from its left context.
///
/// Transformers use windows of `window` tokens (default: the context length) that start every `stride`
/// tokens (default: half a window), as Hugging Face's perplexity guide does: each window scores only the
/// tokens no earlier window scored, so every token gets at least `window − stride` tokens of context
/// (fewer near the start). A text within one window is one forward pass. Recurrent models read the text
/// in one pass, `window` tokens at a time, carrying their state, so every token sees all of its past.
///
/// ```swift
/// let result = try score(ids, model: model, window: 64, stride: 32)   // meanNLL in nats per token
/// ```
public func score(_ tokens: [Int], model: any LanguageModel, window: Int? = nil, stride: Int? = nil) throws
    -> ScoreResult
{
    let config = model.config
    try checkTokens(tokens, vocabSize: config.vocabSize, input: "scored")
    guard tokens.count >= 2 else { throw SamplingError.textTooShort(count: tokens.count) }
    let w = window ?? config.contextLength
    guard w >= 2, w <= config.contextLimit ?? Int.max else {
        throw SamplingError.invalidSetting(
            name: "score window", value: "\(w)",
            rule: "must be in 2...\(config.contextLimit.map { "\($0) (the context length)" } ?? "any")")
    }
    let s = stride ?? max(1, w / 2)
    guard s >= 1, s <= w - 1 else {
        throw SamplingError.invalidSetting(
            name: "score stride", value: "\(s)", rule: "must be in 1...\(w - 1) (window − 1) so no token is skipped")
    }
    let v = config.vocabSize
    var total: Double = 0
    let n = tokens.count

    /// Adds `−log softmax(logits[row])[target]` for `rows` consecutive rows of a (1, T, V) window.
    func accumulate(_ logits: Tensor, rows: Range<Int>, targets: ArraySlice<Int>) {
        let p = logits.pointer  // tensors are contiguous, row-major
        for (row, target) in zip(rows, targets) {
            let x = UnsafeBufferPointer(start: p + row * v, count: v)
            total -= Double(logProbability(x, of: target))
        }
    }

    withoutGradients {
        if config.carriesState {
            var state: CarriedState? = nil
            var start = 0  // inputs tokens[start..<end] predict tokens[start+1...end]
            while start < n - 1 {
                let end = min(start + w, n - 1)
                let (logits, next) = model.forward(
                    Array(tokens[start..<end]), batch: 1, state: state, context: .evaluation())
                accumulate(logits.value, rows: 0..<(end - start), targets: tokens[(start + 1)...end])
                state = next?.detached()
                start = end
            }
        } else {
            var begin = 0
            var scored = 1  // next token index to score
            while scored < n {
                let end = min(begin + w, n)
                let (logits, _) = model.forward(
                    Array(tokens[begin..<end]), batch: 1, state: nil, context: .evaluation())
                // Token j is predicted by the logits at window row j − 1 − begin.
                accumulate(logits.value, rows: (scored - 1 - begin)..<(end - 1 - begin), targets: tokens[scored..<end])
                scored = end
                begin += s
            }
        }
    }
    return ScoreResult(meanNLL: total / Double(n - 1), tokenCount: n - 1)
}
