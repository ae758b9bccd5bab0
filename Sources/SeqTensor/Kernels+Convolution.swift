extension Kernels {
    /// The sizes of a 1-D window scan over (B, T, C): `b` sequences of `t` steps and `c` channels, windows of
    /// `kernel` steps every `stride` steps, the first starting `padLeft` steps before step 0, `outLength` of them.
    package struct Window1D: Sendable, Equatable {
        package var b: Int
        package var t: Int
        package var c: Int
        package var kernel: Int
        package var stride: Int
        package var padLeft: Int
        package var outLength: Int

        package init(b: Int, t: Int, c: Int, kernel: Int, stride: Int, padLeft: Int, outLength: Int) {
            (self.b, self.t, self.c, self.kernel, self.stride, self.padLeft) = (b, t, c, kernel, stride, padLeft)
            self.outLength = outLength
        }

        /// The input step read by tap `k` of window `o`, or nil when it falls in the padding.
        @inline(__always) package func source(_ o: Int, _ k: Int) -> Int? {
            let s = o &* stride &+ k &- padLeft
            return s >= 0 && s < t ? s : nil
        }
    }

    /// Im2col for a 1-D convolution: `y[b, o, k·C + c] = x[b, o·stride + k − padLeft, c]`, zero in the padding.
    /// x (B, T, C) → y (B, outLength, kernel·C); a convolution is then one product with a (kernel·C, F) kernel.
    package static func unfold1D(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ w: Window1D) {
        let (c, kc) = (w.c, w.kernel &* w.c)
        for b in 0..<w.b {
            for o in 0..<w.outLength {
                let row = y + (b &* w.outLength &+ o) &* kc
                for k in 0..<w.kernel {
                    if let s = w.source(o, k) {
                        (row + k &* c).update(from: x + (b &* w.t &+ s) &* c, count: c)
                    } else {
                        (row + k &* c).update(repeating: 0, count: c)
                    }
                }
            }
        }
    }

    /// Backward of ``unfold1D(_:_:_:)``: every tap's gradient is added back to the step it read (overlapping
    /// windows sum; padding taps are dropped).
    package static func unfold1DBackward(_ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ w: Window1D) {
        let (c, kc) = (w.c, w.kernel &* w.c)
        for b in 0..<w.b {
            for o in 0..<w.outLength {
                let row = dy + (b &* w.outLength &+ o) &* kc
                for k in 0..<w.kernel {
                    guard let s = w.source(o, k) else { continue }
                    let dst = dx + (b &* w.t &+ s) &* c
                    let src = row + k &* c
                    for j in 0..<c { dst[j] += src[j] }
                }
            }
        }
    }

    /// Max pooling over time: `y[b, o, c] = max over the window's steps inside the sequence of x[b, step, c]`
    /// (padding never wins, as TensorFlow's `same` pooling); `argmax` gets the winning step of each output.
    package static func maxPool1D(
        _ y: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>, _ x: UnsafePointer<Float>,
        _ w: Window1D
    ) {
        let c = w.c
        for b in 0..<w.b {
            for o in 0..<w.outLength {
                let out = y + (b &* w.outLength &+ o) &* c
                let arg = argmax + (b &* w.outLength &+ o) &* c
                out.update(repeating: -.infinity, count: c)
                arg.update(repeating: -1, count: c)
                for k in 0..<w.kernel {
                    guard let s = w.source(o, k) else { continue }
                    let src = x + (b &* w.t &+ s) &* c
                    for j in 0..<c where src[j] > out[j] || arg[j] < 0 {
                        out[j] = src[j]
                        arg[j] = Int32(s)
                    }
                }
            }
        }
    }

    /// Backward of ``maxPool1D(_:argmax:_:_:)``: each output's gradient goes to the step that won.
    package static func maxPool1DBackward(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, argmax: UnsafePointer<Int32>, _ w: Window1D
    ) {
        let c = w.c
        for b in 0..<w.b {
            for o in 0..<w.outLength {
                let g = dy + (b &* w.outLength &+ o) &* c
                let arg = argmax + (b &* w.outLength &+ o) &* c
                for j in 0..<c where arg[j] >= 0 { dx[(b &* w.t &+ Int(arg[j])) &* c &+ j] += g[j] }
            }
        }
    }
}
