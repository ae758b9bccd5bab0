import Foundation
import SeqCheckpoint

/// `seqtrain --compare A.json B.json … --budget 5m`: trains each config on one corpus for one budget, each in
/// `OUT/<config name>/`, then writes `OUT/report.html` and returns one row per run for the table.
///
/// Every run uses the first config's corpus (or `corpus`), `run.seed` and `training.evalWindows`, so the held-out
/// windows start at the same seeded positions of the same validation text (their length is each model's
/// `model.contextLength`). A wall-clock budget stops each run at the step boundary nearest it, and past the warmup
/// its learning-rate schedule runs on the share of the budget spent, so it completes within the budget (a run still
/// stops at `training.maxSteps` if it gets there first); a token budget becomes
/// `training.maxSteps = ⌈tokens / tokens per step⌉`, so the schedule completes.
public struct RunComparison {
    /// The configs, in order.
    public var configs: [URL]
    /// Seconds of training per run, or nil with a token budget.
    public var budgetSeconds: Double?
    /// Training tokens per run, or nil with a time budget.
    public var budgetTokens: Int?
    /// Corpus files for every run; nil = the first config's `data.corpus` (the others must name the same).
    public var corpus: [String]?
    /// The folder of the runs and the report.
    public var out: URL
    /// Extra `key=value` overrides for every run.
    public var overrides: [String] = []

    /// One compared run: the figures of the table.
    public struct Row: Sendable {
        /// The config's file name without `.json`, also its folder.
        public var name: String
        /// Trainable parameters.
        public var parameters: Int
        /// Training tokens seen (batch × context × accumulation × steps).
        public var tokensSeen: Int
        /// Seconds of training.
        public var seconds: Double
        /// The final validation loss (nats per token).
        public var validationLoss: Double?
        /// The final validation loss in bits per character or byte.
        public var bitsPerUnit: Double?
        /// `bits/char` or `bits/byte`.
        public var unit: String
        /// The last evaluation's sample.
        public var sample: String
        /// Training tokens per optimizer step.
        public var tokensPerStep: Int
        /// Training tokens per second of training.
        public var tokensPerSecond: Double { seconds > 0 ? Double(tokensSeen) / seconds : 0 }
    }

    /// A comparison of `configs` under one budget.
    public init(
        configs: [URL], budgetSeconds: Double?, budgetTokens: Int?, corpus: [String]?, out: URL,
        overrides: [String] = []
    ) {
        self.configs = configs
        self.budgetSeconds = budgetSeconds
        self.budgetTokens = budgetTokens
        self.corpus = corpus
        self.out = out
        self.overrides = overrides
    }

    static func json(_ value: some Encodable) -> String {
        String(decoding: (try? JSONEncoder().encode(value)) ?? Data(), as: UTF8.self)
    }

