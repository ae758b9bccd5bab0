import Foundation
import SeqCheckpoint

/// The one-line training progress report.
///
/// ```
/// step 120/2000 | loss 2.3141 | 18.2k tok/s | lr 1.00e-03 | ETA 1m42s
/// ```
/// On a terminal the line is redrawn in place (`\r`, then clear to the end of the line) at every step; in a log
/// file or pipe a plain line is printed every `logInterval` steps and at the last step.
/// ```swift
/// let progress = ProgressLine(maxSteps: 2000, logInterval: 10)
/// progress.emit(step: 120, loss: 2.3141, tokensPerSecond: 18_200, learningRate: 1e-3, etaSeconds: 102)
/// ```
public struct ProgressLine: Sendable {
    /// Steps in the run, the denominator of `step 120/2000`.
    public var maxSteps: Int
    /// Steps between two plain lines when not on a terminal.
    public var logInterval: Int
    /// Whether standard output is a terminal (redraw in place) or not (plain lines).
    public var isTerminal: Bool

    /// A progress line for a run of `maxSteps`; `isTerminal` defaults to `isatty(1)`.
    public init(maxSteps: Int, logInterval: Int, isTerminal: Bool = isatty(1) != 0) {
        self.maxSteps = maxSteps
        self.logInterval = max(logInterval, 1)
        self.isTerminal = isTerminal
    }

    /// The text of the line, without any `\r` or newline.
    ///
    /// `format(step: 120, loss: 2.31412, tokensPerSecond: 18_240, learningRate: 1e-3, etaSeconds: 102)`
    /// `== "step 120/2000 | loss 2.3141 | 18.2k tok/s | lr 1.00e-03 | ETA 1m42s"`
    public func format(
        step: Int, loss: Double, tokensPerSecond: Double, learningRate: Double, etaSeconds: Double?
    ) -> String {
        let parts = [
            "step \(step)/\(maxSteps)",
            "loss \(String(format: "%.4f", loss))",
            "\(formatRate(tokensPerSecond)) tok/s",
            "lr \(String(format: "%.2e", learningRate))",
            "ETA \(etaSeconds.map(formatDuration) ?? "?")",
        ]
        return parts.joined(separator: " | ")
    }

    /// What to write for this step: on a terminal `\r` + line + clear-to-end every step, otherwise the line and
    /// a newline at every `logInterval`-th step and the last one, and nil in between.
    public func render(
        step: Int, loss: Double, tokensPerSecond: Double, learningRate: Double, etaSeconds: Double?
    ) -> String? {
        let line = format(
            step: step, loss: loss, tokensPerSecond: tokensPerSecond, learningRate: learningRate, etaSeconds: etaSeconds
        )
        if isTerminal { return "\r" + line + "\u{1B}[K" + (step >= maxSteps ? "\n" : "") }
        return step % logInterval == 0 || step >= maxSteps ? line + "\n" : nil
    }

    /// Writes ``render(step:loss:tokensPerSecond:learningRate:etaSeconds:)`` to standard output and flushes it.
    public func emit(step: Int, loss: Double, tokensPerSecond: Double, learningRate: Double, etaSeconds: Double?) {
        guard
            let text = render(
                step: step, loss: loss, tokensPerSecond: tokensPerSecond, learningRate: learningRate,
                etaSeconds: etaSeconds)
        else { return }
        // Through C's stdout, the same buffer `print` uses, so lines keep their order; flushed at once.
        print(text, terminator: "")
        fflush(nil)
    }

    /// The text that ends an in-place line before other output (a newline on a terminal, nothing otherwise).
    public var lineBreak: String { isTerminal ? "\n" : "" }

    /// Seconds left: `elapsed / done · (total − done)` over the steps of this session; nil before the first.
    ///
    /// `ProgressLine.eta(elapsed: 10, stepsDone: 100, stepsLeft: 900) == 90`
    public static func eta(elapsed: Double, stepsDone: Int, stepsLeft: Int) -> Double? {
        guard stepsDone > 0, elapsed >= 0 else { return nil }
        return elapsed / Double(stepsDone) * Double(max(stepsLeft, 0))
    }
}

/// Tokens per second with a k or M suffix and three significant digits: `formatRate(18_240) == "18.2k"`.
package func formatRate(_ rate: Double) -> String {
    guard rate.isFinite, rate >= 0 else { return "?" }
    func threeDigits(_ x: Double) -> String {
        x < 10 ? String(format: "%.2f", x) : x < 100 ? String(format: "%.1f", x) : String(format: "%.0f", x)
    }
    if rate < 1000 { return String(format: "%.0f", rate) }
    if rate < 999_500 { return threeDigits(rate / 1000) + "k" }
    return threeDigits(rate / 1_000_000) + "M"
}

/// A duration as `42s`, `1m42s` or `2h05m`: `formatDuration(102) == "1m42s"`.
package func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds >= 360_000_000 { return ">10000h" }
    let total = Int(seconds.rounded())
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60)
    if h > 0 { return "\(h)h" + (m < 10 ? "0" : "") + "\(m)m" }
    if m > 0 { return "\(m)m" + (s < 10 ? "0" : "") + "\(s)s" }
    return "\(s)s"
}
