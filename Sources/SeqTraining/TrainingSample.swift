import Foundation
import SeqAutograd
import SeqModels
import SeqTensor

extension Session {
    /// The prompt of the samples shown at each evaluation: the first tokens of the validation text after its first
    /// line break, so it is in the corpus's own format (speaker names, line starts) and the same at every
    /// evaluation of the run.
    var samplePrompt: [Int] {
        let count = min(16, max(1, config.model.contextLength / 4))
        var start = data.validation.startIndex
        if let newline = try? tokenizer.encode("\n"), newline.count == 1,
            let at = data.validation.prefix(4 * config.model.contextLength).firstIndex(of: newline[0]),
            data.validation.endIndex - at > count
        {
            start = at + 1
        }
        return Array(data.validation[start...].prefix(count))
    }

    /// A seeded sample of up to `length` tokens after ``samplePrompt`` at temperature 0.8, decoded as text (prompt
    /// included); the same seed at every evaluation, so samples differ only by what the model learnt.
    func sample(length: Int = 120) -> String {
        let prompt = samplePrompt
        guard !prompt.isEmpty else { return "" }
        context.training = false
        defer { context.training = true }
        // A transformer's cache holds at most contextLength positions.
        let room = config.model.carriesState ? length : min(length, config.model.contextLength - prompt.count)
        var rng = SeededGenerator(seed: config.run.seed &+ 0x5A3B_1E)
        var tokens = prompt
        withoutGradients {
            let decoder = model.makeDecoder(batch: 1)
            var logits = Array(decoder.prefill(prompt, time: prompt.count))  // (1, V)
            for _ in 0..<max(0, room) {
                let next = Self.draw(logits, temperature: 0.8, using: &rng)
                tokens.append(next)
                logits = Array(decoder.step([next]))
            }
        }
        // An early model draws stray bytes and control characters; XML (report.html) and terminals reject them.
        let text = (try? tokenizer.decode(tokens)) ?? ""
        return String(
            String.UnicodeScalarView(
                text.unicodeScalars.map {
                    $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" ? "\u{FFFD}" : $0
                }))
    }

    /// A token drawn from softmax(logits / temperature).
    static func draw(_ logits: [Float], temperature: Double, using rng: inout SeededGenerator) -> Int {
        let top = Double(logits.max() ?? 0)
        let weights = logits.map { exp((Double($0) - top) / temperature) }
        var u = Double.random(in: 0..<1, using: &rng) * weights.reduce(0, +)
        for (i, w) in weights.enumerated() {
            u -= w
            if u < 0 { return i }
        }
        return weights.count - 1
    }
}

/// The sample of the current evaluation, drawn once and shared by the console and the event file.
final class EvaluationSamples {
    private var step = -1
    private var text = ""

    /// The last sample drawn ("" before the first evaluation).
    var last: String { text }

    /// The sample at `step`, drawn on the first call of that step.
    func text(_ session: Session, step: Int) -> String {
        if step != self.step { (self.step, text) = (step, session.sample()) }
        return text
    }

    /// `text` on one console line: line breaks shown as `⏎`, cut to `width` characters.
    static func oneLine(_ text: String, width: Int = 100) -> String {
        let flat = text.replacingOccurrences(of: "\r\n", with: "⏎").replacingOccurrences(of: "\n", with: "⏎")
        return flat.count <= width ? flat : String(flat.prefix(width - 1)) + "…"
    }
}
