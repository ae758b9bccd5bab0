/// Trains byte-level BPE: counts distinct pre-tokens once, then repeatedly merges the most frequent adjacent pair,
/// updating pair counts incrementally (only in the words that contain the merged pair) and picking the next pair
/// from a max-heap with lazy invalidation.
///
/// Ids: bytes 0–255 are ids 0–255, each merge adds the next id, special tokens take the last ids.
struct BPETrainer {
    let options: TokenizerOptions

    /// A heap entry: a pair and the count it had when pushed.
    struct Entry {
        var count: Int
        var pair: UInt64
        /// Higher count first; on equal counts the smaller pair key, so training is deterministic.
        @inline(__always)
        func before(_ other: Entry) -> Bool {
            count != other.count ? count > other.count : pair < other.pair
        }
    }

    func train(corpus: [UInt8]) throws -> BPETokenizer {
        let specialIDsPlaceholder = Dictionary(
            uniqueKeysWithValues: options.specialTokens.enumerated().map { ($0.element, $0.offset) })
        let pipeline = TextPipeline(
            normalization: options.normalization, specials: specialIDsPlaceholder, invalidUTF8: options.invalidUTF8)

        // 1. Distinct pre-tokens and their counts.
        var words = SliceTable(capacity: 1 << 15)
        var counts = [Int]()
        try pipeline.run(corpus, offsets: false) { segment in
            guard segment.specialID < 0 else { return }
            var pre = PreTokenizer(segment.text)
            let base = segment.text.baseAddress!
            while let r = pre.next() {
                let p = base + r.lowerBound
                let h = SliceTable.hash(p, r.count)
                let k = words.find(p, r.count, hash: h)
                if k >= 0 {
                    counts[k] += 1
                } else {
                    words.insert(p, r.count, hash: h)
                    counts.append(1)
                }
            }
        }
        if words.count == 0 { throw TokenizerError.emptyCorpus }

        // 2. Words as symbol sequences; every distinct pair gets a dense index with its count and words.
        var symbols = [[Int32]]()
        symbols.reserveCapacity(words.count)
        for k in 0..<words.count { symbols.append(words.key(k).map { Int32($0) }) }
        var pairs = PairCounts(capacity: 1 << 16)
        for (w, word) in symbols.enumerated() where word.count > 1 {
            for i in 0..<(word.count - 1) { pairs.add(word[i], word[i + 1], counts[w], word: Int32(w)) }
        }
        var heap = [Entry]()
        heap.reserveCapacity(pairs.keys.count)
        for p in 0..<pairs.keys.count { push(&heap, Entry(count: pairs.counts[p], pair: pairs.keys[p])) }

        // 3. Merges.
        var pieces: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var pieceIndex = SliceTable(capacity: options.vocabularySize)
        for piece in pieces { pieceIndex.index(of: piece) }
        var merges = [(Int32, Int32)]()
        let targetPieces = options.vocabularySize - options.specialTokens.count
        var stamp = [Int](repeating: -1, count: symbols.count)
        var touched = [Int32]()
        var touchedStamp = [Int]()
        var scratch = [Int32]()
        while pieces.count < targetPieces, let top = pop(&heap) {
            let a = Int32(truncatingIfNeeded: top.pair >> 32)
            let b = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
            let p = pairs.index(a, b)
            let current = p >= 0 ? pairs.counts[p] : 0
            if current != top.count {
                if current > 0 && current < top.count { push(&heap, Entry(count: current, pair: top.pair)) }
                continue
            }
            if current < options.minPairFrequency { break }
            let merged = pieces[Int(a)] + pieces[Int(b)]
            let (existing, inserted) = pieceIndex.index(of: merged)
            let z: Int32
            if inserted {
                z = Int32(pieces.count)
                pieces.append(merged)
            } else {
                z = Int32(existing)
            }
            merges.append((a, b))
            let step = merges.count
            touched.removeAll(keepingCapacity: true)
            var occurrences = [Int32]()
            swap(&occurrences, &pairs.words[p])
            for w32 in occurrences {
                let w = Int(w32)
                if stamp[w] == step { continue }
                stamp[w] = step
                let c = counts[w]
                swap(&scratch, &symbols[w])
                // Merge left to right in place; neighbours are read from the current (partly merged) sequence.
                let n = scratch.count
                var out = 0
                var i = 0
                while i < n {
                    if i + 1 < n && scratch[i] == a && scratch[i + 1] == b {
                        pairs.add(a, b, -c, word: -1)
                        if out > 0 {
                            let left = scratch[out - 1]
                            pairs.add(left, a, -c, word: -1)
                            note(pairs.add(left, z, c, word: w32), step, &touched, &touchedStamp)
                        }
                        if i + 2 < n {
                            let right = scratch[i + 2]
                            pairs.add(b, right, -c, word: -1)
                            note(pairs.add(z, right, c, word: w32), step, &touched, &touchedStamp)
                        }
                        scratch[out] = z
                        out += 1
                        i += 2
                    } else {
                        scratch[out] = scratch[i]
                        out += 1
                        i += 1
                    }
                }
                scratch.removeLast(n - out)
                swap(&scratch, &symbols[w])
            }
            for q in touched where pairs.counts[Int(q)] > 0 {
                push(&heap, Entry(count: pairs.counts[Int(q)], pair: pairs.keys[Int(q)]))
            }
        }
        // 4. Special tokens take the last ids.
        var allPieces: [[UInt8]?] = pieces
        var specials = [String: Int]()
        for token in options.specialTokens {
            specials[token] = allPieces.count
            allPieces.append(Array(token.utf8))
        }
        return BPETokenizer(
            pieces: allPieces, merges: merges, specialTokens: specials, normalization: options.normalization,
            invalidUTF8: options.invalidUTF8)
    }

