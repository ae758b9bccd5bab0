import Foundation
import Testing

@testable import SeqTraining

#if canImport(FoundationXML)
    import FoundationXML
#endif

private func sampleRecords() -> [MetricsLog.Record] {
    (0...200).map { i in
        let step = i * 10
        let loss = 1.4 + 2.8 * exp(-Double(step) / 300) + 0.05 * sin(Double(step))
        let val: Double? = step % 250 == 0 ? 1.5 + 2.7 * exp(-Double(step) / 320) : nil
        return MetricsLog.Record(step: step, loss: loss, valLoss: val, lr: 1e-3, tokensPerSecond: 1, elapsed: 1)
    }
}

@Test func chartHasAxesTicksTwoSeriesAndALegend() throws {
    let chart = LossChart(records: sampleRecords(), title: "tiny-gpt <test>")
    #expect(chart.training.count == 201)
    #expect(chart.validation.map(\.step) == [0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000])
    let svg = chart.svg()
    #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(svg.hasSuffix("</svg>\n"))
    #expect(svg.contains("tiny-gpt &lt;test&gt;"))
    #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
    #expect(svg.contains(">training</text>"))
    #expect(svg.contains(">validation</text>"))
    #expect(svg.contains(">step</text>"))
    #expect(svg.contains(">loss (nats/token)</text>"))
    // Steps 0…2000 get ticks every 500; losses ≈1.4…4.2 get ticks every 0.5.
    for label in ["0", "500", "1000", "1500", "2000"] { #expect(svg.contains(">\(label)</text>")) }
    for label in ["1.5", "2.0", "3.0", "4.0"] { #expect(svg.contains(">\(label)</text>")) }
    // A well-formed document.
    let parser = XMLParser(data: Data(svg.utf8))
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
}

@Test func lowerLossIsDrawnHigherUpTheScreen() throws {
    let chart = LossChart(
        training: [.init(step: 0, loss: 4), .init(step: 100, loss: 2)], validation: [], title: "t")
    let svg = chart.svg()
    let points = try #require(svg.components(separatedBy: "points=\"").dropFirst().first?.split(separator: "\"").first)
    let pairs = points.split(separator: " ").map { $0.split(separator: ",").compactMap { Double($0) } }
    #expect(pairs.count == 2)
    #expect(pairs[0][0] < pairs[1][0])  // step grows to the right
    #expect(pairs[0][1] < pairs[1][1])  // loss 4 is above loss 2 (SVG y grows downward)
}

@Test func emptyAndNonFiniteSeriesStillRender() {
    let empty = LossChart(training: [], validation: []).svg()
    #expect(empty.contains("no finite loss values yet"))
    #expect(XMLParser(data: Data(empty.utf8)).parse())
    let nan = LossChart(training: [.init(step: 1, loss: .nan), .init(step: 2, loss: 3)], validation: []).svg()
    #expect(!nan.contains("nan,") && !nan.contains(",nan"))
    #expect(nan.contains("<circle"))  // a single point is drawn as a dot
    #expect(XMLParser(data: Data(nan.utf8)).parse())
}

@Test(arguments: [
    (0.0, 2000.0, [0.0, 500, 1000, 1500, 2000], 0),
    (1.38, 4.21, [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5], 1),
    (0.0, 1.0, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0], 1),
    (2.31, 2.36, [2.31, 2.32, 2.33, 2.34, 2.35, 2.36], 2),
])
func niceTicksUseOneTwoOrFive(low: Double, high: Double, expected: [Double], decimals: Int) {
    let ticks = niceTicks(low: low, high: high, count: 6)
    #expect(ticks.values.count == expected.count)
    for (a, b) in zip(ticks.values, expected) { #expect(abs(a - b) < 1e-9, "\(ticks.values)") }
    #expect(ticks.decimals == decimals)
}

@Test func stepTicksAreWholeNumbers() {
    let ticks = niceTicks(low: 0, high: 3, count: 6, minimumSpacing: 1)
    #expect(ticks.values == [0, 1, 2, 3])
    #expect(ticks.decimals == 0)
}

@Test func writeReplacesTheFile() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-chart-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("loss.svg")
    try LossChart(training: [], validation: []).write(to: url)
    let chart = LossChart(records: sampleRecords())
    try chart.write(to: url)
    #expect(try String(contentsOf: url, encoding: .utf8) == chart.svg())
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["loss.svg"])
    #expect(throws: FileError.self) { try chart.write(to: folder.appendingPathComponent("none/loss.svg")) }
}

@Test(arguments: [(10, 4, [0, 3, 6, 9]), (11, 4, [0, 3, 6, 9, 10]), (3, 4, [0, 1, 2]), (5, 5, [0, 1, 2, 3, 4])])
func thinningKeepsEveryKthAndTheLast(count: Int, limit: Int, expected: [Int]) {
    #expect(thinned(Array(0..<count), to: limit) == expected)
}

@Test func longRunsStayASmallFile() {
    let records = (0..<100_000).map {
        MetricsLog.Record(step: $0, loss: 2, valLoss: nil, lr: 1, tokensPerSecond: 1, elapsed: 1)
    }
    let svg = LossChart(records: records).svg()
    #expect(svg.utf8.count < 60_000)
}
