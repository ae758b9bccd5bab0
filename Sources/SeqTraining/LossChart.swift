import Foundation
import SeqCheckpoint

/// An SVG line chart of training and validation loss against step, with axes, ticks, labels and a legend.
///
/// ```swift
/// let chart = LossChart(records: try MetricsLog.read(run.metricsURL), title: "tiny-gpt")
/// try chart.write(to: run.lossChartURL)  // atomic: a reader never sees half a file
/// ```
public struct LossChart: Sendable {
    /// One point of a series.
    public struct Point: Equatable, Sendable {
        /// Optimizer step (x).
        public var step: Int
        /// Loss at that step (y).
        public var loss: Double

        /// A point at `(step, loss)`.
        public init(step: Int, loss: Double) {
            self.step = step
            self.loss = loss
        }
    }

    /// Training loss points, in step order.
    public var training: [Point]
    /// Validation loss points, in step order.
    public var validation: [Point]
    /// Text above the plot, e.g. the run's name.
    public var title: String
    /// Width of the picture in pixels.
    public var width: Int = 720
    /// Height of the picture in pixels.
    public var height: Int = 420

    /// A chart of two series.
    public init(training: [Point], validation: [Point], title: String = "loss") {
        self.training = training
        self.validation = validation
        self.title = title
    }

    /// A chart of the `loss` of every record and the `valLoss` of those that have one.
    public init(records: [MetricsLog.Record], title: String = "loss") {
        self.init(
            training: records.map { Point(step: $0.step, loss: $0.loss) },
            validation: records.compactMap { r in r.valLoss.map { Point(step: r.step, loss: $0) } },
            title: title)
    }

    /// Longer series are thinned to about this many points (every k-th, and the last), a few pixels apart.
    static let maximumPointsPerSeries = 2000

    /// The SVG document.
    public func svg() -> String {
        let (left, right, top, bottom) = (72.0, 24.0, 44.0, 56.0)
        let w = Double(max(width, 200))
        let h = Double(max(height, 150))
        let plotWidth = w - left - right
        let plotHeight = h - top - bottom
        let points = (training + validation).filter { $0.loss.isFinite }

        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(w))" height="\(Int(h))" \
            viewBox="0 0 \(Int(w)) \(Int(h))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(fmt(w / 2))" y="24" text-anchor="middle" font-size="15" font-weight="bold">\
            \(escapeXML(title))</text>

            """
        let frame = """
            <rect x="\(fmt(left))" y="\(fmt(top))" width="\(fmt(plotWidth))" height="\(fmt(plotHeight))" \
            fill="none" stroke="#333" stroke-width="1"/>

