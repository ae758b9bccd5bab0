import Foundation
import SeqAutograd
import SeqModels
import SeqNN
import SeqSampling
import SeqTensor
import SeqTraining

/// A model built from a config's model section with random weights, and the workloads timed on it.
struct BenchModel {
    /// The config's file name without `.json`.
    let name: String
    /// The resolved training config (vocabulary filled in).
    let config: TrainingConfig
    /// The model, initialised from `seed`.
    let model: any LanguageModel
    /// Seed of the weights; the random tokens use `seed + 1`, dropout `seed + 2`.
    let seed: UInt64

    /// Loads and checks the config, sets the thread count and flushes denormals as the trainer does.
    init(_ options: ModelOptions) throws {
        let url = URL(fileURLWithPath: options.config)
        var config = try TrainingConfig.load(from: url)
        config.model.vocabSize = options.vocab ?? (config.model.vocabSize > 0 ? config.model.vocabSize : 65)
        try config.model.validate()
        name = url.deletingPathExtension().lastPathComponent
        self.config = config
        seed = options.seed
        var runtime = RuntimeOptions.environment
        if options.threads > 0 { runtime.threads = options.threads }
        Threads.apply(runtime)
        Threads.flushDenormalsOnThisThread()
        model = try makeModel(config.model, seed: options.seed)
    }

    /// `rows` windows of `time` uniformly random tokens, row-major, and their next tokens.
    static func randomWindows(rows: Int, time: Int, vocab: Int, rng: inout SeededGenerator)
        -> (inputs: [Int], targets: [Int])
    {
        var inputs = [Int](repeating: 0, count: rows * time)
        var targets = inputs
        for r in 0..<rows {
            var token = rng.nextInt(below: vocab)
            for t in 0..<time {
                inputs[r * time + t] = token
                token = rng.nextInt(below: vocab)
                targets[r * time + t] = token
            }
        }
        return (inputs, targets)
    }

    /// Training throughput of the trainer's optimizer step at the config's batch, context, gradient
    /// accumulation, clip norm, optimizer and schedule: `warmup` untimed steps, then `steps` timed ones
    /// (or as many as fill `seconds`, at least 3). Recurrent models carry their detached state from one
    /// window to the next, as the trainer does.
    func train(warmup: Int, steps: Int, seconds: Double) throws -> Record {
        let training = config.training
        let (batch, time, vocab) = (training.batchSize, config.model.contextLength, config.model.vocabSize)
        let accumulation = training.gradientAccumulation
        let optimizer = Optimizer(config.optimizer, arena: model.arena)
        let context = ForwardContext(training: true, rng: SeededGenerator(seed: seed &+ 2))
        var rng = SeededGenerator(seed: seed &+ 1)
        var carried: CarriedState?
        var step = 0
        var loss = 0.0

        // The trainer's own step, on random windows.
        func trainStep() throws {
            loss = optimizerStep(
                model: model, optimizer: optimizer, context: context, batch: batch, accumulation: accumulation,
                clipNorm: training.clipNorm, learningRate: config.learningRate(at: step), carried: &carried,
                nextWindow: {
                    let window = BenchModel.randomWindows(rows: batch, time: time, vocab: vocab, rng: &rng)
                    return (window.inputs, window.targets, false)
                })
            step += 1
            guard loss.isFinite else { throw OptionError("the loss became \(loss) at step \(step)") }
        }

        for _ in 0..<warmup { try trainStep() }
        let clock = Stopwatch()
        var stepSeconds: [Double] = []
        repeat {
            let started = clock.wall
            try trainStep()
            stepSeconds.append(clock.wall - started)
        } while steps > 0 ? stepSeconds.count < steps : (clock.wall < seconds || stepSeconds.count < 3)
        let (wall, cpu) = (clock.wall, clock.cpu)
        let tokensPerStep = config.tokensPerStep
        let tokens = Double(tokensPerStep * stepSeconds.count)
        let flops = trainingFLOPsPerStep(
            config.model, parameters: model.arena.count, tokensPerStep: tokensPerStep)
        return Record(
            workload: "train", config: name, threads: Threads.count, parameters: model.arena.count,
            rate: tokens / wall, unit: "tokens/s", cpuRate: tokens / cpu, peakRSSMiB: peakResidentMiB(),
            details: [
                "batch": Double(training.batchSize), "context": Double(time), "warmup_steps": Double(warmup),
                "steps": Double(stepSeconds.count), "seconds": wall,
                "median_step_ms": stepSeconds.sorted()[stepSeconds.count / 2] * 1000,
                "tokens_per_step": Double(tokensPerStep), "flops_per_step": flops,
                "model_gflops": flops * Double(stepSeconds.count) / wall / 1e9,
                "last_loss": loss,
            ])
    }

