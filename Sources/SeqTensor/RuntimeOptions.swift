import CSeqKernels
import Foundation

/// Whether a transformer block keeps its activations for backward or rebuilds them (same values and gradients).
public enum ActivationPolicy: String, Sendable, CaseIterable {
    /// Keep every activation: fastest, most memory.
    case keep
    /// Rebuild the normalized inputs, the GELU output and the attention output in backward.
    case lean
    /// Keep for residual streams under 2 MiB, rebuild from there up.
    case auto
}

/// How SeqKit's numeric core runs in this process: threads, when products are split, the block activation
/// policy, and a cap on the CPU kernel used. The only place SeqKit reads its `SEQKIT_*` environment variables;
/// a config (`run.threads`) or a flag (`--threads`) overrides what they say.
///
/// ```swift
/// var options = RuntimeOptions.environment   // the environment's settings, read once
/// options.threads = 2
/// Threads.apply(options)
/// ```
public struct RuntimeOptions: Sendable, Equatable {
    /// Threads for parallel work; 0 = automatic (the core count). `SEQKIT_THREADS`.
    public var threads = 0
    /// Products with at least this many multiply-adds (M·N·K) are split over every thread. 2²² (about 161³)
    /// sends every linear layer of tiny-gpt to all cores and keeps char-lstm's per-step recurrent products
    /// (≈ 3.3M) on one. `SEQKIT_GEMM_THRESHOLD`.
    public var gemmThreshold = 1 << 22
    /// Matrix-vector products (batch-1 decoding) of at least this many matrix elements are split over the
    /// threads; 2¹⁴ is a 128×128 matrix. `SEQKIT_GEMV_THRESHOLD`.
    public var gemvThreshold = 1 << 14
    /// Big products are cut into slabs on SeqKit's worker team (true) or threaded inside OpenBLAS (false,
    /// `SEQKIT_GEMM_SPLIT=blas`).
    public var splitProducts = true
    /// Which transformer blocks keep their activations for backward. `SEQKIT_ACTIVATIONS=keep|lean|auto`.
    public var activations = ActivationPolicy.auto
    /// The most capable panel kernel the recurrent products may use (2 AVX-512, 1 AVX2+FMA, 0 portable), for
    /// measuring one against another; nil = the best this CPU has. `SEQKIT_PANEL_KERNEL`.
    public var panelKernelCap: Int?

    /// The defaults, ignoring the environment.
    public init() {}

    /// The settings `environment` gives over the defaults; a value that is not valid is reported through
    /// `warn` (one line naming the variable and what it takes) and ignored.
    public init(environment: [String: String], warn: (String) -> Void) {
        func count(_ name: String, _ fallback: Int, positive: Bool = false) -> Int {
            guard let text = environment[name] else { return fallback }
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= (positive ? 1 : 0) else {
                warn(
                    "ignoring \(name)=\(text): not a \(positive ? "positive" : "non-negative") integer; unset it or "
                        + "give a count")
                return fallback
            }
            return value
        }
        threads = count("SEQKIT_THREADS", 0, positive: true)
        gemmThreshold = count("SEQKIT_GEMM_THRESHOLD", gemmThreshold)
        gemvThreshold = count("SEQKIT_GEMV_THRESHOLD", gemvThreshold)
        if let split = environment["SEQKIT_GEMM_SPLIT"] {
            if split == "blas" || split == "team" {
                splitProducts = split == "team"
            } else {
                warn("ignoring SEQKIT_GEMM_SPLIT=\(split): use team or blas")
            }
        }
        if let text = environment["SEQKIT_ACTIVATIONS"] {
            if let policy = ActivationPolicy(rawValue: text) {
                activations = policy
            } else {
                warn("ignoring SEQKIT_ACTIVATIONS=\(text): use keep, lean or auto")
            }
        }
        if let text = environment["SEQKIT_PANEL_KERNEL"] {
            if let cap = Int(text), (0...2).contains(cap) {
                panelKernelCap = cap
            } else {
                warn("ignoring SEQKIT_PANEL_KERNEL=\(text): use 0, 1 or 2")
            }
        }
    }

    /// The process environment's settings, read once; warnings go to standard error as `seqkit: …`.
    public static let environment = RuntimeOptions(environment: ProcessInfo.processInfo.environment) {
        FileHandle.standardError.write(Data("seqkit: \($0)\n".utf8))
    }
}
