import Foundation
import SeqConfig
import SeqModels

extension GenerationOptions {
    /// Bytes that generating with these options allocates for a model of `config` and a prompt of
    /// `promptLength` tokens, or nil when the count overflows `Int`. Per sequence (each sample, or each beam):
    /// the decoder's state — for a transformer `4 · (2·L·T·C + T·(C·(r + 6) + H·T) + 2·V)` bytes (KV caches,
    /// the scratch of a slide past the context, logits), for a recurrent model `4 · (10·L·H + E + 2·V)` —
    /// plus 20 bytes per token of history and result (`promptLength + maxTokens`), plus 32 bytes per
    /// vocabulary entry for each beam's candidates.
    ///
    /// `options.estimatedMemory(for: model.config, promptLength: 5)  // ≈ 350_000 for tiny-gpt, 1 sample`
    public func estimatedMemory(for config: ModelConfig, promptLength: Int) -> Int? {
        checkedProduct([bytesPerSequence(config, promptLength: promptLength), max(1, sequences)])
    }

    /// Generation that needs less than this is never refused, so the usual call does not read `/proc/meminfo`.
    static let alwaysFits = 64 << 20

    /// Throws ``SamplingError/tooLarge(setting:value:bytes:available:largest:)`` when
    /// ``estimatedMemory(for:promptLength:)`` exceeds `available` bytes (by default the memory the system can
    /// give now, read only when the estimate passes 64 MiB), naming the sample, beam or token count to lower and
    /// the largest that fits.
    ///
    /// `try options.checkMemory(for: model.config, promptLength: prompt.count)`
    public func checkMemory(for config: ModelConfig, promptLength: Int, available: Int? = nil) throws {
        let bytes = estimatedMemory(for: config, promptLength: promptLength)
        if let bytes, bytes <= Self.alwaysFits && available == nil { return }
        let available = available ?? availableMemory()
        if let bytes, bytes <= available { return }
        var one = self
        one.numSamples = 1
        one.beams = 1
        if sequences > 1, let single = one.bytesPerSequence(config, promptLength: promptLength), single <= available {
            throw SamplingError.tooLarge(
                setting: beams > 1 ? "beams" : "samples", value: sequences, bytes: bytes, available: available,
                largest: available / single)
        }
        // The tokens are what does not fit: the most that fit with this many sequences (0 if none do).
        one.maxTokens = 0
        let fixed = one.bytesPerSequence(config, promptLength: promptLength) ?? Int.max
        let perSequence = available / max(1, sequences)
        let largest = perSequence > fixed ? (perSequence - fixed) / Self.bytesPerToken : 0
        throw SamplingError.tooLarge(
            setting: "max tokens", value: maxTokens, bytes: bytes, available: available, largest: largest)
    }

    /// Sequences decoded side by side: the beams of a beam search, else the samples.
    var sequences: Int { beams > 1 ? beams : numSamples }

    /// History (`Int`), result token (`Int`) and log-probability (`Float`) of one token.
    static let bytesPerToken = 20

    /// Bytes one sequence takes: decoder state, beam candidates and per-token records (nil on overflow).
    func bytesPerSequence(_ config: ModelConfig, promptLength: Int) -> Int? {
        let v = config.vocabSize
        let floats = config.decoderFloatsPerSequence()
        let tokens = checkedSum([promptLength, maxTokens])
        return checkedSum([
            floats.flatMap { checkedProduct([4, $0]) }, tokens.flatMap { checkedProduct([Self.bytesPerToken, $0]) },
            beams > 1 ? checkedProduct([32, v]) : 0,
        ])
    }
}