            """
        guard !points.isEmpty else {
            out += frame
            out += "<text x=\"\(fmt(w / 2))\" y=\"\(fmt(top + plotHeight / 2))\" text-anchor=\"middle\" "
            out += "fill=\"#666\">no finite loss values yet</text>\n</svg>\n"
            return out
        }

        let stepLow = Double(points.map(\.step).min()!)
        var stepHigh = Double(points.map(\.step).max()!)
        if stepHigh <= stepLow { stepHigh = stepLow + 1 }
        let xTicks = niceTicks(low: stepLow, high: stepHigh, count: 6, minimumSpacing: 1)
        var lossLow = points.map(\.loss).min()!
        var lossHigh = points.map(\.loss).max()!
        if lossHigh - lossLow < 1e-9 {
            lossLow -= 0.5
            lossHigh += 0.5
        }
        let yTicks = niceTicks(low: lossLow, high: lossHigh, count: 6)
        let xLow = min(stepLow, xTicks.values.first ?? stepLow)
        let xHigh = max(stepHigh, xTicks.values.last ?? stepHigh)
        let yLow = min(lossLow, yTicks.values.first ?? lossLow)
        let yHigh = max(lossHigh, yTicks.values.last ?? lossHigh)
        func x(_ step: Double) -> Double { left + (step - xLow) / (xHigh - xLow) * plotWidth }
        func y(_ loss: Double) -> Double { top + (1 - (loss - yLow) / (yHigh - yLow)) * plotHeight }

        // Grid, ticks and tick labels.
        for value in xTicks.values {
            let px = fmt(x(value))
            out += "<line x1=\"\(px)\" y1=\"\(fmt(top))\" x2=\"\(px)\" y2=\"\(fmt(top + plotHeight))\" "
            out += "stroke=\"#e5e5e5\"/>\n"
            out +=
                "<line x1=\"\(px)\" y1=\"\(fmt(top + plotHeight))\" x2=\"\(px)\" y2=\"\(fmt(top + plotHeight + 5))\" "
            out += "stroke=\"#333\"/>\n"
            out += "<text x=\"\(px)\" y=\"\(fmt(top + plotHeight + 19))\" text-anchor=\"middle\">"
            out += "\(tickLabel(value, decimals: xTicks.decimals))</text>\n"
        }
        for value in yTicks.values {
            let py = fmt(y(value))
            out += "<line x1=\"\(fmt(left))\" y1=\"\(py)\" x2=\"\(fmt(left + plotWidth))\" y2=\"\(py)\" "
            out += "stroke=\"#e5e5e5\"/>\n"
            out += "<line x1=\"\(fmt(left - 5))\" y1=\"\(py)\" x2=\"\(fmt(left))\" y2=\"\(py)\" stroke=\"#333\"/>\n"
            out += "<text x=\"\(fmt(left - 8))\" y=\"\(py)\" text-anchor=\"end\" dy=\"4\">"
            out += "\(tickLabel(value, decimals: yTicks.decimals))</text>\n"
        }
        out += frame
        out += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(h - 12))\" text-anchor=\"middle\">step</text>\n"
        out += "<text x=\"18\" y=\"\(fmt(top + plotHeight / 2))\" text-anchor=\"middle\" "
        out += "transform=\"rotate(-90 18 \(fmt(top + plotHeight / 2)))\">loss (nats/token)</text>\n"

        // Series.
        let series: [(name: String, points: [Point], color: String, markers: Bool)] = [
            ("training", training, "#1f77b4", false),
            ("validation", validation, "#d62728", true),
        ]
        for s in series {
            let finite = thinned(s.points.filter { $0.loss.isFinite }, to: LossChart.maximumPointsPerSeries)
            guard !finite.isEmpty else { continue }
            let coordinates = finite.map { "\(fmt(x(Double($0.step)))),\(fmt(y($0.loss)))" }
            out += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.8\" stroke-linejoin=\"round\" "
            out += "points=\"\(coordinates.joined(separator: " "))\"/>\n"
            if s.markers || finite.count == 1 {
                for c in coordinates {
                    let xy = c.split(separator: ",")
                    out += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(s.color)\"/>\n"
                }
            }
        }

        // Legend, top right inside the plot.
        let legendWidth = 112.0
        let legendX = left + plotWidth - legendWidth - 8
        let legendY = top + 8
        out += "<rect x=\"\(fmt(legendX))\" y=\"\(fmt(legendY))\" width=\"\(fmt(legendWidth))\" height=\"46\" "
        out += "fill=\"white\" fill-opacity=\"0.9\" stroke=\"#999\"/>\n"
        for (index, s) in series.enumerated() {
            let rowY = legendY + 15 + Double(index) * 18
            out +=
                "<line x1=\"\(fmt(legendX + 8))\" y1=\"\(fmt(rowY))\" x2=\"\(fmt(legendX + 32))\" y2=\"\(fmt(rowY))\" "
            out += "stroke=\"\(s.color)\" stroke-width=\"2\"/>\n"
            if s.markers {
                out += "<circle cx=\"\(fmt(legendX + 20))\" cy=\"\(fmt(rowY))\" r=\"3\" fill=\"\(s.color)\"/>\n"
            }
            out += "<text x=\"\(fmt(legendX + 40))\" y=\"\(fmt(rowY))\" dy=\"4\">\(s.name)</text>\n"
        }
        out += "</svg>\n"
        return out
    }

    /// Writes the SVG to `url` through a temporary file and a rename.
    public func write(to url: URL) throws {
        do {
            try Data(svg().utf8).write(to: url, options: .atomic)
        } catch {
            throw FileError(
                path: url.path, problem: "cannot be written (\(error.localizedDescription))",
                fix: "check free space and permissions of the run folder")
        }
    }
}

/// Every k-th point and the last, so that at most about `limit` remain: `thinned(Array(0..<10), to: 4) == [0, 3, 6, 9]`.
func thinned<T>(_ points: [T], to limit: Int) -> [T] {
    guard points.count > limit, limit > 1 else { return points }
    let stride = (points.count + limit - 1) / limit
    var kept = Swift.stride(from: 0, to: points.count, by: stride).map { points[$0] }
    if (points.count - 1) % stride != 0, let last = points.last { kept.append(last) }
    return kept
}

/// Round tick values covering `[low, high]`, spaced by 1, 2 or 5 × 10^k (about `count` of them, at
/// least `minimumSpacing` apart), and the
/// decimals their labels need.
///
/// `niceTicks(low: 0, high: 2000, count: 6).values == [0, 500, 1000, 1500, 2000]`
func niceTicks(low: Double, high: Double, count: Int, minimumSpacing: Double = 0) -> (
    values: [Double], decimals: Int
) {
    guard high > low, low.isFinite, high.isFinite, count >= 2 else { return ([low], 0) }
    let rough = max((high - low) / Double(count - 1), minimumSpacing)
    var exponent = Int(log10(rough).rounded(.down))
    let fraction = rough / pow(10, Double(exponent))
    // Round the spacing to the nearest of 1, 2, 5, 10 (Heckbert's "nice numbers").
    let nice: Double
    switch fraction {
    case ..<1.5: nice = 1
    case ..<3: nice = 2
    case ..<7: nice = 5
    default:
        nice = 1
        exponent += 1
    }
    let spacing = nice * pow(10, Double(exponent))
    let first = (low / spacing).rounded(.down)
    let last = (high / spacing).rounded(.up)
    var values: [Double] = []
    var k = first
    while k <= last + 0.5 && values.count < 50 {
        values.append(k * spacing)
        k += 1
    }
    let decimals = max(0, -exponent)
    return (values, decimals)
}

/// A tick label: `tickLabel(1500, decimals: 0) == "1500"`, `tickLabel(2.5, decimals: 1) == "2.5"`.
func tickLabel(_ value: Double, decimals: Int) -> String {
    let text = String(format: "%.\(decimals)f", value)
    return text == "-0" || text.hasPrefix("-0.") && Double(text) == 0 ? String(text.dropFirst()) : text
}

/// A coordinate with at most one decimal: `fmt(12.345) == "12.3"`, `fmt(4) == "4"`.
private func fmt(_ value: Double) -> String {
    let rounded = (value * 10).rounded() / 10
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
}

/// `&`, `<`, `>` and `"` as XML entities.
func escapeXML(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}
