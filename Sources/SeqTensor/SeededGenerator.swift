import RealModule

/// A fast, seedable random number generator (xoshiro256**, seeded through SplitMix64).
///
/// Randomness in SeqKit is a value passed in, never a global: initialisation, dropout, batch
/// sampling and token sampling each take one. The whole state is four words, so it can be saved
/// in a checkpoint and restored exactly.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1337)
/// let u = rng.nextUniform()   // in [0, 1)
/// let z = rng.nextNormal()    // standard normal
/// ```
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    // The four state words, stored inline: no array and its checks in the draw loop.
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The raw state; `SeededGenerator(state:)` restores it.
    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) {
        var s = seed
        s0 = SeededGenerator.splitMix(&s)
        s1 = SeededGenerator.splitMix(&s)
        s2 = SeededGenerator.splitMix(&s)
        s3 = SeededGenerator.splitMix(&s)
    }

    /// Restores a generator from ``state``; a wrong-sized or all-zero state returns nil.
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        (s0, s1, s2, s3) = (state[0], state[1], state[2], state[3])
    }

    private static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always) private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 &- k)) }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = SeededGenerator.rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = SeededGenerator.rotl(s3, 45)
        return result
    }

    /// A dropout keep mask of `count` draws, packed as bits (bit `i & 7` of `bits[i >> 3]`, set where draw `i`
    /// keeps its element, with probability `1 − p`). Each 64-bit draw decides two elements with 24 random bits
    /// each, so a mask costs half the draws of `nextUniform() >= p` per element.
    ///
    /// `rng.fillKeepBits(mask, count: n, dropping: 0.1)`
    public mutating func fillKeepBits(_ bits: UnsafeMutablePointer<UInt8>, count: Int, dropping p: Float) {
        // u / 2²⁴ ≥ p  ⇔  u ≥ ⌈p · 2²⁴⌉ for a 24-bit integer u.
        let threshold = UInt64((Double(p) * 0x1p24).rounded(.up))
        for o in 0..<((count &+ 7) / 8) {
            var byte: UInt64 = 0
            for pair in 0..<4 {
                let r = next()
                byte |= (r >> 40 >= threshold ? 1 : 0) << UInt64(2 &* pair)
                byte |= ((r >> 8) & 0xFF_FFFF >= threshold ? 1 : 0) << UInt64(2 &* pair &+ 1)
            }
            let tail = count &- o &* 8
            bits[o] = UInt8(tail >= 8 ? byte : byte & ((1 << UInt64(tail)) &- 1))
        }
    }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// A uniform `Double` in [0, 1) with 53 random bits.
    public mutating func nextUniformDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal sample (Box–Muller, one sample per call so the state stays four words).
    public mutating func nextNormal() -> Float {
        let u1 = 1 - nextUniformDouble()  // (0, 1]
        let u2 = nextUniformDouble()
        return Float(Double.sqrt(-2 * Double.log(u1)) * Double.cos(2 * Double.pi * u2))
    }

    /// A uniform integer in `0..<bound` (bound > 0), without modulo bias.
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "nextInt(below:) needs a positive bound, got \(bound)")
        return Int(next(upperBound: UInt64(bound)))
    }
}

extension Tensor {
    /// A tensor of normal samples with the given mean and standard deviation.
    ///
    /// `Tensor(randomNormal: [128, 128], std: 0.02, using: &rng)`
    public init(randomNormal shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout SeededGenerator) {
        self.init(uninitialized: shape)
        let p = pointer
        for i in 0..<count { p[i] = mean + std * rng.nextNormal() }
    }

    /// A tensor of uniform samples in [low, high).
    ///
    /// `Tensor(randomUniform: [4, 4], low: -0.5, high: 0.5, using: &rng)`
    public init(randomUniform shape: [Int], low: Float, high: Float, using rng: inout SeededGenerator) {
        self.init(uninitialized: shape)
        let p = pointer
        let width = high - low
        for i in 0..<count { p[i] = low + width * rng.nextUniform() }
    }
}
