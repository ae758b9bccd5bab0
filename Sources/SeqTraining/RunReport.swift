import Foundation
import SeqCheckpoint

/// `report.html`: one self-contained page per run (inline SVG, no script, no network) with the loss curves, the
/// learning rate, the throughput, the model summary, the resolved config and the sample of each evaluation.
///
/// The page is XHTML-compatible (every element closed, text escaped), so an XML parser reads it as well as a
/// browser does.
struct RunReport {
    var title: String
    var records: [MetricsLog.Record]
    var samples: [(step: Int, text: String)]
    var summary: String
    var config: String

    func html() -> String {
        let loss = LossChart(records: records, title: "loss (nats per token)")
        var lr = LossChart(
            training: records.map { .init(step: $0.step, loss: $0.lr) }, validation: [], title: "learning rate")
        var speed = LossChart(
            training: records.map { .init(step: $0.step, loss: $0.tokensPerSecond) }, validation: [],
            title: "training tokens per second")
        (lr.height, speed.height) = (300, 300)
        var out = """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head><meta charset="utf-8"/><title>\(escapeXML(title))</title>
            <style>body{font-family:sans-serif;max-width:760px;margin:2em auto}pre{background:#f4f4f4;\
            padding:.6em;overflow-x:auto;white-space:pre-wrap}</style></head>
            <body>
            <h1>\(escapeXML(title))</h1>

            """
        if let last = records.last {
            let best = records.compactMap(\.valLoss).min()
            out += "<p id=\"status\">step \(last.step), \(String(format: "%.0f", last.elapsed)) s"
            out += best.map { ", best validation loss " + String(format: "%.4f", $0) } ?? ""
            out += "</p>\n"
        }
        out += "<h2>Loss</h2>\n<div id=\"loss\">\(loss.svg())</div>\n"
        out += "<h2>Learning rate</h2>\n<div id=\"lr\">\(lr.svg())</div>\n"
        out += "<h2>Throughput</h2>\n<div id=\"throughput\">\(speed.svg())</div>\n"
        out += "<h2>Samples</h2>\n"
        for sample in samples {
            out += "<h3>step \(sample.step)</h3>\n<pre class=\"sample\">\(escapeXML(sample.text))</pre>\n"
        }
        out += "<h2>Model</h2>\n<pre id=\"model\">\(escapeXML(summary))</pre>\n"
        out += "<h2>Config</h2>\n<pre id=\"config\">\(escapeXML(config))</pre>\n</body>\n</html>\n"
        return out
    }

    /// Writes the page through a temporary file and a rename, so a browser never sees half of it.
    func write(to url: URL) throws {
        do {
            try Data(html().utf8).write(to: url, options: .atomic)
        } catch {
            throw FileError(
                path: url.path, problem: "cannot be written (\(error.localizedDescription))",
                fix: "check free space and permissions of the run folder")
        }
    }
}

/// `report.html` in the run directory, rewritten at each evaluation and at the end.
final class ReportObserver: TrainingObserver {
    let samples: EvaluationSamples
    var drawn: [(step: Int, text: String)] = []

    init(samples: EvaluationSamples) { self.samples = samples }

    func recorded(_ session: Session, _ record: MetricsLog.Record, evaluation: EvaluationReport?) throws {
        guard evaluation != nil else { return }
        drawn.append((record.step, samples.text(session, step: record.step)))
        try write(session)
    }

    func finished(_ session: Session, _ outcome: TrainingOutcome) throws { try write(session) }

    func write(_ session: Session) throws {
        try RunReport(
            title: "\(session.config.run.out)", records: try MetricsLog.read(session.runDirectory.metricsURL),
            samples: drawn, summary: session.model.summary(batch: session.config.training.batchSize).description,
            config: session.config.resolvedJSON()
        ).write(to: session.runDirectory.url.appendingPathComponent("report.html"))
    }
}
