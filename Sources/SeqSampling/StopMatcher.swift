/// Finds stop strings in streamed text: feed each decoded chunk as it is produced; it returns the text
/// that is safe to print now and holds back any tail that could be the start of a stop string, so a stop
/// string split across chunks is still caught and never printed. Matching is exact on UTF-8 bytes
/// (Unicode scalars), not on canonical equivalence.
///
/// ```swift
/// var matcher = try StopMatcher(stops: ["\n\n"])
/// matcher.feed("Hello\n")          // (text: "Hello", stopped: false) — "\n" is held back
/// matcher.feed("\nBye")            // (text: "", stopped: true) — cut before the stop string
/// ```
public struct StopMatcher: Sendable {
    /// The stop strings as UTF-8.
    let stops: [[UInt8]]
    /// Text received but not yet released (always shorter than the longest stop string).
    var pending: [UInt8] = []
    /// Whether a stop string was found; later chunks are ignored.
    public private(set) var stopped = false

    /// A matcher for `stops` (none = it passes everything through); an empty stop string is an error.
    public init(stops: [String]) throws {
        guard !stops.contains(where: \.isEmpty) else { throw SamplingError.emptyStopString }
        self.stops = stops.map { Array($0.utf8) }
    }

    /// Takes the next chunk; returns what can be printed now and whether generation should stop (a stop
    /// string ended at or before this chunk; the returned text ends just before it).
    public mutating func feed(_ chunk: String) -> (text: String, stopped: Bool) {
        if stopped { return ("", true) }
        pending += chunk.utf8
        if let cut = earliestMatch() {
            stopped = true
            let text = String(decoding: pending[..<cut], as: UTF8.self)
            pending = []
            return (text, true)
        }
        let hold = longestPartialMatch()
        let release = pending.count - hold
        let text = String(decoding: pending[..<release], as: UTF8.self)
        pending.removeFirst(release)
        return (text, false)
    }

    /// At the end of generation: the text still held back (a tail that turned out not to be a stop string).
    public mutating func finish() -> String {
        let text = stopped ? "" : String(decoding: pending, as: UTF8.self)
        pending = []
        return text
    }

    /// The first byte offset in `pending` where a whole stop string starts.
    private func earliestMatch() -> Int? {
        var best: Int? = nil
        for stop in stops where stop.count <= pending.count {
            var i = 0
            while i + stop.count <= pending.count, i < (best ?? Int.max) {
                if pending[i..<(i + stop.count)].elementsEqual(stop) {
                    best = i
                    break
                }
                i += 1
            }
        }
        return best
    }

    /// The longest tail of `pending` that is a proper prefix of some stop string.
    private func longestPartialMatch() -> Int {
        var longest = 0
        for stop in stops {
            var k = min(stop.count - 1, pending.count)
            while k > longest {
                if pending[(pending.count - k)...].elementsEqual(stop[..<k]) {
                    longest = k
                    break
                }
                k -= 1
            }
        }
        return longest
    }
}
