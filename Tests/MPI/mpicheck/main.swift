// Checks for data-parallel training that need several processes; Tests/MPI/run.sh runs them under `mpirun`.
//
//   mpicheck gradient CONFIG...   every rank: the all-reduced gradient of its slice equals the gradient of the
//                                 whole global batch computed in one process, to 1e-6
//   mpicheck compare A B TOL      the largest |a - b| over the tensors of two safetensors files is at most TOL
//   mpicheck verify DIR           a checkpoint directory matches its manifest (every file whole)
import Foundation
import SeqAutograd
import SeqCheckpoint
import SeqDistributed
import SeqModels
import SeqNN
import SeqTensor
import SeqTraining

struct CheckFailure: Error, CustomStringConvertible {
    let description: String
}

/// Rows per rank, and the window length the check shortens every config to (it checks arithmetic, not scale).
let rowsPerRank = 2
let checkTime = 16

/// The largest |a - b| over two equally long buffers.
func maxDifference(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
    var largest: Float = 0
    for i in 0..<count { largest = max(largest, abs(a[i] - b[i])) }
    return largest
}

func checkGradient(configPath: String, world: any Communicator) throws {
    var config = try TrainingConfig.load(from: URL(fileURLWithPath: configPath))
    config.model.vocabSize = 61
    config.model.contextLength = min(config.model.contextLength, checkTime)
    config.model.dropout = 0
    let (time, vocab) = (config.model.contextLength, config.model.vocabSize)
    let global = rowsPerRank * world.size

    // The global batch, the same on every rank: (G, T + 1) token ids.
    var rng = SeededGenerator(seed: 2024)
    let rows = (0..<global).map { _ in (0...time).map { _ in rng.nextInt(below: vocab) } }
    func window(_ range: Range<Int>) -> (inputs: [Int], targets: [Int], restart: Bool) {
        (range.flatMap { rows[$0].dropLast() }, range.flatMap { rows[$0].dropFirst() }, true)
    }

    // A step at learning rate 0 leaves the weights as they are and the reduced gradient in the arena.
    func gradient(rowRange: Range<Int>, communicator: any Communicator) throws -> (any LanguageModel, Double) {
        let model = try makeModel(config.model, seed: 11)
        let optimizer = Optimizer(config.optimizer, arena: model.arena)
        var carried: CarriedState?
        let loss = optimizerStep(
            model: model, optimizer: optimizer,
            context: ForwardContext(training: true, rng: SeededGenerator(seed: 3)), batch: rowRange.count,
            communicator: communicator, accumulation: 1, clipNorm: 0, learningRate: 0, carried: &carried,
            nextWindow: { window(rowRange) })
        return (model, loss)
    }
    let mine = (world.rank * rowsPerRank)..<((world.rank + 1) * rowsPerRank)
    let (parallel, parallelLoss) = try gradient(rowRange: mine, communicator: world)
    let (whole, wholeLoss) = try gradient(rowRange: 0..<global, communicator: SingleProcess())
    let (local, _) = try gradient(rowRange: mine, communicator: SingleProcess())
    let count = parallel.arena.count
    let difference = maxDifference(parallel.arena.gradients.base, whole.arena.gradients.base, count: count)
    // Without the reduction a rank would hold its own slice's gradient: that must be visibly different, or the
    // comparison above proves nothing.
    let sliceDifference = maxDifference(local.arena.gradients.base, whole.arena.gradients.base, count: count)
    let report =
        "gradient \(configPath) rank \(world.rank)/\(world.size): \(count) values, max |Δ| \(difference) "
        + "(one slice alone: \(sliceDifference)), loss \(parallelLoss) vs \(wholeLoss)"
    print(report)
    guard difference <= 1e-6, abs(parallelLoss - wholeLoss) <= 1e-6 else { throw CheckFailure(description: report) }
    guard world.size == 1 || sliceDifference > 1e-4 else {
        throw CheckFailure(description: "the slices' gradients do not differ; the check cannot tell: \(report)")
    }
}

func compare(_ a: String, _ b: String, tolerance: Float) throws {
    let left = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: a))
    let right = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: b))
    guard left.names == right.names else {
        throw CheckFailure(description: "\(a) and \(b) hold different tensors: \(left.names) vs \(right.names)")
    }
    var largest: Float = 0
    var values = 0
    for name in left.names {
        let (x, y) = (try left.floats(name), try right.floats(name))
        guard x.count == y.count else { throw CheckFailure(description: "'\(name)' differs in size") }
        for i in 0..<x.count { largest = max(largest, abs(x[i] - y[i])) }
        values += x.count
    }
    print("compare \(a) \(b): \(values) values, max |Δ| \(largest)")
    guard largest <= tolerance, values > 0 else {
        throw CheckFailure(description: "max |Δ| \(largest) is above \(tolerance)")
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
do {
    switch arguments.first {
    case "gradient" where arguments.count > 1:
        let world = makeWorldCommunicator()
        do {
            for path in arguments.dropFirst() { try checkGradient(configPath: path, world: world) }
        } catch {
            FileHandle.standardError.write(Data("mpicheck: \(error)\n".utf8))
            world.abort(code: 1)
        }
        world.finish()
    case "verify" where arguments.count == 2:
        let manifest = try Checkpoint.verify(URL(fileURLWithPath: arguments[1]))
        print("verify \(arguments[1]): intact (\(manifest.files.count) files)")
    case "compare" where arguments.count == 4:
        guard let tolerance = Float(arguments[3]) else { throw CheckFailure(description: "bad tolerance") }
        try compare(arguments[1], arguments[2], tolerance: tolerance)
    default:
        throw CheckFailure(
            description: "usage: mpicheck gradient CONFIG... | compare A B TOLERANCE | verify CHECKPOINT_DIR")
    }
} catch {
    FileHandle.standardError.write(Data("mpicheck: \(error)\n".utf8))
    exit(1)
}
