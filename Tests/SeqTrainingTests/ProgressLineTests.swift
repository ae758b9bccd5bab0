import Foundation
import Testing

@testable import SeqTraining

@Test func lineHasTheDocumentedFields() {
    let progress = ProgressLine(maxSteps: 2000, logInterval: 10, isTerminal: false)
    let line = progress.format(step: 120, loss: 2.31412, tokensPerSecond: 18_240, learningRate: 1e-3, etaSeconds: 102)
    #expect(line == "step 120/2000 | loss 2.3141 | 18.2k tok/s | lr 1.00e-03 | ETA 1m42s")
    let early = progress.format(step: 0, loss: 4.17, tokensPerSecond: 0, learningRate: 9.9e-6, etaSeconds: nil)
    #expect(early == "step 0/2000 | loss 4.1700 | 0 tok/s | lr 9.90e-06 | ETA ?")
}

@Test func pipesGetPlainLinesEveryLogInterval() {
    let progress = ProgressLine(maxSteps: 25, logInterval: 10, isTerminal: false)
    let printed = (1...25).compactMap {
        progress.render(step: $0, loss: 1, tokensPerSecond: 1, learningRate: 1, etaSeconds: 0)
    }
    #expect(printed.count == 3)  // steps 10, 20 and the last
    #expect(printed.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
    #expect(printed[2].hasPrefix("step 25/25 "))
}

@Test func terminalsRedrawOneLine() throws {
    let progress = ProgressLine(maxSteps: 3, logInterval: 10, isTerminal: true)
    let first = try #require(progress.render(step: 1, loss: 1, tokensPerSecond: 1, learningRate: 1, etaSeconds: 2))
    #expect(first.hasPrefix("\rstep 1/3 "))
    #expect(first.hasSuffix("\u{1B}[K"))
    let last = try #require(progress.render(step: 3, loss: 1, tokensPerSecond: 1, learningRate: 1, etaSeconds: 0))
    #expect(last.hasSuffix("\n"))
    #expect(progress.lineBreak == "\n")
}

@Test(arguments: [
    (0.0, "0"), (950.0, "950"), (1000.0, "1.00k"), (18_240.0, "18.2k"), (182_400.0, "182k"), (1_250_000.0, "1.25M"),
    (-1.0, "?"), (Double.nan, "?"),
])
func ratesGetSuffixes(rate: Double, expected: String) {
    #expect(formatRate(rate) == expected)
}

@Test(arguments: [
    (0.0, "0s"), (42.4, "42s"), (60.0, "1m00s"), (102.0, "1m42s"), (3599.0, "59m59s"), (3600.0, "1h00m"),
    (7500.0, "2h05m"), (-3.0, "?"), (Double.infinity, "?"),
])
func durationsReadLikeAClock(seconds: Double, expected: String) {
    #expect(formatDuration(seconds) == expected)
}

@Test func etaExtrapolatesThisSessionsPace() {
    #expect(ProgressLine.eta(elapsed: 10, stepsDone: 100, stepsLeft: 900) == 90)
    #expect(ProgressLine.eta(elapsed: 10, stepsDone: 0, stepsLeft: 900) == nil)
}
