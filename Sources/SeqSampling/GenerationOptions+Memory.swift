import Foundation
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
        guard let perSequence = bytesPerSequence(config, promptLength: promptLength) else { return nil }
        let (total, overflow) = perSequence.multipliedReportingOverflow(by: max(1, sequences))
        return overflow ? nil : total
    }

    /// Throws ``SamplingError/tooLarge(setting:value:bytes:available:largest:)`` when
    /// ``estimatedMemory(for:promptLength:)`` exceeds `available` bytes (by default the memory the system can
    /// give now), naming the sample, beam or token count to lower and the largest that fits.
    ///
    /// `try options.checkMemory(for: model.config, promptLength: prompt.count)`
    public func checkMemory(for config: ModelConfig, promptLength: Int, available: Int = availableMemory()) throws {
        let bytes = estimatedMemory(for: config, promptLength: promptLength)
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
        let (l, t, c, v) = (config.layers, config.contextLength, config.embeddingSize, config.vocabSize)
        var floats: Int?
        switch config.kind {
        case .transformer:
            floats = sum([
                product([2, l, t, c]), product([t, c, config.mlpRatio + 6]), product([config.heads, t, t]),
                product([2, v]),
            ])
        case .rnn, .lstm, .gru:
            floats = sum([product([10, l, config.resolvedHiddenSize]), c, product([2, v])])
        }
        let tokens = sum([promptLength, maxTokens])
        return sum([
            floats.flatMap { product([4, $0]) }, tokens.flatMap { product([Self.bytesPerToken, $0]) },
            beams > 1 ? product([32, v]) : 0,
        ])
    }
}

/// The product of `factors`, nil on overflow or a negative factor.
private func product(_ factors: [Int]) -> Int? {
    var total = 1
    for factor in factors {
        guard factor >= 0 else { return nil }
        let (next, overflow) = total.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        total = next
    }
    return total
}

/// The sum of `terms`, nil if one is nil or the sum overflows.
private func sum(_ terms: [Int?]) -> Int? {
    var total = 0
    for term in terms {
        guard let term, term >= 0 else { return nil }
        let (next, overflow) = total.addingReportingOverflow(term)
        if overflow { return nil }
        total = next
    }
    return total
}

/// Bytes the system can give this process now: `MemAvailable` of `/proc/meminfo` (Linux), else the
/// physical memory.
///
/// `availableMemory()  // 6_123_456_512`
public func availableMemory() -> Int {
    if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
        let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    {
        return kilobytes.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kilobytes * 1024
    }
    return Int(clamping: ProcessInfo.processInfo.physicalMemory)
}

/// `bytes` for people: `"3.1 GB"`.
func formatBytes(_ bytes: Int) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f", value) + " " + units[unit]
}
