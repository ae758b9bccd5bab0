import RealModule
import SeqAutograd
import SeqTensor

/// The fixed sinusoidal position table of "Attention Is All You Need":
/// `PE[p, 2i] = sin(p / 10000^(2i/C))`, `PE[p, 2i+1] = cos(p / 10000^(2i/C))`.
///
/// `sinusoidalTable(positions: 64, width: 128)   // (64, 128)`
public func sinusoidalTable(positions: Int, width: Int) -> Tensor {
    let table = Tensor(uninitialized: [positions, width])  // (P, C)
    let p = table.pointer
    for position in 0..<positions {
        for j in 0..<width {
            let exponent = Double(2 * (j / 2)) / Double(width)
            let angle = Double(position) / Double.pow(10_000, exponent)
            p[position * width + j] = Float(j % 2 == 0 ? Double.sin(angle) : Double.cos(angle))
        }
    }
    return table
}