    /// Generation: `tokens` new tokens for each of `batch` samples decoded side by side, after a prompt of
    /// `promptLength` tokens (`sampleCheckPrompt`) read in one prefill, categorical at temperature 1, through
    /// ``Generator`` (the model's incremental decoder: KV cache or carried state); one untimed generation (kept as
    /// the record's ``SampleCheck``), then the median of `runs`. The rate counts every sample's tokens; the time to
    /// the first token (prefill and first draw) is the median `ttft_ms`. With `weights`, first saves the model there
    /// as safetensors (PyTorch names), so another program can rescore the check sample.
    func sample(tokens: Int, runs: Int, batch: Int = 1, promptLength: Int = 1, weights: String? = nil) throws -> Record
    {
        if let weights {
            do {
                try model.save(to: URL(fileURLWithPath: weights))
            } catch {
                throw OptionError("cannot write \(weights) (\(error)); check the folder exists")
            }
        }
        let generator = Generator(model: model)
        var options = GenerationOptions()
        options.maxTokens = tokens
        options.numSamples = batch
        options.seed = seed
        let prompt = sampleCheckPrompt(length: promptLength, vocabulary: model.config.vocabSize)
        let first = try generator.generate(prompt: prompt, options: options).samples[0]
        var rates: [Double] = []
        var cpuRates: [Double] = []
        var firstTokens: [Double] = []
        for run in 0..<runs {
            options.seed = seed &+ UInt64(run) &+ 1
            let clock = Stopwatch()
            var firstToken: Double?
            let result = try generator.generate(prompt: prompt, options: options) { _, _, _ in
                if firstToken == nil { firstToken = clock.wall }
                return true
            }
            let (wall, cpu) = (clock.wall, clock.cpu)
            let count = result.samples.reduce(0) { $0 + $1.tokens.count }
            rates.append(Double(count) / wall)
            cpuRates.append(Double(count) / cpu)
            firstTokens.append((firstToken ?? wall) * 1000)
        }
        return Record(
            workload: "sample", config: name, threads: Threads.count, parameters: model.arena.count,
            rate: median(rates), unit: "tokens/s", cpuRate: median(cpuRates), peakRSSMiB: peakResidentMiB(),
            details: [
                "new_tokens": Double(tokens), "runs": Double(runs), "min_rate": rates.min() ?? 0,
                "max_rate": rates.max() ?? 0, "batch": Double(batch), "prompt_tokens": Double(promptLength),
                "ttft_ms": median(firstTokens),
            ], check: SampleCheck(tokens: first.tokens, logProbability: first.totalLogProbability))
    }

    /// The prompt of sampling runs: `[0]`, or `length` ids cycling through the vocabulary (compare-pytorch.py builds
    /// the same one).
    func sampleCheckPrompt(length: Int, vocabulary: Int) -> [Int] {
        length == 1 ? [0] : (0..<length).map { ($0 &* 7 &+ 3) % vocabulary }
    }

    /// Sentence embeddings: `batch` random sentences of `length` tokens through the transformer's trunk
    /// (the graph-free evaluation path `TextEncoder` runs), mean-pooled over the tokens into `(batch, C)`;
    /// 3 untimed passes, then as many as fill `seconds` (at least 3).
    func embed(batch: Int, length: Int?, seconds: Double) throws -> Record {
        guard let transformer = model as? TransformerLM else {
            throw OptionError(
                "embed needs a transformer config (model.kind \"transformer\"), e.g. Configs/tiny-gpt.json")
        }
        let context = config.model.contextLength
        let time = length ?? context
        guard time <= context else {
            throw OptionError("--length \(time) exceeds the config's contextLength \(context)")
        }
        let width = config.model.embeddingSize
        var rng = SeededGenerator(seed: seed &+ 1)
        let sentences = BenchModel.randomWindows(
            rows: batch, time: time, vocab: config.model.vocabSize, rng: &rng
        ).inputs
        var pooled = [Float](repeating: 0, count: batch * width)  // (B, C)
        func embedOnce() {
            do {
                let hidden = transformer.infer(sentences, batch: batch, layer: nil)  // (B, T, C)
                let h = hidden.pointer
                let scale = 1 / Float(time)
                pooled.withUnsafeMutableBufferPointer { out in
                    for b in 0..<batch {
                        let row = out.baseAddress! + b * width
                        row.update(repeating: 0, count: width)
                        for t in 0..<time {
                            let x = h + (b * time + t) * width
                            for c in 0..<width { row[c] += x[c] }
                        }
                        for c in 0..<width { row[c] *= scale }
                    }
                }
            }
        }
        for _ in 0..<3 { embedOnce() }
        let clock = Stopwatch()
        var calls = 0
        repeat {
            embedOnce()
            calls += 1
        } while clock.wall < seconds || calls < 3
        let (wall, cpu) = (clock.wall, clock.cpu)
        guard pooled.allSatisfy({ $0.isFinite }) else { throw OptionError("the pooled embeddings are not finite") }
        let count = Double(batch * calls)
        return Record(
            workload: "embed", config: "\(name) b\(batch)", threads: Threads.count, parameters: model.arena.count,
            rate: count / wall, unit: "sentences/s", cpuRate: count / cpu, peakRSSMiB: peakResidentMiB(),
            details: [
                "batch": Double(batch), "length": Double(time), "passes": Double(calls), "seconds": wall,
                "tokens_per_s": count * Double(time) / wall,
            ])
    }
}

/// The middle value (upper middle for an even count).
func median(_ values: [Double]) -> Double {
    values.isEmpty ? 0 : values.sorted()[values.count / 2]
}
