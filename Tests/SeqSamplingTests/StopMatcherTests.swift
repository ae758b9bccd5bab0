import SeqSampling
import Testing

/// Feeds `chunks` and returns everything printed (plus the flush at the end) and whether it stopped.
func run(_ stops: [String], _ chunks: [String]) throws -> (text: String, stopped: Bool, fed: Int) {
    var matcher = try StopMatcher(stops: stops)
    var text = ""
    var fed = 0
    for chunk in chunks {
        fed += 1
        let (out, stopped) = matcher.feed(chunk)
        text += out
        if stopped { return (text, true, fed) }
    }
    return (text + matcher.finish(), false, fed)
}

/// Every way of cutting `text` into chunks at character boundaries with cut points every `step` characters.
func chunks(_ text: String, every step: Int) -> [String] {
    var out: [String] = []
    var rest = Substring(text)
    while !rest.isEmpty {
        out.append(String(rest.prefix(step)))
        rest = rest.dropFirst(step)
    }
    return out
}

let texts = ["plain ascii text", "naïve café — ünïcödé", "日本語のテキスト", "emoji 👩‍👩‍👧 and 🇫🇷 flags", "e\u{301}tude"]

@Test(arguments: texts)
func withoutStopsTheStreamConcatenatesToTheText(text: String) throws {
    for step in 1...4 {
        let result = try run([], chunks(text, every: step))
        #expect(result.text == text)
        #expect(!result.stopped)
        // A stop string that never appears holds back tails but releases them all in the end.
        #expect(try run(["zzz", "テキストX"], chunks(text, every: step)).text == text)
    }
}

@Test func stopStringsCutAtTheFirstOccurrenceEvenAcrossChunks() throws {
    #expect(try run(["\n\n"], ["Hello\n", "\nBye"]) == ("Hello", true, 2))
    #expect(try run(["END"], ["abc E", "N", "D more"]) == ("abc ", true, 3))
    #expect(try run(["END"], ["abc EN", "X END"]) == ("abc ENX ", true, 2))
    // Two stop strings: the earlier occurrence wins.
    #expect(try run(["bb", "ab"], ["xxabb"]) == ("xx", true, 1))
    // Multi-byte stop strings split over chunks.
    #expect(try run(["。\n"], ["日本語", "。", "\n続き"]) == ("日本語", true, 3))
    #expect(try run(["🇫🇷"], ["vive la ", "🇫🇷!"]) == ("vive la ", true, 2))
    // Held-back text is printed as soon as it cannot start the stop string.
    var matcher = try StopMatcher(stops: ["\n\n"])
    #expect(matcher.feed("a\n") == ("a", false))
    #expect(matcher.feed("b") == ("\nb", false))
    #expect(matcher.feed("\n\nc") == ("", true))
    #expect(matcher.feed("more") == ("", true))
    #expect(matcher.finish() == "")
}

@Test(arguments: texts)
func aStopStringFoundAtEveryChunkingCutsAtTheSamePlace(text: String) throws {
    let stop = "STOP"
    let whole = text + stop + "after"
    for step in 1...5 {
        let result = try run([stop], chunks(whole, every: step))
        #expect(result.text == text)
        #expect(result.stopped)
    }
}

@Test func anEmptyStopStringIsAnError() {
    #expect(throws: SamplingError.emptyStopString) { try StopMatcher(stops: ["ok", ""]) }
}