    /// Remembers pair index `q` once per merge step.
    @inline(__always)
    private func note(_ q: Int32, _ step: Int, _ touched: inout [Int32], _ stamps: inout [Int]) {
        while stamps.count <= Int(q) { stamps.append(-1) }
        if stamps[Int(q)] != step {
            stamps[Int(q)] = step
            touched.append(q)
        }
    }

    private func push(_ heap: inout [Entry], _ entry: Entry) {
        heap.append(entry)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if !heap[i].before(heap[parent]) { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private func pop(_ heap: inout [Entry]) -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        heap[0] = last
        var i = 0
        let n = heap.count
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var best = i
            if l < n && heap[l].before(heap[best]) { best = l }
            if r < n && heap[r].before(heap[best]) { best = r }
            if best == i { break }
            heap.swapAt(i, best)
            i = best
        }
        return top
    }
}

/// Counts of adjacent symbol pairs with a dense index per pair and the words each pair was seen in.
struct PairCounts {
    var keys: [UInt64] = []
    var counts: [Int] = []
    var words: [[Int32]] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    /// The index of pair `a b`, or -1.
    @inline(__always)
    func index(_ a: Int32, _ b: Int32) -> Int {
        let key = PairTable.key(a, b)
        var slot = PairTable.slot(key, mask)
        while true {
            let k = Int(slots[slot])
            if k < 0 { return -1 }
            if keys[k] == key { return k }
            slot = (slot &+ 1) & mask
        }
    }

    /// Adds `delta` to the count of `a b` (creating it), recording `word` when it is not -1; returns the index.
    @discardableResult
    @inline(__always)
    mutating func add(_ a: Int32, _ b: Int32, _ delta: Int, word: Int32) -> Int32 {
        let key = PairTable.key(a, b)
        var slot = PairTable.slot(key, mask)
        while true {
            let k = Int(slots[slot])
            if k < 0 { break }
            if keys[k] == key {
                counts[k] += delta
                if word >= 0 { words[k].append(word) }
                return Int32(k)
            }
            slot = (slot &+ 1) & mask
        }
        let k = keys.count
        keys.append(key)
        counts.append(delta)
        words.append(word >= 0 ? [word] : [])
        slots[slot] = Int32(k)
        if keys.count * 2 > slots.count { grow() }
        return Int32(k)
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for (k, key) in keys.enumerated() {
            var slot = PairTable.slot(key, mask)
            while slots[slot] >= 0 { slot = (slot &+ 1) & mask }
            slots[slot] = Int32(k)
        }
    }
}
