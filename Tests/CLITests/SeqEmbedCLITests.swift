import Foundation
import Testing

/// `Models/all-MiniLM-L6-v2` (`bash Models/fetch-minilm.sh`; CI always fetches it).
private let miniLM = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Models/all-MiniLM-L6-v2")

@Suite struct SeqEmbedCLITests {
    let sentences = [
        "A man is eating a piece of bread.", "The girl is carrying a baby.", "A monkey is playing drums.",
        "Two men pushed carts through the woods.", "A man is riding a horse.",
    ]

    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: miniLM.appendingPathComponent("model.safetensors").path),
            "needs Models/all-MiniLM-L6-v2: bash Models/fetch-minilm.sh"))
    func aPretrainedEncoderEmbedsAndRanksLines() throws {
        let folder = try makeWorkspace()
        try (sentences.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("s.txt"), atomically: true, encoding: .utf8)
        let vectors = try runTool("seqembed", ["--model", miniLM.path, "s.txt"], in: folder)
        #expect(vectors.status == 0, "\(vectors.stderr)")
        let rows = vectors.stdout.split(separator: "\n").map {
            try! JSONDecoder().decode([Float].self, from: Data($0.utf8))
        }
        #expect(rows.count == 5 && rows.allSatisfy { $0.count == 384 })
        for row in rows { #expect(abs(row.reduce(0) { $0 + $1 * $1 } - 1) < 1e-4) }  // unit length
        let ranked = try runTool(
            "seqembed", ["--model", miniLM.path, "--query", "A man is eating food.", "-"], in: folder,
            stdin: sentences.joined(separator: "\n"))
        #expect(ranked.status == 0, "\(ranked.stderr)")
        let lines = ranked.stdout.split(separator: "\n")
        #expect(lines.count == 5)
        #expect(lines.first?.hasSuffix("\tA man is eating a piece of bread.") == true, "\(ranked.stdout)")
        let wrong = try runTool("seqembed", ["--model", miniLM.path, "--pooling", "last", "s.txt"], in: folder)
        #expect(wrong.status != 0 && wrong.stderr.contains("pooling 'last' is not one this model offers"))
    }

    @Test func aSeqKitCheckpointEmbedsAndBadInputIsOneLine() throws {
        let folder = try makeWorkspace(steps: 10)
        #expect(try runTool("seqtrain", ["--config", "tiny.json"], in: folder).status == 0)
        try "ROMEO: good night\nJULIET: farewell\n".write(
            to: folder.appendingPathComponent("lines.txt"), atomically: true, encoding: .utf8)
        let result = try runTool("seqembed", ["--model", "runs/tiny", "--pooling", "last", "lines.txt"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map {
            try! JSONDecoder().decode([Float].self, from: Data($0.utf8))
        }
        #expect(rows.count == 2 && rows.allSatisfy { $0.count == 32 })
        try Data([0x61, 0xFF, 0x0A]).write(to: folder.appendingPathComponent("bad.txt"))
        let bad = try runTool("seqembed", ["--model", "runs/tiny", "bad.txt"], in: folder)
        #expect(bad.status != 0 && bad.stderr.contains("not valid UTF-8"), "\(bad.stderr)")
        #expect(bad.stderr.split(separator: "\n").count == 1)
        let missing = try runTool("seqembed", ["--model", "runs/none", "lines.txt"], in: folder)
        #expect(missing.status != 0 && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")
    }
}
