import Foundation
import Testing

/// The tiny random GPT-2 that `transformers` wrote (Tests/SeqModelsTests/Fixtures/hf/gpt2_tiny), copied into a
/// workspace with a tokenizer of at most its 101 ids made by `seqtok` (its own fixture has none).
private func gpt2Workspace() throws -> URL {
    let folder = try makeWorkspace()
    let source = URL(fileURLWithPath: "\(#filePath)").deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SeqModelsTests/Fixtures/hf/gpt2_tiny")
    let model = folder.appendingPathComponent("gpt2")
    try FileManager.default.copyItem(at: source, to: model)
    try "abcdefghij klmnop\n".write(to: folder.appendingPathComponent("chars.txt"), atomically: true, encoding: .utf8)
    let made = try runTool(
        "seqtok", ["train", "chars.txt", "--kind", "char", "--unknown", "unk", "-o", "gpt2/tokenizer.json"], in: folder)
    guard made.status == 0 else { throw CLITestError("seqtok failed: \(made.stderr)") }
    return folder
}

@Suite struct HuggingFaceCLITests {
    @Test func seqsampleRunsAHuggingFaceGPT2Folder() throws {
        let folder = try gpt2Workspace()
        let first = try runTool(
            "seqsample", ["--checkpoint", "gpt2", "--prompt", "abc", "--greedy", "--max-tokens", "20"], in: folder)
        #expect(first.status == 0, "\(first.stderr)")
        let again = try runTool(
            "seqsample", ["--checkpoint", "gpt2", "--prompt", "abc", "--greedy", "--max-tokens", "20"], in: folder)
        #expect(again.stdout == first.stdout && first.stdout.hasPrefix("abc") && first.stdout.count > 3)
        try "abcdef ghij\n".write(to: folder.appendingPathComponent("held.txt"), atomically: true, encoding: .utf8)
        let score = try runTool("seqsample", ["--checkpoint", "gpt2", "--score", "held.txt"], in: folder)
        #expect(score.status == 0 && score.stdout.contains("perplexity"), "\(score.stdout) \(score.stderr)")
        // A folder whose weights do not fit its config is one line, exit 1.
        let config = folder.appendingPathComponent("gpt2/config.json")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(
            of: "\"n_embd\": 32", with: "\"n_embd\": 48")
        try text.write(to: config, atomically: true, encoding: .utf8)
        let broken = try runTool("seqsample", ["--checkpoint", "gpt2", "--prompt", "a"], in: folder)
        #expect(broken.status == 1 && broken.stderr.split(separator: "\n").count == 1, "\(broken.stderr)")
        #expect(broken.stderr.contains("transformer.wte.weight") || broken.stderr.contains("wte.weight"))
    }

    @Test func seqtrainFineTunesAHuggingFaceGPT2Folder() throws {
        let folder = try gpt2Workspace()
        // 99 distinct characters: with <unk> and the char tokenizer's own id, exactly the model's 101 ids.
        let alphabet = String((32...126).map { Character(UnicodeScalar($0)!) }) + "\néüñ\n"
        try alphabet.write(to: folder.appendingPathComponent("chars101.txt"), atomically: true, encoding: .utf8)
        let made = try runTool(
            "seqtok", ["train", "chars101.txt", "--kind", "char", "--unknown", "unk", "-o", "gpt2/tokenizer.json"],
            in: folder)
        #expect(made.status == 0 && (made.stdout + made.stderr).contains("101 ids"), "\(made.stdout) \(made.stderr)")
        let trained = try runTool(
            "seqtrain", ["--config", "tiny.json", "--init-from", "gpt2", "--max-steps", "4"], in: folder)
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stdout.contains("initialised the weights from the Hugging Face GPT-2 model"))
        // The run keeps GPT-2's architecture (context 64, 32 wide) and is a normal SeqKit run directory.
        let config = try String(
            contentsOf: folder.appendingPathComponent("runs/tiny/latest/config.json"), encoding: .utf8)
        #expect(config.contains("\"contextLength\" : 64") || config.contains("\"contextLength\": 64"), "\(config)")
        let sample = try runTool(
            "seqsample", ["--checkpoint", "runs/tiny", "--prompt", "ab", "--max-tokens", "10"], in: folder)
        #expect(sample.status == 0, "\(sample.stderr)")
    }
}
