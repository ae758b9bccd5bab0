import Testing

@testable import SeqTensor

@Suite struct RuntimeOptionsTests {
    @Test func theEnvironmentOverridesEachDefault() {
        var warnings: [String] = []
        let options = RuntimeOptions(
            environment: [
                "SEQKIT_THREADS": "3", "SEQKIT_GEMM_THRESHOLD": "0", "SEQKIT_GEMV_THRESHOLD": " 256 ",
                "SEQKIT_GEMM_SPLIT": "blas", "SEQKIT_ACTIVATIONS": "lean", "SEQKIT_PANEL_KERNEL": "0",
            ], warn: { warnings.append($0) })
        #expect(warnings.isEmpty)
        #expect(options.threads == 3)
        #expect(options.gemmThreshold == 0)
        #expect(options.gemvThreshold == 256)
        #expect(options.splitProducts == false)
        #expect(options.activations == .lean)
        #expect(options.panelKernelCap == 0)
    }

    @Test func anEmptyEnvironmentGivesTheDefaults() {
        let options = RuntimeOptions(environment: [:], warn: { Issue.record("unexpected warning \($0)") })
        #expect(options == RuntimeOptions())
        #expect(options.threads == 0 && options.gemmThreshold == 1 << 22 && options.gemvThreshold == 1 << 14)
        #expect(options.splitProducts && options.activations == .auto && options.panelKernelCap == nil)
    }

    @Test func aBadValueIsNamedOnceAndIgnored() {
        var warnings: [String] = []
        let options = RuntimeOptions(
            environment: [
                "SEQKIT_THREADS": "0", "SEQKIT_GEMM_THRESHOLD": "-5", "SEQKIT_GEMV_THRESHOLD": "lots",
                "SEQKIT_GEMM_SPLIT": "openmp", "SEQKIT_ACTIVATIONS": "all", "SEQKIT_PANEL_KERNEL": "7",
            ], warn: { warnings.append($0) })
        #expect(options == RuntimeOptions())
        #expect(warnings.count == 6)
        for name in [
            "SEQKIT_THREADS=0", "SEQKIT_GEMM_THRESHOLD=-5", "SEQKIT_GEMV_THRESHOLD=lots", "SEQKIT_GEMM_SPLIT=openmp",
            "SEQKIT_ACTIVATIONS=all", "SEQKIT_PANEL_KERNEL=7",
        ] {
            #expect(warnings.contains { $0.hasPrefix("ignoring \(name):") }, "\(name): \(warnings)")
        }
    }
}
