import Foundation

/// Text on its way through a Hugging Face pipeline, each scalar carrying the byte range of the original input it
/// came from, as the tokenizers library's `NormalizedString` does: a scalar a normalizer inserts shares the range
/// of its neighbour, so a token's offsets are `(first scalar's start, last scalar's end)` in the original bytes.
///
/// `NormalizedText(bytes: Array("a b".utf8))` then `.replace(.scalar(" "), with: "▁")` is `a▁b`, with `▁` at 1..<2.
struct NormalizedText {
    /// One scalar of the normalized text and the original bytes `start..<end` it stands for.
    struct Item {
        var scalar: Unicode.Scalar
        var start: Int
        var end: Int
        /// Put in by a normalizer or pre-tokenizer (a prepended `▁`), standing for no byte of the input.
        var inserted = false
    }

    var items: [Item]

    init(items: [Item]) { self.items = items }

    /// The valid UTF-8 `bytes[range]`, each scalar aligned to its own bytes.
    init(bytes: [UInt8], range: Range<Int>) {
        var items: [Item] = []
        var i = range.lowerBound
        for scalar in String(decoding: bytes[range], as: UTF8.self).unicodeScalars {
            let length = UTF8.width(scalar)
            items.append(Item(scalar: scalar, start: i, end: i + length))
            i += length
        }
        self.items = items
    }

    /// Any bytes, each maximal invalid UTF-8 sequence as one U+FFFD covering exactly those bytes.
    init(lossy bytes: [UInt8]) {
        var items: [Item] = []
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var i = 0
        loop: while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                items.append(Item(scalar: UTF8.decode(encoded), start: i, end: i + encoded.count))
                i += encoded.count
            case .error(let length):
                items.append(Item(scalar: "\u{FFFD}", start: i, end: i + length))
                i += length
            case .emptyInput:
                break loop
            }
        }
        self.items = items
    }

    var isEmpty: Bool { items.isEmpty }

    /// The normalized text.
    var string: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: items.map(\.scalar))
        return String(view)
    }

    /// The original byte range of `items[range]` (an empty range maps to an empty range at its place).
    func original(_ range: Range<Int>) -> (start: Int, end: Int) {
        guard !range.isEmpty else {
            let at = range.lowerBound < items.count ? items[range.lowerBound].start : (items.last?.end ?? 0)
            return (at, at)
        }
        return (items[range.lowerBound].start, items[range.upperBound - 1].end)
    }

    /// Replaces every match of `pattern` with `content`; the new scalars take the range of the match's last scalar.
    mutating func replace(_ pattern: TextPattern, with content: String) {
        var out: [Item] = []
        out.reserveCapacity(items.count)
        for (range, isMatch) in pattern.matches(in: items) {
            guard isMatch else {
                out += items[range]
                continue
            }
            let anchor =
                range.upperBound > 0
                ? items[range.upperBound - 1] : Item(scalar: " ", start: items.first?.start ?? 0, end: 0)
            for s in content.unicodeScalars { out.append(Item(scalar: s, start: anchor.start, end: anchor.end)) }
        }
        items = out
    }

    /// Puts `text` before a non-empty text, with the range of the first scalar.
    mutating func prepend(_ text: String) {
        guard let first = items.first else { return }
        items.insert(
            contentsOf: text.unicodeScalars.map {
                Item(scalar: $0, start: first.start, end: first.end, inserted: true)
            },
            at: 0)
    }

    /// Puts `text` after a non-empty text, with the range of the last scalar.
    mutating func append(_ text: String) {
        guard let last = items.last else { return }
        items += text.unicodeScalars.map { Item(scalar: $0, start: last.start, end: last.end, inserted: true) }
    }

    /// Removes white space (`White_Space`) at the start and/or the end.
    mutating func strip(left: Bool, right: Bool) {
        var lower = 0
        var upper = items.count
        if left { while lower < upper && items[lower].scalar.properties.isWhitespace { lower += 1 } }
        if right { while upper > lower && items[upper - 1].scalar.properties.isWhitespace { upper -= 1 } }
        items = Array(items[lower..<upper])
    }

    /// Each scalar replaced by its full lowercase mapping (`İ` → `i̇`), every new scalar with the old one's range.
    mutating func lowercase() {
        items = items.flatMap { item in
            item.scalar.properties.lowercaseMapping.unicodeScalars.map {
                Item(scalar: $0, start: item.start, end: item.end, inserted: item.inserted)
            }
        }
    }

    /// Each scalar mapped through `transform`, keeping its range.
    mutating func map(_ transform: (Unicode.Scalar) -> [Unicode.Scalar]) {
        items = items.flatMap { item in
            transform(item.scalar).map { Item(scalar: $0, start: item.start, end: item.end, inserted: item.inserted) }
        }
    }

    /// How a delimiter found by a pattern is kept when splitting, as the tokenizers library's
    /// `SplitDelimiterBehavior`: `"a-b"` split on `-` is `a|b` (removed), `a|-|b` (isolated), `a-|b` (merged with
    /// previous), `a|-b` (merged with next); contiguous keeps a run of delimiters as one piece.
    enum SplitBehavior: String {
        case removed
        case isolated
        case mergedWithPrevious = "merged_with_previous"
        case mergedWithNext = "merged_with_next"
        case contiguous

        /// The behavior named in a `tokenizer.json` (`"Removed"`, `"MergedWithPrevious"`, or snake case).
        init?(json: String) {
            let snake = json.unicodeScalars.enumerated().map { i, s -> String in
                s.properties.isUppercase ? (i > 0 ? "_" : "") + String(s).lowercased() : String(s)
            }.joined()
            self.init(rawValue: snake)
        }
    }

    /// The pieces of the text around the matches of `pattern`; empty pieces are dropped.
    func split(_ pattern: TextPattern, behavior: SplitBehavior) -> [NormalizedText] {
        let matches = pattern.matches(in: items)
        var pieces: [(range: Range<Int>, keep: Bool)] = []
        switch behavior {
        case .isolated:
            pieces = matches.map { ($0.range, true) }
        case .removed:
            pieces = matches.map { ($0.range, !$0.isMatch) }
        case .contiguous:
            var previous = false
            for (range, isMatch) in matches {
                if isMatch == previous, let last = pieces.last {
                    pieces[pieces.count - 1].range = last.range.lowerBound..<range.upperBound
                } else {
                    pieces.append((range, true))
                }
                previous = isMatch
            }
        case .mergedWithPrevious:
            var previous = false
            for (range, isMatch) in matches {
                if isMatch && !previous, let last = pieces.last {
                    pieces[pieces.count - 1].range = last.range.lowerBound..<range.upperBound
                } else {
                    pieces.append((range, true))
                }
                previous = isMatch
            }
        case .mergedWithNext:
            var previous = false
            for (range, isMatch) in matches.reversed() {
                if isMatch && !previous, let last = pieces.last {
                    pieces[pieces.count - 1].range = range.lowerBound..<last.range.upperBound
                } else {
                    pieces.append((range, true))
                }
                previous = isMatch
            }
            pieces.reverse()
        }
        return pieces.compactMap { piece in
            piece.keep && !piece.range.isEmpty ? NormalizedText(items: Array(items[piece.range])) : nil
        }
    }
}

