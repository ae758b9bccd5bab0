import Foundation

/// A Hugging Face `BPE` model over scalars, as sentencepiece-style files (Llama 2, Mistral) and word-level BPE files
/// use it: each scalar of a piece starts as its own token (with `continuing_subword_prefix` after the first and
/// `end_of_word_suffix` on the last); a scalar the vocabulary lacks becomes `<0xE2>`-style byte tokens with
/// `byte_fallback`, else `unk_token` (runs fused into one with `fuse_unk`); then the merge of lowest rank, leftmost
/// first, applies until none does. With `ignore_merges` a piece that is itself in the vocabulary is one token.
/// `dropout` must be null: SeqKit encodes deterministically.
struct PieceBPEModel: PieceModel {
    let pieces: [String?]
    let table: ByteKeyed<Int>
    let merges: [Pair: (rank: Int, id: Int)]
    let unknown: Int?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let prefix: String?
    let suffix: String?

    struct Pair: Hashable {
        var a: Int
        var b: Int
    }

    var count: Int { pieces.count }

    init(json model: [String: Any]) throws {
        if let dropout = model["dropout"], !(dropout is NSNull), (dropout as? NSNumber)?.doubleValue != 0 {
            throw TokenizerError.malformedFile(
                field: "model.dropout", reason: "is set; dropout makes encoding random, set it to null")
        }
        let (pieces, table) = try WordPieceModel.vocabulary(model)
        self.pieces = pieces
        self.table = table
        func string(_ field: String) throws -> String? {
            guard let value = model[field], !(value is NSNull) else { return nil }
            guard let s = value as? String else {
                throw TokenizerError.malformedFile(field: "model.\(field)", reason: "is not a string or null")
            }
            return s
        }
        prefix = try string("continuing_subword_prefix")
        suffix = try string("end_of_word_suffix")
        if let unk = try string("unk_token") {
            guard let id = table[unk] else {
                throw TokenizerError.malformedFile(field: "model.unk_token", reason: "'\(unk)' is not in model.vocab")
            }
            unknown = id
        } else {
            unknown = nil
        }
        fuseUnknown = model["fuse_unk"] as? Bool ?? false
        byteFallback = model["byte_fallback"] as? Bool ?? false
        ignoreMerges = model["ignore_merges"] as? Bool ?? false
        guard let list = model["merges"] as? [Any] else {
            throw TokenizerError.malformedFile(field: "model.merges", reason: "is missing or not a list")
        }
        let prefixLength = prefix?.utf8.count ?? 0
        var merges: [Pair: (rank: Int, id: Int)] = [:]
        for (rank, item) in list.enumerated() {
            let parts: [String]
            if let s = item as? String {
                parts = s.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let pair = item as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String
            {
                parts = [a, b]
            } else {
                throw TokenizerError.malformedFile(
                    field: "model.merges[\(rank)]", reason: "is neither \"a b\" nor [\"a\", \"b\"]")
            }
            guard parts.count == 2, let a = table[parts[0]], let b = table[parts[1]] else {
                throw TokenizerError.malformedFile(
                    field: "model.merges[\(rank)]", reason: "names a token that is not in model.vocab")
            }
            // The merged piece drops the second part's continuing-subword prefix.
            let tail = Array(parts[1].utf8).dropFirst(min(prefixLength, parts[1].utf8.count))
            guard let merged = String(validating: Array(parts[0].utf8) + tail, as: UTF8.self), let id = table[merged]
            else {
                throw TokenizerError.malformedFile(
                    field: "model.merges[\(rank)]", reason: "merges into a token that is not in model.vocab")
            }
            merges[Pair(a: a, b: b)] = (rank, id)
        }
        self.merges = merges
    }

    func id(of piece: String) -> Int? { table[piece] }
    func piece(of id: Int) -> String? { pieces[safe: id] ?? nil }

    func tokenize(_ text: String) throws -> [(id: Int, start: Int, end: Int)] {
        if text.isEmpty { return [] }
        if ignoreMerges, let id = table[text] { return [(id, 0, text.utf8.count)] }
        // Symbols: (id, byte start, byte end) in `text`.
        var symbols: [(id: Int, start: Int, end: Int)] = []
        var pendingUnknown: (start: Int, end: Int)?
        let scalars = Array(text.unicodeScalars)
        var offset = 0
        for (i, scalar) in scalars.enumerated() {
            let width = UTF8.width(scalar)
            defer { offset += width }
            var s = String(scalar)
            if i > 0, let prefix { s = prefix + s }
            if i == scalars.count - 1, let suffix { s += suffix }
            if let id = table[s] {
                if let u = pendingUnknown, let unknown { symbols.append((unknown, u.start, u.end)) }
                pendingUnknown = nil
                symbols.append((id, offset, offset + width))
                continue
            }
            if byteFallback {
                let ids = s.utf8.compactMap { table[byteToken($0)] }
                if ids.count == s.utf8.count {
                    // Byte k of the scalar (the pipeline widens it to the whole character, or keeps it exact).
                    for (k, id) in ids.enumerated() {
                        let at = offset + min(k, width - 1)
                        symbols.append((id, at, at + 1))
                    }
                    continue
                }
            }
            guard let unknown else { throw TokenizerError.unencodable(offset: offset) }
            if let u = pendingUnknown {
                if fuseUnknown {
                    pendingUnknown = (u.start, offset + width)
                    continue
                }
                symbols.append((unknown, u.start, u.end))
            }
            pendingUnknown = (offset, offset + width)
        }
        if let u = pendingUnknown, let unknown { symbols.append((unknown, u.start, u.end)) }
        return merged(symbols)
    }

    /// Applies the merge of lowest rank, leftmost first, until none applies: a heap of candidate pairs over a linked
    /// list of symbols, O(n log n), as the library does (a Llama-2 style file has no pre-tokenizer, so a whole line
    /// is one piece).
    private func merged(_ start: [(id: Int, start: Int, end: Int)]) -> [(id: Int, start: Int, end: Int)] {
        var symbols = start
        let n = symbols.count
        if n < 2 { return symbols }
        var next = Array(1...n)  // n: none
        var previous = Array(-1..<(n - 1))
        var alive = [Bool](repeating: true, count: n)
        var heap = MergeHeap()
        for i in 0..<(n - 1) {
            if let m = merges[Pair(a: symbols[i].id, b: symbols[i + 1].id)] { heap.push((m.rank, i, m.id)) }
        }
        while let (_, i, id) = heap.pop() {
            guard alive[i], next[i] < n else { continue }
            let j = next[i]
            // A stale entry: the pair at i changed since it was pushed.
            guard let m = merges[Pair(a: symbols[i].id, b: symbols[j].id)], m.id == id else { continue }
            symbols[i] = (id, symbols[i].start, symbols[j].end)
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if previous[i] >= 0, let m = merges[Pair(a: symbols[previous[i]].id, b: id)] {
                heap.push((m.rank, previous[i], m.id))
            }
            if next[i] < n, let m = merges[Pair(a: id, b: symbols[next[i]].id)] { heap.push((m.rank, i, m.id)) }
        }
        return (0..<n).filter { alive[$0] }.map { symbols[$0] }
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position): the lowest rank first, the leftmost of equals.
struct MergeHeap {
    private var items: [(rank: Int, position: Int, id: Int)] = []

    private static func less(_ a: (rank: Int, position: Int, id: Int), _ b: (rank: Int, position: Int, id: Int)) -> Bool
    {
        a.rank != b.rank ? a.rank < b.rank : a.position < b.position
    }

    mutating func push(_ item: (rank: Int, position: Int, id: Int)) {
        items.append(item)
        var k = items.count - 1
        while k > 0 {
            let parent = (k - 1) / 2
            guard Self.less(items[k], items[parent]) else { break }
            items.swapAt(k, parent)
            k = parent
        }
    }

    mutating func pop() -> (rank: Int, position: Int, id: Int)? {
        guard let top = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var k = 0
            while true {
                let (l, r) = (2 * k + 1, 2 * k + 2)
                var m = k
                if l < items.count && Self.less(items[l], items[m]) { m = l }
                if r < items.count && Self.less(items[r], items[m]) { m = r }
                if m == k { break }
                items.swapAt(k, m)
                k = m
            }
        }
        return top
    }
}