    /// Trains every config in turn (`log` gets one line per run) and writes `out/report.html`.
    public func run(log: @escaping (String) -> Void = { print($0) }) throws -> [Row] {
        var names = [String]()
        for url in configs {
            var name = url.deletingPathExtension().lastPathComponent
            if names.contains(name) { name += "-\(names.count + 1)" }
            names.append(name)
        }
        let first = try TrainingConfig.load(from: configs[0], overrides: overrides)
        let sharedCorpus = corpus ?? first.data.corpus
        if corpus == nil {
            for url in configs.dropFirst() {
                let other = try TrainingConfig.load(from: url, overrides: overrides)
                guard other.data.corpus == first.data.corpus else {
                    throw FileError(
                        path: url.relativePath,
                        problem:
                            "trains on \(other.data.corpus) but \(configs[0].relativePath) on \(first.data.corpus)",
                        fix: "compare on one corpus: pass --corpus FILE to train every config on it")
                }
            }
        }
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var rows = [Row]()
        for (url, name) in zip(configs, names) {
            var list =
                overrides + [
                    "data.corpus=\(Self.json(sharedCorpus))", "run.seed=\(first.run.seed)",
                    "training.evalWindows=\(first.training.evalWindows)",
                    "run.out=\(Self.json(out.appendingPathComponent(name).path))",
                ]
            var config = try TrainingConfig.load(from: url, overrides: list)  // validates before any run starts
            let tokensPerStep =
                config.training.batchSize * config.model.contextLength * config.training.gradientAccumulation
            if let budgetTokens {
                list.append("training.maxSteps=\(max(1, (budgetTokens + tokensPerStep - 1) / tokensPerStep))")
                config = try TrainingConfig.load(from: url, overrides: list)
            }
            log("\(name): training on \(sharedCorpus.joined(separator: ", ")) …")
            // A second comparison into the same folder starts its runs again.
            var options = TrainerOptions(overwrite: true, verbosity: .quiet)
            options.budgetSeconds = budgetSeconds
            let outcome = try Trainer(config: config, options: options, log: { _ in }).run()
            let bits = outcome.validationBits
            rows.append(
                Row(
                    name: name, parameters: outcome.parameters, tokensSeen: outcome.tokensSeen,
                    seconds: outcome.elapsed, validationLoss: outcome.validationLoss, bitsPerUnit: bits?.value,
                    unit: bits?.unit ?? "bits/char", sample: outcome.sample, tokensPerStep: tokensPerStep))
            log(Self.table([rows.last!]).split(separator: "\n").last.map(String.init) ?? "")
        }
        try ComparisonReport(rows: rows, folder: out).write()
        return rows
    }

    /// The table printed by `seqtrain --compare`: one header, one row per run, then each run's sample.
    public static func table(_ rows: [Row]) -> String {
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? s + fill : fill + s
        }
        var out =
            pad("config", 18, left: true) + pad("params", 10) + pad("tokens", 12) + pad("tokens/s", 10)
            + pad("val loss", 10) + pad("bits", 8) + "\n"
        for row in rows {
            out +=
                pad(row.name, 18, left: true) + pad(String(row.parameters), 10) + pad(String(row.tokensSeen), 12)
                + pad(String(format: "%.0f", row.tokensPerSecond), 10)
                + pad(row.validationLoss.map { String(format: "%.4f", $0) } ?? "n/a", 10)
                + pad(row.bitsPerUnit.map { String(format: "%.3f", $0) } ?? "n/a", 8) + "\n"
        }
        return out
    }
}

