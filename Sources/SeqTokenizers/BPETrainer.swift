import Foundation
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

        let t0 = DispatchTime.now().uptimeNanoseconds
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

        let t1 = DispatchTime.now().uptimeNanoseconds
        // 2. Words as symbol sequences, pair counts and where each pair occurs.
        var symbols = [[Int32]]()
        symbols.reserveCapacity(words.count)
        for k in 0..<words.count { symbols.append(words.key(k).map { Int32($0) }) }
        var pairCounts = [UInt64: Int]()
        var occurrences = [UInt64: [Int32]]()
        for (w, word) in symbols.enumerated() where word.count > 1 {
            for i in 0..<(word.count - 1) {
                let key = PairTable.key(word[i], word[i + 1])
                pairCounts[key, default: 0] += counts[w]
                occurrences[key, default: []].append(Int32(w))
            }
        }
        var heap = [Entry]()
        heap.reserveCapacity(pairCounts.count)
        for (pair, count) in pairCounts { push(&heap, Entry(count: count, pair: pair)) }

        let t2 = DispatchTime.now().uptimeNanoseconds
        // 3. Merges.
        var pieces: [[UInt8]] = (0..<256).map { [UInt8($0)] }
        var pieceIndex = SliceTable(capacity: options.vocabularySize)
        for piece in pieces { pieceIndex.index(of: piece) }
        var merges = [(Int32, Int32)]()
        let targetPieces = options.vocabularySize - options.specialTokens.count
        var stamp = [Int](repeating: -1, count: symbols.count)
        var delta = [UInt64: Int]()
        while pieces.count < targetPieces, let top = pop(&heap) {
            let current = pairCounts[top.pair] ?? 0
            if current != top.count {
                if current > 0 && current < top.count { push(&heap, Entry(count: current, pair: top.pair)) }
                continue
            }
            if current < options.minPairFrequency { break }
            let a = Int32(truncatingIfNeeded: top.pair >> 32)
            let b = Int32(truncatingIfNeeded: top.pair & 0xFFFF_FFFF)
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
            delta.removeAll(keepingCapacity: true)
            let step = merges.count
            for w32 in occurrences[top.pair] ?? [] {
                let w = Int(w32)
                if stamp[w] == step { continue }
                stamp[w] = step
                let old = symbols[w]
                guard old.count > 1 else { continue }
                var new = [Int32]()
                new.reserveCapacity(old.count)
                var i = 0
                var changed = false
                while i < old.count {
                    if i + 1 < old.count && old[i] == a && old[i + 1] == b {
                        new.append(z)
                        i += 2
                        changed = true
                    } else {
                        new.append(old[i])
                        i += 1
                    }
                }
                guard changed else { continue }
                let c = counts[w]
                for i in 0..<(old.count - 1) { delta[PairTable.key(old[i], old[i + 1]), default: 0] -= c }
                if new.count > 1 {
                    for i in 0..<(new.count - 1) {
                        let key = PairTable.key(new[i], new[i + 1])
                        delta[key, default: 0] += c
                        if new[i] == z || new[i + 1] == z { occurrences[key, default: []].append(Int32(w)) }
                    }
                }
                symbols[w] = new
            }
            occurrences[top.pair] = nil
            for (key, d) in delta where d != 0 {
                let updated = (pairCounts[key] ?? 0) + d
                if updated <= 0 {
                    pairCounts[key] = nil
                } else {
                    pairCounts[key] = updated
                    if d > 0 { push(&heap, Entry(count: updated, pair: key)) }
                }
            }
        }

        let t3 = DispatchTime.now().uptimeNanoseconds
        print("TIMING", Double(t1-t0)/1e9, Double(t2-t1)/1e9, Double(t3-t2)/1e9, words.count)
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
