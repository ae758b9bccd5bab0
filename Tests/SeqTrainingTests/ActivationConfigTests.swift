import Foundation
import SeqConfig
import SeqModels
import Testing

@testable import SeqTraining

// `model.activation`: the exact GELU for a new config, GELU's tanh form for a checkpoint's config.json written
// before the key existed.

@Test(arguments: [
    (#"{}"#, Activation.gelu, Activation.geluTanh),
    (#"{"model": {"kind": "transformer", "layers": 2}}"#, .gelu, .geluTanh),
    (#"{"model": {"kind": "lstm"}}"#, .gelu, .geluTanh),
    (#"{"model": {"activation": "gelu"}}"#, .gelu, .gelu),
    (#"{"model": {"activation": "gelu_tanh"}}"#, .geluTanh, .geluTanh),
])
func aMissingActivationDependsOnWhoWroteTheConfig(json: String, asNew: Activation, asCheckpoint: Activation) throws {
    let bytes = Data(json.utf8)
    #expect(try TrainingConfig.decode(bytes, file: "c.json").model.activation == asNew)
    #expect(try TrainingConfig.decodeCheckpointConfig(bytes, file: "config.json").model.activation == asCheckpoint)
}

@Test func checkpointDefaultsComeBeforeOverridesAndKeepOtherKeys() throws {
    let bytes = Data(#"{"model": {"layers": 3}, "training": {"maxSteps": 9}}"#.utf8)
    let config = try TrainingConfig.decodeCheckpointConfig(
        bytes, file: "config.json", overrides: ["model.activation=gelu"])
    #expect(config.model.activation == .gelu && config.model.layers == 3 && config.training.maxSteps == 9)
}

/// A resolved config saved by this version round-trips with the key, whichever reader reads it.
@Test func aResolvedConfigRecordsTheActivation() throws {
    var config = try TrainingConfig.decode(Data("{}".utf8), file: "c.json")
    config.model.activation = .geluTanh
    let json = config.resolvedJSON()
    #expect(json.contains(#""activation" : "gelu_tanh""#))
    #expect(try TrainingConfig.decode(Data(json.utf8), file: "c.json").model.activation == .geluTanh)
    config.model.activation = .gelu
    let exact = Data(config.resolvedJSON().utf8)
    #expect(try TrainingConfig.decodeCheckpointConfig(exact, file: "config.json").model.activation == .gelu)
}

/// Broken config text keeps the strict decoder's own error, not one about the inserted default.
@Test(arguments: [
    (#"{"model": "transformer"}"#, "model"),
    (#"{"model": {"activation": "GELU"}}"#, "did you mean 'gelu'?"),
    (#"{"model": {"activation": "relu"}}"#, "must be one of gelu, gelu_tanh; got 'relu'"),
    (#"{"model": {"activaton": "gelu"}}"#, "did you mean 'activation'?"),
    (#"{"model": {"#, "config.json"),
])
func mistakesInTheKeyAreNamed(json: String, fragment: String) {
    for decodeAsCheckpoint in [false, true] {
        do {
            let bytes = Data(json.utf8)
            _ =
                try decodeAsCheckpoint
                ? TrainingConfig.decodeCheckpointConfig(bytes, file: "config.json")
                : TrainingConfig.decode(bytes, file: "config.json")
            Issue.record("\(json) was accepted")
        } catch {
            #expect("\(error)".contains(fragment), "\(json): \(error)")
            #expect(!"\(error)".contains("\n"))
        }
    }
}