/// `compare/report.html`: the table, the training-loss curves of every run overlaid against time and against
/// tokens, each run's validation losses as dots, and each run's last sample.
struct ComparisonReport {
    var rows: [RunComparison.Row]
    var folder: URL

    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    /// An overlay chart: one polyline per run of `(x, loss)`, dots for validation points.
    static func overlay(
        _ series: [(name: String, train: [(Double, Double)], validation: [(Double, Double)])], xLabel: String
    ) -> String {
        let (w, h, left, right, top, bottom) = (720.0, 400.0, 64.0, 150.0, 20.0, 44.0)
        let all = series.flatMap { $0.train + $0.validation }.filter { $0.1.isFinite }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" height=\"400\" font-family=\"sans-serif\""
        out += " font-size=\"12\"><rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        guard let xMax = all.map(\.0).max(), let yMin = all.map(\.1).min(), let yMax = all.map(\.1).max(),
            xMax > 0
        else { return out + "<text x=\"360\" y=\"200\" text-anchor=\"middle\">no records</text></svg>" }
        let yLow = yMin - 0.05 * max(yMax - yMin, 1e-9)
        let yHigh = yMax + 0.05 * max(yMax - yMin, 1e-9)
        func x(_ v: Double) -> String { String(format: "%.1f", left + v / xMax * (w - left - right)) }
        func y(_ v: Double) -> String {
            String(format: "%.1f", top + (1 - (v - yLow) / (yHigh - yLow)) * (h - top - bottom))
        }
        out += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w - left - right)\" height=\"\(h - top - bottom)\" "
        out += "fill=\"none\" stroke=\"#333\"/>\n"
        for v in [yLow, (yLow + yHigh) / 2, yHigh] {
            out += "<text x=\"\(left - 6)\" y=\"\(y(v))\" text-anchor=\"end\">\(String(format: "%.2f", v))</text>\n"
        }
        out += "<text x=\"\(left)\" y=\"\(h - 24)\">0</text><text x=\"\(x(xMax))\" y=\"\(h - 24)\" "
        out += "text-anchor=\"end\">\(String(format: "%.0f", xMax))</text>\n"
        out += "<text x=\"\((w - right + left) / 2)\" y=\"\(h - 6)\" text-anchor=\"middle\">\(xLabel)</text>\n"
        for (i, s) in series.enumerated() {
            let color = colors[i % colors.count]
            let points = s.train.filter { $0.1.isFinite }.map { "\(x($0.0)),\(y($0.1))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            for p in s.validation where p.1.isFinite {
                out += "<circle cx=\"\(x(p.0))\" cy=\"\(y(p.1))\" r=\"3.5\" fill=\"\(color)\"/>\n"
            }
            out += "<text x=\"\(w - right + 10)\" y=\"\(top + 16 + 18 * Double(i))\" fill=\"\(color)\">"
            out += "\(escapeXML(s.name))</text>\n"
        }
        return out + "</svg>"
    }

    func write() throws {
        var byTime = [(name: String, train: [(Double, Double)], validation: [(Double, Double)])]()
        var byTokens = byTime
        for row in rows {
            let records =
                (try? MetricsLog.read(
                    folder.appendingPathComponent(row.name).appendingPathComponent(
                        "metrics.jsonl"))) ?? []
            let tokens = { (r: MetricsLog.Record) in Double(r.step * row.tokensPerStep) }
            byTime.append(
                (
                    row.name, records.map { ($0.elapsed, $0.loss) },
                    records.compactMap { r in r.valLoss.map { (r.elapsed, $0) } }
                ))
            byTokens.append(
                (
                    row.name, records.map { (tokens($0), $0.loss) },
                    records.compactMap { r in r.valLoss.map { (tokens(r), $0) } }
                ))
        }
        var html = """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head><meta charset="utf-8"/><title>seqtrain --compare</title>
            <style>body{font-family:sans-serif;max-width:760px;margin:2em auto}td,th{padding:2px 8px;\
            text-align:right}pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}</style></head>
            <body>
            <h1>Comparison</h1>
            <table id="runs"><tr><th>config</th><th>parameters</th><th>tokens</th><th>tokens/s</th>\
            <th>val loss</th><th>bits</th></tr>

            """
        for row in rows {
            html += "<tr><td>\(escapeXML(row.name))</td><td>\(row.parameters)</td><td>\(row.tokensSeen)</td>"
            html += "<td>\(String(format: "%.0f", row.tokensPerSecond))</td>"
            html += "<td>\(row.validationLoss.map { String(format: "%.4f", $0) } ?? "n/a")</td>"
            html += "<td>\(row.bitsPerUnit.map { String(format: "%.3f", $0) } ?? "n/a") \(row.unit)</td></tr>\n"
        }
        html += "</table>\n<h2>Training loss (lines) and validation loss (dots) against time</h2>\n"
        html += Self.overlay(byTime, xLabel: "seconds") + "\n"
        html += "<h2>Against training tokens</h2>\n" + Self.overlay(byTokens, xLabel: "tokens") + "\n<h2>Samples</h2>\n"
        for row in rows {
            html += "<h3>\(escapeXML(row.name))</h3>\n<pre class=\"sample\">\(escapeXML(row.sample))</pre>\n"
        }
        html += "<p>Each run: <a href=\"\(escapeXML(rows.first?.name ?? ""))/report.html\">its own report</a>"
        html += " in its folder.</p>\n</body>\n</html>\n"
        let url = folder.appendingPathComponent("report.html")
        do { try Data(html.utf8).write(to: url, options: .atomic) } catch {
            throw FileError(path: url.path, problem: "cannot be written", fix: "check free space and permissions")
        }
    }
}
