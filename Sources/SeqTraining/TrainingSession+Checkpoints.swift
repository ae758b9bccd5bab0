import Foundation
import SeqAutograd
import SeqConfig
import SeqModels
import SeqNN
import SeqTensor

extension Session {
    /// The file that holds a recurrent model's carried hidden state, so a resumed run continues exactly.
    static let carriedFile = "carried.safetensors"

    /// Writes every file of a checkpoint into `slot`, atomically.
    func save(_ slot: CheckpointSlot, elapsed: Double) throws {
        let state = Checkpoint.State(
            step: step, tokensSeen: tokensSeen, rngStates: sampler.rng.state + context.rng.state,
            dataPosition: sampler.position, bestValidationLoss: bestValidationLoss, elapsedSeconds: elapsed,
            evaluationsWithoutImprovement: evaluationsWithoutImprovement)
        try runDirectory.commitCheckpoint(slot) { folder in
            try write(
                Data((config.resolvedJSON() + "\n").utf8), to: folder.appendingPathComponent(Checkpoint.configFile))
            try write(tokenizerJSON, to: folder.appendingPathComponent(Checkpoint.tokenizerFile))
            try model.save(to: folder.appendingPathComponent(Checkpoint.modelFile))
            try optimizer.save(to: folder.appendingPathComponent(Checkpoint.optimizerFile))
            if let recurrent = carried?.recurrent {
                var tensors: [(name: String, shape: [Int], values: [Float])] = []
                for (k, h) in recurrent.h.enumerated() { tensors.append(("h.\(k)", h.shape, h.value.toArray())) }
                for (k, c) in recurrent.c.enumerated() { tensors.append(("c.\(k)", c.shape, c.value.toArray())) }
                try SafeTensorsFile.write(tensors, to: folder.appendingPathComponent(Session.carriedFile))
            }
            try Checkpoint.write(state, in: folder)
            try Checkpoint.writeManifest(in: folder, corpusSHA256: corpus.sha256, tokenizerSHA256: tokenizerSHA256)
        }
        if slot == .latest { lastCheckpoint = runDirectory.checkpointURL(.latest).path }
    }

    private func write(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url)
        } catch {
            throw FileError(
                path: url.path, problem: "cannot be written (\(error.localizedDescription))",
                fix: "free disk space or choose another --out; the previous checkpoint is intact")
        }
    }

    /// Loads weights, optimizer moments, generators, data position and carried state from a checkpoint.
    func restore(from directory: URL) throws {
        try model.load(from: directory.appendingPathComponent(Checkpoint.modelFile))
        try optimizer.load(from: directory.appendingPathComponent(Checkpoint.optimizerFile))
        let state = try Checkpoint.readState(in: directory)
        guard state.rngStates.count == 8, let batchRNG = SeededGenerator(state: Array(state.rngStates[0..<4])),
            let dropoutRNG = SeededGenerator(state: Array(state.rngStates[4..<8]))
        else {
            throw FileError(
                path: directory.appendingPathComponent(Checkpoint.stateFile).path,
                problem: "has \(state.rngStates.count) generator words where SeqKit writes 8",
                fix: "the checkpoint was not written by this version of seqtrain; start a new run")
        }
        step = state.step
        tokensSeen = state.tokensSeen
        bestValidationLoss = state.bestValidationLoss
        evaluationsWithoutImprovement = state.evaluationsWithoutImprovement
        elapsedBefore = state.elapsedSeconds
        sampler.rng = batchRNG
        sampler.position = state.dataPosition
        context.rng = dropoutRNG
        lastCheckpoint = directory.path
        let carriedURL = directory.appendingPathComponent(Session.carriedFile)
        if FileManager.default.fileExists(atPath: carriedURL.path) {
            let file = try SafeTensorsFile(contentsOf: carriedURL)
            let layers = config.model.layers
            func load(_ prefix: String) throws -> [Variable] {
                try (0..<layers).map { k in
                    let info = try file.info("\(prefix).\(k)")
                    return Variable(Tensor(shape: info.shape, values: try file.floats("\(prefix).\(k)")))
                }
            }
            let h = try load("h")
            let c = config.model.kind == .lstm ? try load("c") : []
            carried = CarriedState(recurrent: RecurrentState(h: h, c: c))
        }
    }
}

extension Session {
    /// Mean validation loss over `training.evalWindows` windows drawn by a generator seeded the same at
    /// every evaluation. Recurrent models first read the window's preceding `contextLength` tokens
    /// (not scored) so their state is warm, as it is in training.
    func evaluateValidation() -> Double {
        context.training = false
        defer { context.training = true }
        let time = config.model.contextLength
        let ids = data.validation
        let recurrent = config.model.kind.isRecurrent
        let warm = recurrent && ids.count > 2 * time + 1 ? time : 0
        var rng = SeededGenerator(seed: config.run.seed &+ 0x5EED)
        let windows = config.training.evalWindows
        let batch = min(config.training.batchSize, windows)
        var total = 0.0
        var counted = 0
        return withoutGradients {
            while counted < windows {
                let rows = min(batch, windows - counted)
                var warmup: [Int] = []
                var inputs: [Int] = []
                var targets: [Int] = []
                for _ in 0..<rows {
                    let start = rng.nextInt(below: ids.count - time - warm) + warm
                    warmup += ids[(start - warm)..<start]
                    inputs += ids[start..<(start + time)]
                    targets += ids[(start + 1)...(start + time)]
                }
                var state: CarriedState?
                if warm > 0 { state = model.forward(warmup, batch: rows, state: nil, context: context).state }
                let (logits, _) = model.forward(inputs, batch: rows, state: state, context: context)
                total += Double(crossEntropy(logits, targets: targets).value.item) * Double(rows)
                counted += rows
            }
            return total / Double(windows)
        }
    }

    /// `--dry-run`: memory from the summary, time per step measured on two forward-backward passes.
    func dryRun() throws -> TrainingOutcome {
        let summary = model.summary(batch: config.training.batchSize)
        let total = summary.parameterBytes + summary.gradientBytes + summary.optimizerBytes + summary.activationBytes
        var samples: [Double] = []
        var probe = sampler
        for _ in 0..<3 {
            let window = probe.next()
            let start = Date()
            let (logits, _) = model.forward(
                window.inputs, batch: config.training.batchSize, state: nil, context: context)
            crossEntropy(logits, targets: window.targets).backward()
            samples.append(Date().timeIntervalSince(start))
        }
        model.arena.zeroGradients()
        let perStep = samples.dropFirst().sorted()[0] * Double(config.training.gradientAccumulation)
        log(
            String(
                format:
                    "estimate: %.1f MiB of training memory, %.0f ms per step (%.0f tokens/s), %.1f min for %d steps",
                Double(total) / 1_048_576, perStep * 1000,
                Double(config.training.batchSize * config.model.contextLength * config.training.gradientAccumulation)
                    / perStep, perStep * Double(config.training.maxSteps) / 60, config.training.maxSteps))
        return TrainingOutcome(step: 0, validationLoss: nil, bestValidationLoss: nil, reason: .dryRun)
    }
}
