import Foundation
import SeqAutograd
import SeqCheckpoint
import SeqConfig
import SeqDistributed
import SeqModels
import SeqNN
import SeqTensor

extension Session {
    /// Writes every file of a checkpoint into `slot`, atomically, after checking that nothing it would write is
    /// NaN or infinite: a diverged run keeps its last finite checkpoint and stops with an error naming it.
    ///
    /// Every rank calls it at the same step: the carried recurrent state is gathered from all of them, then rank 0
    /// alone writes.
    func save(_ slot: CheckpointSlot, elapsed: Double) throws {
        let carriedRows = gatheredCarriedState()
        if let problem = nonFiniteState() { throw nonFinite(problem, at: step) }
        guard communicator.rank == 0 else { return }
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
            if let carriedRows {
                try SafeTensorsFile.write(carriedRows, to: folder.appendingPathComponent(Checkpoint.carriedFile))
            }
            try Checkpoint.write(state, in: folder)
            try Checkpoint.writeManifest(in: folder, corpusSHA256: corpus.sha256, tokenizerSHA256: tokenizerSHA256)
        }
        if slot == .latest { lastCheckpoint = runDirectory.checkpointURL(.latest).path }
        if replacing {
            try runDirectory.discardReplacedRun()
            replacing = false
        }
    }

    /// The carried recurrent state of every stream of the global batch, `h.k` and `c.k` of shape
    /// (ranks · B, H) with rank r's streams at rows r·B..<(r+1)·B (summed over ranks into zeros, so exact);
    /// nil when nothing is carried.
    func gatheredCarriedState() -> [(name: String, shape: [Int], values: [Float])]? {
        guard let recurrent = carried?.recurrent else { return nil }
        let named =
            recurrent.h.enumerated().map { ("h.\($0.offset)", $0.element) }
            + recurrent.c.enumerated().map { ("c.\($0.offset)", $0.element) }
        return named.map { name, tensor in
            let local = tensor.value.toArray()  // (B, H)
            guard communicator.size > 1 else { return (name, tensor.shape, local) }
            var rows = [Float](repeating: 0, count: local.count * communicator.size)  // (ranks · B, H)
            let offset = communicator.rank * local.count
            for i in 0..<local.count { rows[offset + i] = local[i] }
            rows.withUnsafeMutableBufferPointer { communicator.allreduceSum($0.baseAddress!, count: $0.count) }
            return (name, [tensor.shape[0] * communicator.size] + tensor.shape.dropFirst(), rows)
        }
    }

    /// What of the state a checkpoint saves is NaN or infinite (weights first, then optimizer moments, carried
    /// state, best validation loss), as the subject of a sentence; nil when all of it is finite.
    func nonFiniteState() -> String? {
        if let (name, count) = model.arena.firstNonFinite() {
            return "the weights of '\(name)' (\(count) values)"
        }
        for (label, storage) in [("first", optimizer.first), ("second", optimizer.second)] {
            if let (name, count) = model.arena.firstNonFinite(in: storage) {
                return "the \(label) optimizer moment of '\(name)' (\(count) values)"
            }
        }
        if let recurrent = carried?.recurrent {
            for (k, tensor) in (recurrent.h + recurrent.c).enumerated()
            where tensor.value.toArray().contains(where: { !$0.isFinite }) {
                return "the carried recurrent state (tensor \(k))"
            }
        }
        if let loss = bestValidationLoss, !loss.isFinite { return "the validation loss" }
        return nil
    }

    /// The error that stops a run whose `subject` became NaN or infinite at `step`, naming the checkpoints kept
    /// and the step each holds.
    func nonFinite(_ subject: String, at step: Int) -> TrainingError {
        var kept: [TrainingError.KeptCheckpoint] = []
        for slot in CheckpointSlot.allCases where runDirectory.hasCheckpoint(slot) {
            let folder = runDirectory.checkpointURL(slot)
            if let saved = try? Checkpoint.readState(in: folder) {
                kept.append(TrainingError.KeptCheckpoint(path: folder.path, step: saved.step))
            }
        }
        if kept.isEmpty, let lastCheckpoint,
            let saved = try? Checkpoint.readState(in: URL(fileURLWithPath: lastCheckpoint))
        {
            kept.append(TrainingError.KeptCheckpoint(path: lastCheckpoint, step: saved.step))
        }
        return .nonFinite(subject: subject, step: step, kept: kept)
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

    /// Loads weights, optimizer moments, generators, data position and carried state from a checkpoint, read
    /// whole and verified against its manifest; refuses NaN or infinite values and a `state.json` value that
    /// does not fit this config and corpus, naming its key.
    func restore(from directory: URL) throws {
        let snapshot = try CheckpointSnapshot(
            directory,
            keeping: [Checkpoint.modelFile, Checkpoint.optimizerFile, Checkpoint.stateFile, Checkpoint.carriedFile])
        try model.load(from: try snapshot.safeTensors(Checkpoint.modelFile))
        try optimizer.load(from: try snapshot.safeTensors(Checkpoint.optimizerFile))
        for storage in [optimizer.first, optimizer.second] {
            if let (name, count) = model.arena.firstNonFinite(in: storage) {
                throw ParameterLoadError.nonFinite(file: Checkpoint.optimizerFile, name: name, count: count)
            }
        }
        let statePath = snapshot.path(Checkpoint.stateFile)
        let state = try Checkpoint.decodeState(try snapshot.bytes(Checkpoint.stateFile), path: statePath)
        guard state.rngStates.count == 8, let batchRNG = SeededGenerator(state: Array(state.rngStates[0..<4])),
            let dropoutRNG = SeededGenerator(state: Array(state.rngStates[4..<8]))
        else {
            throw FileError(
                path: statePath,
                problem: "has 'rngStates' of \(state.rngStates.count) words (or a generator of all zeros) where "
                    + "SeqKit writes 8",
                fix: "the checkpoint was not written by this version of seqtrain; start a new run")
        }
        let positions =
            sampler.mode == .streams
            ? (0...sampler.streamLength, "the length of each of the \(sampler.batch) training streams")
            : (0...data.train.count, "the \(data.train.count) training tokens")
        guard positions.0.contains(state.dataPosition) else {
            throw FileError(
                path: statePath,
                problem: "has 'dataPosition' \(state.dataPosition), outside 0...\(positions.0.upperBound) "
                    + "(\(positions.1) of this corpus)",
                fix: Checkpoint.damagedFix)
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
        if snapshot.has(Checkpoint.carriedFile) {
            let file = try snapshot.safeTensors(Checkpoint.carriedFile)
            let layers = config.model.layers
            func load(_ prefix: String) throws -> [Variable] {
                try (0..<layers).map { k in
                    let info = try file.info("\(prefix).\(k)")
                    // (global batch, H): this rank's streams are rows rank·B..<(rank+1)·B.
                    guard info.shape.count == 2, info.shape[0] == config.training.batchSize else {
                        throw FileError(
                            path: snapshot.path(Checkpoint.carriedFile),
                            problem: "holds '\(prefix).\(k)' of shape \(info.shape) where the run's "
                                + "\(config.training.batchSize) streams need (\(config.training.batchSize), H)",
                            fix: Checkpoint.damagedFix)
                    }
                    let width = info.shape[1]
                    let all = try file.floats("\(prefix).\(k)")
                    let first = communicator.rank * rankBatch * width
                    let values = Array(all[first..<(first + rankBatch * width)])
                    guard values.allSatisfy(\.isFinite) else {
                        throw ParameterLoadError.nonFinite(
                            file: Checkpoint.carriedFile, name: "\(prefix).\(k)",
                            count: values.filter { !$0.isFinite }.count)
                    }
                    return Variable(Tensor(shape: [rankBatch, width], values: values))
                }
            }
            let h = try load("h")
            let c = config.model.carriesCell ? try load("c") : []
            carried = CarriedState(recurrent: RecurrentState(h: h, c: c))
        }
    }
}

extension Session {
    /// Mean validation loss over `training.evalWindows` windows drawn by a generator seeded the same at
    /// every evaluation. Recurrent models first read the window's preceding `contextLength` tokens
    /// (not scored) so their state is warm, as it is in training. Under data parallelism window i is rank
    /// (i mod ranks)'s, and the losses are summed over the ranks.
    func evaluateValidation() -> Double {
        context.training = false
        defer { context.training = true }
        let time = config.model.contextLength
        let ids = data.validation
        let recurrent = config.model.carriesState
        let warm = recurrent && ids.count > 2 * time + 1 ? time : 0
        var rng = SeededGenerator(seed: config.run.seed &+ 0x5EED)
        let windows = config.training.evalWindows
        let (rank, ranks) = (communicator.rank, communicator.size)
        let starts = (0..<windows).map { _ in rng.nextInt(below: ids.count - time - warm) + warm }
        let mine = stride(from: rank, to: windows, by: ranks).map { starts[$0] }
        let batch = min(rankBatch, windows)
        var total = 0.0
        var counted = 0
        let local = withoutGradients {
            while counted < mine.count {
                let rows = min(batch, mine.count - counted)
                var warmup: [Int] = []
                var inputs: [Int] = []
                var targets: [Int] = []
                for start in mine[counted..<(counted + rows)] {
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
            return total
        }
        return communicator.allreduceSum([local])[0] / Double(windows)
    }

    /// `--dry-run`: memory from the summary, time per step measured on two forward-backward passes.
    func dryRun() throws -> TrainingOutcome {
        let summary = model.summary(batch: rankBatch)
        let total = summary.parameterBytes + summary.gradientBytes + summary.optimizerBytes + summary.activationBytes
        var samples: [Double] = []
        var probe = sampler
        for _ in 0..<3 {
            let window = probe.next()
            let start = Date()
            let (logits, _) = model.forward(
                window.inputs, batch: rankBatch, state: nil, context: context)
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
                Double(rankBatch * config.model.contextLength * config.training.gradientAccumulation)
                    / perStep, perStep * Double(config.training.maxSteps) / 60, config.training.maxSteps))
        return TrainingOutcome(step: 0, validationLoss: nil, bestValidationLoss: nil, reason: .dryRun)
    }
}
