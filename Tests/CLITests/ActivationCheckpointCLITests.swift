import Foundation
import SeqTraining
import Testing

/// `model.activation` across checkpoints: a new config means the exact GELU and records it; a checkpoint written
/// before the key existed (no `activation` in its config.json) was trained with the tanh form and must go on
/// with it.
@Suite(.serialized) struct ActivationCheckpointCLITests {
    /// The `model` section of a checkpoint's (or run's) config.json.
    private func modelSection(_ url: URL) throws -> [String: Any] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try #require(root["model"] as? [String: Any])
    }

    /// Makes `checkpoint` look written by a SeqKit without `model.activation`: the key dropped from config.json
    /// and the manifest rewritten over the changed file.
    private func dropActivation(from checkpoint: URL) throws {
        let url = checkpoint.appendingPathComponent(Checkpoint.configFile)
        var root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var model = try #require(root["model"] as? [String: Any])
        model["activation"] = nil
        root["model"] = model
        try JSONSerialization.data(withJSONObject: root, options: [.prettyPrinted, .sortedKeys]).write(to: url)
        let manifest = try Checkpoint.readManifest(in: checkpoint)
        try Checkpoint.writeManifest(
            in: checkpoint, corpusSHA256: manifest.corpusSHA256, tokenizerSHA256: manifest.tokenizerSHA256)
    }

    @Test func initFromACheckpointOfTheOtherGELUSaysSo() throws {
        let folder = try makeWorkspace(steps: 10)
        let tanh = try runTool(
            "seqtrain", ["--config", "tiny.json", "--out", "runs/tanh", "--set", "model.activation=gelu_tanh"],
            in: folder)
        #expect(tanh.status == 0, "\(tanh.stderr)")
        let tuned = try runTool(
            "seqtrain", ["--config", "tiny.json", "--init-from", "runs/tanh", "--out", "runs/tuned"], in: folder)
        #expect(tuned.status == 0, "\(tuned.stderr)")
        #expect(tuned.stdout.contains("was trained with model.activation gelu_tanh; this run uses gelu"))
        let same = try runTool(
            "seqtrain",
            [
                "--config", "tiny.json", "--init-from", "runs/tanh", "--out", "runs/same", "--set",
                "model.activation=gelu_tanh",
            ], in: folder)
        #expect(same.status == 0 && !same.stdout.contains("was trained with model.activation"), "\(same.stderr)")
    }

    @Test func aNewConfigRecordsTheExactGELU() throws {
        let folder = try makeWorkspace(steps: 20)
        let result = try runTool("seqtrain", ["--config", "tiny.json"], in: folder)
        #expect(result.status == 0, "\(result.stderr)")
        for file in ["runs/tiny/config.json", "runs/tiny/latest/config.json"] {
            let model = try modelSection(folder.appendingPathComponent(file))
            #expect(model["activation"] as? String == "gelu", "\(file)")
        }
    }

    /// A run trained with `gelu_tanh` and stopped halfway, its checkpoint then stripped of the key, resumes to the
    /// very weights of the uninterrupted run: the missing key was read as `gelu_tanh` (the exact GELU would give
    /// other weights), and the resumed run records it.
    @Test func aCheckpointWithoutTheKeyResumesWithTheTanhForm() throws {
        let folder = try makeWorkspace(steps: 40)
        let tanh = ["--set", "model.activation=gelu_tanh"]
        let whole = try runTool("seqtrain", ["--config", "tiny.json", "--out", "runs/whole"] + tanh, in: folder)
        #expect(whole.status == 0, "\(whole.stderr)")
        let half = try runTool(
            "seqtrain", ["--config", "tiny.json", "--out", "runs/split", "--max-steps", "20"] + tanh, in: folder)
        #expect(half.status == 0, "\(half.stderr)")
        let latest = folder.appendingPathComponent("runs/split/latest")
        try dropActivation(from: latest)
        #expect(try modelSection(latest.appendingPathComponent(Checkpoint.configFile))["activation"] == nil)
        let trained = try TrainedCheckpoint(path: folder.appendingPathComponent("runs/split"), prefer: .latest)
        #expect(trained.config.model.activation.rawValue == "gelu_tanh")

        let rest = try runTool("seqtrain", ["--resume", "runs/split", "--max-steps", "40"], in: folder)
        #expect(rest.status == 0, "\(rest.stderr)")
        let a = try Data(contentsOf: folder.appendingPathComponent("runs/whole/latest/model.safetensors"))
        let b = try Data(contentsOf: latest.appendingPathComponent("model.safetensors"))
        #expect(a == b, "the resumed run's weights differ from the uninterrupted gelu_tanh run's")
        let model = try modelSection(latest.appendingPathComponent(Checkpoint.configFile))
        #expect(model["activation"] as? String == "gelu_tanh")
    }
}
