import Foundation
import Testing

@testable import SeqTraining

private func schedule(
    _ kind: ScheduleKind, warmup: Int = 100, floor: Double = 1e-4, stepSize: Int = 500, gamma: Double = 0.5,
    decaySteps: Int = 0
) -> ScheduleConfig {
    var s = ScheduleConfig()
    s.kind = kind
    s.warmupSteps = warmup
    s.minLearningRate = floor
    s.stepSize = stepSize
    s.gamma = gamma
    s.decaySteps = decaySteps
    return s
}

private func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-6 * abs(b) + 1e-12 }

/// Peak 1e-3, floor 1e-4, 100 warmup steps, 2000 steps; values worked out by hand
/// (warmup: 1e-3·(s+1)/101; cosine: 1e-4 + 9e-4·½(1 + cos(π r)), r = (s − 100)/1900).
@Test(arguments: [
    (0, 9.900990099009901e-6),
    (49, 4.9504950495049505e-4),
    (99, 9.900990099009901e-4),
    (100, 1e-3),
    (575, 8.681980515339464e-4),  // r = 1/4: 1e-4 + 9e-4 · (1 + √2/2)/2
    (1050, 5.5e-4),  // r = 1/2
    (1525, 2.318019484660536e-4),  // r = 3/4: 1e-4 + 9e-4 · (1 − √2/2)/2
    (2000, 1e-4),
    (2600, 1e-4),
])
func cosineFollowsNanoGPT(step: Int, expected: Double) {
    let lr = learningRate(at: step, peak: 1e-3, schedule: schedule(.cosine), maxSteps: 2000)
    #expect(close(lr, expected), "step \(step): \(lr) vs \(expected)")
}

@Test(arguments: [(100, 1e-3), (575, 7.75e-4), (1050, 5.5e-4), (1525, 3.25e-4), (2000, 1e-4), (3000, 1e-4)])
func linearDecaysToTheFloor(step: Int, expected: Double) {
    let lr = learningRate(at: step, peak: 1e-3, schedule: schedule(.linear), maxSteps: 2000)
    #expect(close(lr, expected), "step \(step): \(lr) vs \(expected)")
}

/// gamma 0.5 every 500 steps after a 100-step warmup, never below 1e-4.
@Test(arguments: [
    (50, 5.0495049504950497e-4), (100, 1e-3), (599, 1e-3), (600, 5e-4), (1099, 5e-4), (1100, 2.5e-4),
    (1600, 1.25e-4), (2100, 1e-4), (9000, 1e-4),
])
func stepMultipliesByGamma(step: Int, expected: Double) {
    let lr = learningRate(at: step, peak: 1e-3, schedule: schedule(.step), maxSteps: 2000)
    #expect(close(lr, expected), "step \(step): \(lr) vs \(expected)")
}

@Test(arguments: [(0, 9.900990099009901e-6), (100, 1e-3), (1999, 1e-3), (10_000, 1e-3)])
func constantHoldsThePeakAfterWarmup(step: Int, expected: Double) {
    let lr = learningRate(at: step, peak: 1e-3, schedule: schedule(.constant), maxSteps: 2000)
    #expect(close(lr, expected), "step \(step): \(lr) vs \(expected)")
}

@Test func noWarmupStartsAtThePeak() {
    for kind in ScheduleKind.allCases {
        let lr = learningRate(at: 0, peak: 2e-3, schedule: schedule(kind, warmup: 0), maxSteps: 100)
        #expect(close(lr, 2e-3), "\(kind)")
    }
    // Cosine over 100 steps without warmup: r = 0.5 at step 50.
    let half = learningRate(at: 50, peak: 2e-3, schedule: schedule(.cosine, warmup: 0, floor: 0), maxSteps: 100)
    #expect(close(half, 1e-3))
}

@Test func decayStepsShorterThanTheRunHoldsTheFloorAfterwards() {
    let s = schedule(.cosine, decaySteps: 1000)
    // r = (550 − 100) / 900 = 0.5.
    #expect(close(learningRate(at: 550, peak: 1e-3, schedule: s, maxSteps: 2000), 5.5e-4))
    #expect(close(learningRate(at: 1000, peak: 1e-3, schedule: s, maxSteps: 2000), 1e-4))
    #expect(close(learningRate(at: 1500, peak: 1e-3, schedule: s, maxSteps: 2000), 1e-4))
}

@Test func cosineNeverRisesAfterWarmup() {
    var previous = Float.infinity
    for step in 100...2100 {
        let lr = learningRate(at: step, peak: 1e-3, schedule: schedule(.cosine), maxSteps: 2000)
        #expect(lr <= previous)
        previous = lr
    }
}

@Test func configConvenienceUsesItsSections() {
    var config = TrainingConfig()
    config.optimizer.learningRate = 1e-3
    config.schedule = schedule(.cosine)
    config.training.maxSteps = 2000
    #expect(close(config.learningRate(at: 1050), 5.5e-4))
}
