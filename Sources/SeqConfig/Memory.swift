import Foundation

/// Bytes the system can give this process now: `MemAvailable` of `/proc/meminfo` (Linux), else the
/// physical memory. Training and generation compare their estimates with it before allocating anything.
///
/// `availableMemory()  // 6_123_456_512`
public func availableMemory() -> Int {
    if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
        let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
    {
        return kilobytes.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kilobytes * 1024
    }
    return Int(clamping: ProcessInfo.processInfo.physicalMemory)
}

/// `bytes` for people, in powers of 1000: `formatBytes(3_100_000_000) == "3.1 GB"`.
public func formatBytes(_ bytes: Int) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB", "PB", "EB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f", value) + " " + units[unit]
}

/// The product of `factors`, nil when one is nil or negative or the product overflows `Int`: sizes from a
/// config are multiplied with it so that no user value can trap.
///
/// `checkedProduct([4, 1 << 62]) == nil`, `checkedProduct([2, 3]) == 6`
public func checkedProduct(_ factors: [Int?]) -> Int? {
    var total = 1
    for factor in factors {
        guard let factor, factor >= 0 else { return nil }
        let (next, overflow) = total.multipliedReportingOverflow(by: factor)
        if overflow { return nil }
        total = next
    }
    return total
}

/// The sum of `terms`, nil when one is nil or negative or the sum overflows `Int`.
///
/// `checkedSum([Int.max, 1]) == nil`, `checkedSum([2, 3]) == 5`
public func checkedSum(_ terms: [Int?]) -> Int? {
    var total = 0
    for term in terms {
        guard let term, term >= 0 else { return nil }
        let (next, overflow) = total.addingReportingOverflow(term)
        if overflow { return nil }
        total = next
    }
    return total
}
