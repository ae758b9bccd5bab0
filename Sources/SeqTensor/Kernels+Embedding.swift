extension Kernels {
    /// Embedding gather: `y[r] = table[ids[r]]`, rows of width `n`. Ids are checked against the
    /// vocabulary by the caller.
    package static func gather(
        _ y: UnsafeMutablePointer<Float>, table: UnsafePointer<Float>, ids: UnsafePointer<Int>, rows: Int, n: Int
    ) {
        for r in 0..<rows { (y + r &* n).update(from: table + ids[r] &* n, count: n) }
    }

    /// Backward of ``gather(_:table:ids:rows:n:)``: `dTable[ids[r]] += dy[r]` (a repeated id sums).
    package static func scatterAdd(
        _ dTable: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, ids: UnsafePointer<Int>, rows: Int, n: Int
    ) {
        for r in 0..<rows {
            let dst = dTable + ids[r] &* n
            let src = dy + r &* n
            for i in 0..<n { dst[i] += src[i] }
        }
    }
}