/// What a normalizer, pre-tokenizer or decoder looks for: one scalar, a literal string, a regular expression or a
/// class of scalars, optionally inverted (the non-matching stretches count as matches).
struct TextPattern: @unchecked Sendable {  // NSRegularExpression is safe to share; predicates are pure
    enum Kind {
        case scalar(Unicode.Scalar)
        case string([Unicode.Scalar])
        case regex(NSRegularExpression)
        case predicate((Unicode.Scalar) -> Bool)
    }

    var kind: Kind
    var inverted = false

    static func scalar(_ s: Unicode.Scalar) -> TextPattern { TextPattern(kind: .scalar(s)) }
    static func predicate(_ p: @escaping (Unicode.Scalar) -> Bool) -> TextPattern { TextPattern(kind: .predicate(p)) }

    /// A `{"String": "…"}` or `{"Regex": "…"}` pattern object of a `tokenizer.json`.
    init(json: Any?, field: String) throws {
        guard let object = json as? [String: Any], object.count == 1 else {
            throw TokenizerError.malformedFile(field: field, reason: "is not {\"String\": …} or {\"Regex\": …}")
        }
        if let string = object["String"] as? String {
            kind = .string(Array(string.unicodeScalars))
        } else if let source = object["Regex"] as? String {
            do {
                kind = .regex(try NSRegularExpression(pattern: source, options: []))
            } catch {
                throw TokenizerError.malformedFile(
                    field: "\(field).Regex", reason: "is a regular expression ICU cannot compile: \(source)")
            }
        } else {
            throw TokenizerError.malformedFile(field: field, reason: "is not {\"String\": …} or {\"Regex\": …}")
        }
    }

    init(kind: Kind, inverted: Bool = false) {
        self.kind = kind
        self.inverted = inverted
    }

    /// Stretches of `items` that cover it in order, each a match or not (an empty text is one empty non-match).
    func matches(in items: [NormalizedText.Item]) -> [(range: Range<Int>, isMatch: Bool)] {
        if items.isEmpty { return [(0..<0, false)] }
        var found: [Range<Int>] = []
        switch kind {
        case .scalar(let s):
            for (i, item) in items.enumerated() where item.scalar == s { found.append(i..<(i + 1)) }
        case .predicate(let p):
            for (i, item) in items.enumerated() where p(item.scalar) { found.append(i..<(i + 1)) }
        case .string(let needle):
            if !needle.isEmpty {
                var i = 0
                while i + needle.count <= items.count {
                    if (0..<needle.count).allSatisfy({ items[i + $0].scalar == needle[$0] }) {
                        found.append(i..<(i + needle.count))
                        i += needle.count
                    } else {
                        i += 1
                    }
                }
            }
        case .regex(let regex):
            var view = String.UnicodeScalarView()
            view.append(contentsOf: items.map(\.scalar))
            let text = String(view)
            // UTF-16 offset → scalar index, for the ranges NSRegularExpression reports.
            var index = [Int](repeating: -1, count: text.utf16.count + 1)
            var u = 0
            for (i, item) in items.enumerated() {
                index[u] = i
                u += UTF16.width(item.scalar)
            }
            index[u] = items.count
            for m in regex.matches(in: text, range: NSRange(location: 0, length: u)) {
                let a = index[m.range.location]
                let b = index[m.range.location + m.range.length]
                if a >= 0 && b >= 0 { found.append(a..<b) }
            }
        }
        var out: [(Range<Int>, Bool)] = []
        var previous = 0
        for range in found {
            if previous < range.lowerBound { out.append((previous..<range.lowerBound, false)) }
            out.append((range, true))
            previous = range.upperBound
        }
        if previous < items.count { out.append((previous..<items.count, false)) }
        return inverted ? out.map { ($0.0, !$0.1) } : out
    }
}
