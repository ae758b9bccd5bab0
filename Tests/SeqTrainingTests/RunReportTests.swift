import Foundation
import Testing

@testable import SeqTraining

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Counts elements and gathers the text of `<pre class="sample">`, failing on any XML error.
private final class PageReader: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var samples: [String] = []
    var inSample = false
    var text = ""

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        counts[name, default: 0] += 1
        if name == "pre" && attributes["class"] == "sample" { (inSample, text) = (true, "") }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inSample { text += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "pre" && inSample { (inSample, samples) = (false, samples + [text]) }
    }
}

@Test func aRunsReportParsesAndHoldsCurvesSamplesModelAndConfig() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-report-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var text = ""
    for i in 0..<200 { text += "JULIET \(i % 5): <sweet> & \"sorrow\"\n" }
    try text.write(to: folder.appendingPathComponent("corpus.txt"), atomically: true, encoding: .utf8)
    let json = """
        {
          "model": { "kind": "transformer", "contextLength": 32, "embeddingSize": 16, "layers": 1, "heads": 2 },
          "tokenizer": { "kind": "char", "normalization": [], "specialTokens": [] },
          "data": { "corpus": ["corpus.txt"], "validationFraction": 0.1 },
          "training": { "batchSize": 2, "maxSteps": 6, "evalInterval": 3, "evalWindows": 2, "logInterval": 1 },
          "run": { "seed": 3, "tensorboard": false }
        }
        """
    try json.write(to: folder.appendingPathComponent("r.json"), atomically: true, encoding: .utf8)
    let out = folder.appendingPathComponent("run")
    let config = try TrainingConfig.load(
        from: folder.appendingPathComponent("r.json"), overrides: ["run.out=\(out.path)"])
    _ = try Trainer(config: config, log: { _ in }).run()
    let page = try Data(contentsOf: out.appendingPathComponent("report.html"))
    let html = String(decoding: page, as: UTF8.self)
    #expect(!html.contains("<script"))
    #expect(!html.contains("src=") && !html.contains("href="))
    // Drop the doctype (not XML), then parse strictly.
    let body = html.replacingOccurrences(of: "<!DOCTYPE html>\n", with: "")
    let parser = XMLParser(data: Data(body.utf8))
    let reader = PageReader()
    parser.delegate = reader
    #expect(parser.parse(), "report.html is not well-formed: \(String(describing: parser.parserError))")
    #expect(reader.counts["svg"] == 3)  // loss, learning rate, throughput
    #expect((reader.counts["polyline"] ?? 0) + (reader.counts["path"] ?? 0) >= 3)
    #expect(reader.samples.count == 2)  // evaluations at steps 3 and 6
    #expect(reader.samples.allSatisfy { $0.hasPrefix("JULIET ") })
    #expect(html.contains("<h3>step 3</h3>") && html.contains("<h3>step 6</h3>"))
    #expect(html.contains("TransformerLM") || html.contains("parameters"))
    #expect(html.contains("&quot;transformer&quot;") || html.contains("\"transformer\""))
}
