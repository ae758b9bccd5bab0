import Foundation
import SeqAutograd
import SeqDistributed
import SeqModels
import SeqNN
import SeqTensor
import Testing

@testable import SeqTraining

// Data parallelism without MPI: the samplers of N ranks read exactly the rows of one process with N times the
// batch, and the trainer's step hands its gradient to the communicator and uses what comes back.

/// Rows of the windows `samplers` give in one step, rank after rank, as (inputs, targets) per row.
private func rows(_ samplers: inout [BatchSampler], time: Int) -> (rows: [[Int]], restart: [Bool]) {
    var all: [[Int]] = []
    var restarts: [Bool] = []
    for r in samplers.indices {
        let window = samplers[r].next()
        restarts.append(window.restart)
        for b in 0..<samplers[r].batch {
            all.append(Array(window.inputs[(b * time)..<((b + 1) * time)]) + [window.targets[(b + 1) * time - 1]])
        }
    }
    return (all, restarts)
}

@Test(arguments: [BatchSampler.Mode.random, .streams], [2, 3])
func ranksTogetherReadTheRowsOfOneProcess(mode: BatchSampler.Mode, ranks: Int) {
    let ids = (0..<997).map { ($0 * 7919) % 101 }
    let (batch, time) = (3, 8)
    var one = [BatchSampler(ids: ids, batch: batch * ranks, time: time, mode: mode, rng: SeededGenerator(seed: 5))]
    var parts = (0..<ranks).map {
        BatchSampler(
            ids: ids, batch: batch, time: time, mode: mode, rng: SeededGenerator(seed: 5), rank: $0, ranks: ranks)
    }
    #expect(parts[0].streamLength == one[0].streamLength)
    // Enough steps for the streams to wrap around to their beginning at least once.
    for step in 0..<(2 * one[0].streamLength / time + 2) {
        let whole = rows(&one, time: time)
        let split = rows(&parts, time: time)
        #expect(split.rows == whole.rows, "step \(step)")
        #expect(Set(split.restart) == [whole.restart[0]], "step \(step)")
    }
    // Every rank's rows differ from the others': each process trains on its own slice.
    let next = parts.map { sampler in
        var copy = sampler
        return copy.next().inputs
    }
    #expect(Set(next).count == ranks)
}

/// A world of `size` ranks seen from rank 0, where the other ranks' contributions to each float sum are given.
private final class ScriptedWorld: Communicator, @unchecked Sendable {
    let size: Int
    var rank: Int { 0 }
    var others: [Float]
    var floatReductions = 0

    init(size: Int, others: [Float]) {
        self.size = size
        self.others = others
    }

    func allreduceSum(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        precondition(count == others.count, "reduced \(count) floats, scripted \(others.count)")
        for i in 0..<count { buffer[i] += others[i] }
        floatReductions += 1
    }
    func allreduceSum(_ values: [Double]) -> [Double] { values.map { $0 * Double(size) } }
    func barrier() {}
    func abort(code: Int32) -> Never { fatalError("abort \(code)") }
    func finish() {}
}

@Test func optimizerStepAveragesTheGradientOverTheRanks() throws {
    var config = ModelConfig()
    (config.vocabSize, config.contextLength, config.embeddingSize, config.layers, config.heads) = (23, 6, 16, 1, 2)
    let (time, vocab) = (config.contextLength, config.vocabSize)
    var rng = SeededGenerator(seed: 9)
    let tokens = (0..<(4 * (time + 1))).map { _ in rng.nextInt(below: vocab) }  // (4, T + 1)
    func window(_ rows: Range<Int>) -> (inputs: [Int], targets: [Int], restart: Bool) {
        let stride = time + 1
        return (
            rows.flatMap { tokens[($0 * stride)..<($0 * stride + time)] },
            rows.flatMap { tokens[($0 * stride + 1)..<($0 * stride + stride)] }, true
        )
    }
    func gradient(_ rows: Range<Int>, world: any Communicator) throws -> [Float] {
        let model = try makeModel(config, seed: 4)
        var carried: CarriedState?
        _ = optimizerStep(
            model: model, optimizer: Optimizer(OptimizerConfig(), arena: model.arena),
            context: ForwardContext(training: true, rng: SeededGenerator(seed: 1)), batch: rows.count,
            communicator: world, accumulation: 1, clipNorm: 0, learningRate: 0, carried: &carried,
            nextWindow: { window(rows) })
        return model.arena.flatGradients.toArray()
    }
    let whole = try gradient(0..<4, world: SingleProcess())
    let second = try gradient(2..<4, world: SingleProcess())
    let world = ScriptedWorld(size: 2, others: second)
    let averaged = try gradient(0..<2, world: world)
    let first = try gradient(0..<2, world: SingleProcess())
    #expect(world.floatReductions == 1)
    let error = zip(averaged, whole).map { abs($0 - $1) }.max() ?? .infinity
    let sliceError = zip(first, whole).map { abs($0 - $1) }.max() ?? 0
    #expect(error <= 1e-6)
    #expect(sliceError > 1e-4)
}
