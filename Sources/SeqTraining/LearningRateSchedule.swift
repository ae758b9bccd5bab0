import Foundation
import SeqCheckpoint

/// The learning rate for optimizer step `step` (0-based): linear warmup, then the schedule's curve.
///
/// With `W = warmupSteps`, `D = decaySteps` (or `maxSteps` when 0), peak `η`, floor `η_min`, following nanoGPT's
/// `get_lr`:
/// - warmup, `step < W`: `η · (step + 1) / (W + 1)`
/// - after `D` (linear, cosine): `η_min`
/// - constant: `η`
/// - linear: `η_min + (η − η_min) · (1 − r)`, with `r = (step − W) / (D − W)`
/// - cosine: `η_min + (η − η_min) · ½ · (1 + cos(π r))`
/// - step: `max(η_min, η · γ^⌊(step − W) / stepSize⌋)`
///
/// ```swift
/// var s = ScheduleConfig(); s.warmupSteps = 100; s.minLearningRate = 1e-4
/// learningRate(at: 1050, peak: 1e-3, schedule: s, maxSteps: 2000)  // 5.5e-4, halfway down the cosine
/// ```
public func learningRate(at step: Int, peak: Double, schedule: ScheduleConfig, maxSteps: Int) -> Float {
    let warmup = max(schedule.warmupSteps, 0)
    if step < warmup {
        return Float(peak * Double(max(step, 0) + 1) / Double(warmup + 1))
    }
    let floor = schedule.minLearningRate
    let decay = schedule.resolvedDecaySteps(maxSteps: maxSteps)
    let span = Double(decay - warmup)
    let ratio = span > 0 ? min(max(Double(step - warmup) / span, 0), 1) : 1
    switch schedule.kind {
    case .constant:
        return Float(peak)
    case .linear:
        return Float(floor + (peak - floor) * (1 - ratio))
    case .cosine:
        return Float(floor + (peak - floor) * 0.5 * (1 + cos(Double.pi * ratio)))
    case .step:
        let drops = (step - warmup) / max(schedule.stepSize, 1)
        return Float(max(floor, peak * pow(schedule.gamma, Double(drops))))
    }
}

extension TrainingConfig {
    /// The learning rate of optimizer step `step` under this config's optimizer and schedule sections.
    ///
    /// `config.learningRate(at: 0)` is `optimizer.learningRate / (schedule.warmupSteps + 1)` when warming up.
    public func learningRate(at step: Int) -> Float {
        SeqTraining.learningRate(
            at: step, peak: optimizer.learningRate, schedule: schedule, maxSteps: training.maxSteps)
    }
}
