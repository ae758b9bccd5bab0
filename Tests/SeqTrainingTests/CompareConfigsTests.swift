import Foundation
import SeqModels
import Testing

@testable import SeqTraining

/// `Configs/compare/`: four architectures of about equal parameter count for `seqtrain --compare`.
@Test func theCompareConfigsHaveAboutEqualParameterCounts() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Configs/compare")
    var counts: [String: Int] = [:]
    for name in ["rnn", "gru", "lstm", "transformer"] {
        let config = try TrainingConfig.load(from: folder.appendingPathComponent("\(name).json"))
        var model = config.model
        model.vocabSize = 90  // about the complete works' characters
        counts[name] = try makeModel(model, seed: 1).arena.count
        #expect(config.data.corpus.first?.hasSuffix("Corpora/shakespeare.txt") == true)
    }
    let (low, high) = (counts.values.min()!, counts.values.max()!)
    #expect(Double(high) / Double(low) < 1.05, "\(counts)")
    #expect(Set(counts.keys) == ["rnn", "gru", "lstm", "transformer"])
}
