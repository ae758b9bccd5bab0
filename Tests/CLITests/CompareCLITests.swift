import Foundation
import Testing

@Suite(.serialized) struct CompareCLITests {
    /// Two tiny configs (a transformer and an LSTM) in one workspace.
    func twoConfigs() throws -> URL {
        let folder = try makeWorkspace(steps: 100_000)
        let config = try String(contentsOf: folder.appendingPathComponent("tiny.json"), encoding: .utf8)
        try config.replacingOccurrences(of: "\"transformer\"", with: "\"lstm\"")
            .write(to: folder.appendingPathComponent("lstm.json"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func aTimedComparisonPrintsBothRowsAndHonoursTheBudget() throws {
        let folder = try twoConfigs()
        defer { try? FileManager.default.removeItem(at: folder) }
        let started = Date()
        let result = try runTool(
            "seqtrain", ["--compare", "tiny.json", "lstm.json", "--budget", "3s", "--out", "cmp", "--quiet"],
            in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("config") })
        #expect(lines[header].contains("params") && lines[header].contains("tokens/s"))
        for (offset, name) in ["tiny", "lstm"].enumerated() {
            let row = lines[header + 1 + offset].split(separator: " ").map(String.init)
            #expect(row.first == name)
            #expect(row.count == 6, "\(row)")
            let tokens = try #require(Double(row[2]))
            let perSecond = try #require(Double(row[3]))
            // Training time = tokens / (tokens per second): within 10% of the 3-second budget.
            #expect(abs(tokens / perSecond - 3) <= 0.3, "\(name): \(tokens / perSecond) s of training")
            #expect(Double(row[4]) != nil, "\(row)")
        }
        #expect(result.stdout.contains("report: "))
        #expect(Date().timeIntervalSince(started) < 40)
        let report = try String(
            contentsOf: folder.appendingPathComponent("cmp/report.html"), encoding: .utf8)
        #expect(report.components(separatedBy: "<polyline").count - 1 == 4)  // 2 runs × (time, tokens)
        #expect(report.contains("<td>tiny</td>") && report.contains("<td>lstm</td>"))
        for name in ["tiny", "lstm"] {
            #expect(
                FileManager.default.fileExists(atPath: folder.appendingPathComponent("cmp/\(name)/report.html").path))
        }
    }

    @Test func aTokenBudgetTrainsEachRunOnThatManyTokens() throws {
        let folder = try twoConfigs()
        defer { try? FileManager.default.removeItem(at: folder) }
        // 8 × 16 = 128 tokens per step: 1000 tokens is 8 steps (1024 tokens).
        let result = try runTool(
            "seqtrain", ["--compare", "tiny.json", "lstm.json", "--budget-tokens", "1000", "--out", "cmp"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").filter {
            ($0.hasPrefix("tiny ") || $0.hasPrefix("lstm ")) && !$0.contains(" sample: ")
        }
        #expect(rows.count >= 2)
        for row in rows.suffix(2) { #expect(row.split(separator: " ")[2] == "1024", "\(row)") }
    }

    @Test func differentCorporaOrNoBudgetAreRefusedInOneLine() throws {
        let folder = try twoConfigs()
        defer { try? FileManager.default.removeItem(at: folder) }
        let other = try String(contentsOf: folder.appendingPathComponent("lstm.json"), encoding: .utf8)
        try other.replacingOccurrences(of: "\"corpus.txt\"", with: "\"other.txt\"")
            .write(to: folder.appendingPathComponent("lstm.json"), atomically: true, encoding: .utf8)
        let mixed = try runTool("seqtrain", ["--compare", "tiny.json", "lstm.json", "--budget", "2s"], in: folder)
        #expect(mixed.status != 0)
        #expect(mixed.stderr.contains("--corpus") && mixed.stderr.split(separator: "\n").count == 1, "\(mixed.stderr)")
        let unbudgeted = try runTool("seqtrain", ["--compare", "tiny.json", "lstm.json"], in: folder)
        #expect(unbudgeted.status == 64 && unbudgeted.stderr.contains("--budget 5m"), "\(unbudgeted.stderr)")
        let badBudget = try runTool("seqtrain", ["--compare", "tiny.json", "lstm.json", "--budget", "5x"], in: folder)
        #expect(badBudget.status == 64 && badBudget.stderr.contains("90s, 5m or 1h"), "\(badBudget.stderr)")
    }

    @Test func quietPrintsOnlyTheClosingLineAndVerboseTheConfig() throws {
        let folder = try makeWorkspace(steps: 20)
        defer { try? FileManager.default.removeItem(at: folder) }
        let quiet = try runTool("seqtrain", ["--config", "tiny.json", "--quiet"], in: folder)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(
            quiet.stdout.split(separator: "\n").count == 1 && quiet.stdout.hasPrefix("done at step 20"),
            "\(quiet.stdout)")
        #expect(quiet.stdout.contains("report.html"))
        let normal = try runTool("seqtrain", ["--config", "tiny.json", "--overwrite"], in: folder)
        #expect(!normal.stdout.contains("config:"))
        #expect(normal.stdout.contains("  sample: "))
        let verbose = try runTool("seqtrain", ["--config", "tiny.json", "--overwrite", "--verbose"], in: folder)
        #expect(verbose.stdout.contains("config:\n{"))
    }
}
