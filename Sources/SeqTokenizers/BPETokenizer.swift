import Foundation

/// Byte-level BPE: GPT-2 pre-tokenization, then merges applied lowest rank first (leftmost on ties) to the bytes
/// of each pre-token, with the result of every distinct pre-token cached.
///
/// ```swift
/// let bpe = try loadTokenizer(from: url)          // a tokenizer.json from SeqKit or the tokenizers library
/// try bpe.encode("Hello world")                    // e.g. [15496, 995]
/// ```
final class BPETokenizer: Tokenizer, PipelineTokenizer, @unchecked Sendable {
    /// Bytes of each id (`nil` for an id the file leaves out).
    let pieces: [[UInt8]?]
    /// Merges in rank order, as ids.
    let merges: [(Int32, Int32)]
    let specialTokens: [String: Int]
    /// Added tokens that are not special (matched whole like special tokens).
    let addedTokens: [String: Int]
    let normalization: [Normalization]
    let addPrefixSpace: Bool
    let useRegex: Bool
    let ignoreMerges: Bool
    let unknownID: Int32

    let byteIDs: [Int32]
    let pairs: PairTable
    let wholeTokens: SliceTable
    let wholeTokenIDs: [Int32]
    let pipeline: TextPipeline
    /// Every piece back to back, for decoding.
    let arena: PieceArena

    private let lock = NSLock()
    private var state = EncoderState()

    var vocabularySize: Int { pieces.count }

    /// Builds the tables; `merges` must produce ids whose pieces are the concatenations (checked by loaders).
    init(
        pieces: [[UInt8]?], merges: [(Int32, Int32)], specialTokens: [String: Int], addedTokens: [String: Int] = [:],
        normalization: [Normalization], invalidUTF8: TokenizerOptions.InvalidUTF8Policy = .error,
        addPrefixSpace: Bool = false, useRegex: Bool = true, ignoreMerges: Bool = false, unknownID: Int32 = -1
    ) {
        self.pieces = pieces
        self.merges = merges
        self.specialTokens = specialTokens
        self.addedTokens = addedTokens
        self.normalization = normalization
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
        self.ignoreMerges = ignoreMerges
        self.unknownID = unknownID
        let whole = specialTokens.merging(addedTokens) { a, _ in a }
        let wholeIDs = Set(whole.values)
        var bytes = [Int32](repeating: -1, count: 256)
        var table = SliceTable(capacity: pieces.count)
        var tableIDs = [Int32]()
        for (id, piece) in pieces.enumerated() {
            guard let piece, !wholeIDs.contains(id) else { continue }
            if piece.count == 1 && bytes[Int(piece[0])] < 0 { bytes[Int(piece[0])] = Int32(id) }
            let (k, inserted) = table.index(of: piece)
            if inserted { tableIDs.append(Int32(id)) } else { _ = k }
        }
        byteIDs = bytes
        wholeTokens = table
        wholeTokenIDs = tableIDs
        var pairTable = PairTable(capacity: merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let pa = pieces[Int(a)], let pb = pieces[Int(b)] else { continue }
            let k = table.lookup(pa + pb)
            if k >= 0 { pairTable.insert(a, b, rank: Int32(rank), merged: tableIDs[k]) }
        }
        pairs = pairTable
        pipeline = TextPipeline(normalization: normalization, specials: whole, invalidUTF8: invalidUTF8)
        arena = PieceArena(pieces)
    }

    func encode(_ text: String) throws -> [Int] {
        var spans: [TokenSpan]?
        return try encode(Array(text.utf8), spans: &spans)
    }

    func encode(bytes: [UInt8]) throws -> [Int] {
        var spans: [TokenSpan]?
        return try encode(bytes, spans: &spans)
    }

    func encodeWithOffsets(bytes: [UInt8]) throws -> [TokenSpan] {
        var spans: [TokenSpan]? = []
        _ = try encode(bytes, spans: &spans)
        return spans ?? []
    }

    /// Per-call scratch and the cache of pre-token results, kept between calls.
    struct EncoderState {
        var cache = SliceTable(capacity: 4096)
        var cacheStarts: [Int] = [0]
        var cacheIDs: [Int32] = []
        var symbols: [Int32] = []
        var ranks: [Int32] = []
        var targets: [Int32] = []
        var prefixed: [UInt8] = []
        var next: [Int32] = []
        var previous: [Int32] = []
        var heap: [UInt64] = []

        mutating func reset() { self = EncoderState() }
    }

    /// Pre-tokens longer than this are encoded but not cached.
    static let longestCached = 256
    /// The cache is emptied when it holds this many pre-tokens.
    static let cacheLimit = 1 << 20

    private func encode(_ input: [UInt8], spans: inout [TokenSpan]?) throws -> [Int] {
        lock.lock()
        defer { lock.unlock() }
        var s = EncoderState()
        swap(&s, &state)
        defer { swap(&s, &state) }
        var ids = [Int]()
        ids.reserveCapacity(input.count / 3 + 8)
        let wantSpans = spans != nil
        var out = spans ?? []
        try pipeline.run(input, offsets: wantSpans) { segment in
            if segment.specialID >= 0 {
                ids.append(segment.specialID)
                if wantSpans {
                    let r = segment.originalRange(0..<segment.text.count)
                    out.append(TokenSpan(id: segment.specialID, start: r.lowerBound, end: r.upperBound))
                }
                return
            }
            if addPrefixSpace && segment.text.first != 0x20 {
                s.prefixed.removeAll(keepingCapacity: true)
                s.prefixed.append(0x20)
                s.prefixed.append(contentsOf: segment.text)
                let prefixed = s.prefixed
                try prefixed.withUnsafeBufferPointer { q in
                    try encodeText(q, shift: 1, segment: segment, state: &s, ids: &ids, spans: wantSpans, out: &out)
                }
            } else {
                try encodeText(
                    segment.text, shift: 0, segment: segment, state: &s, ids: &ids, spans: wantSpans, out: &out)
            }
        }
        if wantSpans { spans = out }
        return ids
    }

    /// Encodes normalized text: pre-tokenize, then each pre-token through the cache or the merges.
    @inline(__always)
    private func encodeText(
        _ text: UnsafeBufferPointer<UInt8>, shift: Int, segment: TextPipeline.Segment, state s: inout EncoderState,
        ids: inout [Int], spans wantSpans: Bool, out: inout [TokenSpan]
    ) throws {
        var pre = PreTokenizer(text)
        if !useRegex {
            try encodePiece(text, 0..<text.count, shift: shift, segment: segment, &s, &ids, wantSpans, &out)
            return
        }
        while let r = pre.next() {
            try encodePiece(text, r, shift: shift, segment: segment, &s, &ids, wantSpans, &out)
        }
    }

    @inline(__always)
    private func encodePiece(
        _ text: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, shift: Int, segment: TextPipeline.Segment,
        _ s: inout EncoderState, _ ids: inout [Int], _ wantSpans: Bool, _ out: inout [TokenSpan]
    ) throws {
        let base = text.baseAddress! + r.lowerBound
        let length = r.count
        let firstID = ids.count
        if length == 1 && !wantSpans {  // one byte never merges: no hashing
            let id = byteIDs[Int(base[0])]
            if id >= 0 {
                ids.append(Int(id))
                return
            }
        }
        if wantSpans || length > Self.longestCached {
            try mergePiece(text, r, shift: shift, segment: segment, &s, &ids, wantSpans, &out)
            return
        }
        let h = SliceTable.hash(base, length)
        let k = s.cache.find(base, length, hash: h)
        if k >= 0 {
            for j in s.cacheStarts[k]..<s.cacheStarts[k + 1] { ids.append(Int(s.cacheIDs[j])) }
            return
        }
        try mergePiece(text, r, shift: shift, segment: segment, &s, &ids, false, &out)
        if s.cache.count >= Self.cacheLimit {
            s.cache = SliceTable(capacity: 4096)
            s.cacheStarts = [0]
            s.cacheIDs = []
        }
        s.cache.insert(base, length, hash: h)
        for j in firstID..<ids.count { s.cacheIDs.append(Int32(ids[j])) }
        s.cacheStarts.append(s.cacheIDs.count)
    }

    /// Applies the merges to one pre-token and appends its ids (and spans).
    private func mergePiece(
        _ text: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, shift: Int, segment: TextPipeline.Segment,
        _ s: inout EncoderState, _ ids: inout [Int], _ wantSpans: Bool, _ out: inout [TokenSpan]
    ) throws {
        if r.count > Self.longestMergedPiece {
            // A pre-token this long (a line of letters with no space, a base64 blob) would need ~30 bytes of merge
            // state per byte; merging it in windows bounds memory, and the ids differ from whole-piece merging only
            // at the cuts.
            var start = r.lowerBound
            while start < r.upperBound {
                var end = min(r.upperBound, start + Self.longestMergedPiece)
                while end < r.upperBound && end > start + 1 && text[end] & 0xC0 == 0x80 { end -= 1 }
                try mergePiece(text, start..<end, shift: shift, segment: segment, &s, &ids, wantSpans, &out)
                start = end
            }
            return
        }
        let base = text.baseAddress! + r.lowerBound
        let length = r.count
        if ignoreMerges {
            let k = wholeTokens.find(base, length, hash: SliceTable.hash(base, length))
            if k >= 0 {
                ids.append(Int(wholeTokenIDs[k]))
                if wantSpans { appendSpan(Int(wholeTokenIDs[k]), r, shift: shift, segment: segment, &out) }
                return
            }
        }
        s.symbols.removeAll(keepingCapacity: true)
        for j in 0..<length {
            let id = byteIDs[Int(base[j])]
            if id < 0 {
                if unknownID < 0 {
                    let at = segment.originalRange(max(0, r.lowerBound + j - shift)..<max(0, r.lowerBound + j - shift))
                    throw TokenizerError.unencodable(offset: at.lowerBound)
                }
                s.symbols.append(unknownID)
            } else {
                s.symbols.append(id)
            }
        }
        applyMerges(&s)
        if !wantSpans {
            for id in s.symbols { ids.append(Int(id)) }
            return
        }
        var position = r.lowerBound
        for id in s.symbols {
            ids.append(Int(id))
            let count = id == unknownID ? 1 : (pieces[Int(id)]?.count ?? 1)
            appendSpan(Int(id), position..<(position + count), shift: shift, segment: segment, &out)
            position += count
        }
    }

    private func appendSpan(
        _ id: Int, _ r: Range<Int>, shift: Int, segment: TextPipeline.Segment, _ out: inout [TokenSpan]
    ) {
        let a = max(0, r.lowerBound - shift)
        let b = max(0, r.upperBound - shift)
        let o = segment.originalRange(a..<b)
        out.append(TokenSpan(id: id, start: o.lowerBound, end: o.upperBound))
    }

    /// Pre-tokens longer than this many bytes are merged in windows of this size, cut at a scalar boundary.
    static let longestMergedPiece = 1 << 16

    /// Pre-tokens with more symbols than this merge through a heap instead of rescanning every pair.
    static let longPiece = 48

    /// Merges `s.symbols` in place: repeatedly the adjacent pair of lowest rank, leftmost first.
    @inline(__always)
    private func applyMerges(_ s: inout EncoderState) {
        let n = s.symbols.count
        guard n > 1 else { return }
        if n > Self.longPiece {
            applyMergesWithHeap(&s)
            return
        }
        s.ranks.removeAll(keepingCapacity: true)
        s.targets.removeAll(keepingCapacity: true)
        for i in 0..<(n - 1) {
            if let f = pairs.find(s.symbols[i], s.symbols[i + 1]) {
                s.ranks.append(f.rank)
                s.targets.append(f.merged)
            } else {
                s.ranks.append(.max)
                s.targets.append(-1)
            }
        }
        while true {
            var best = Int32.max
            var at = -1
            for i in 0..<s.ranks.count where s.ranks[i] < best {
                best = s.ranks[i]
                at = i
            }
            if at < 0 { break }
            s.symbols[at] = s.targets[at]
            s.symbols.remove(at: at + 1)
            s.ranks.remove(at: at)
            s.targets.remove(at: at)
            if at > 0 { rerank(&s, at - 1) }
            if at < s.ranks.count { rerank(&s, at) }
        }
    }

    /// The same merges in O(n log n) for long pre-tokens: a linked list of symbols and a min-heap of
    /// `rank << 32 | position`, so ties go to the leftmost pair; stale entries are skipped when popped.
    private func applyMergesWithHeap(_ s: inout EncoderState) {
        let n = s.symbols.count
        s.next.removeAll(keepingCapacity: true)
        s.previous.removeAll(keepingCapacity: true)
        s.heap.removeAll(keepingCapacity: true)
        for i in 0..<n {
            s.next.append(i + 1 < n ? Int32(i + 1) : -1)
            s.previous.append(Int32(i - 1))
        }
        for i in 0..<(n - 1) {
            if let f = pairs.find(s.symbols[i], s.symbols[i + 1]) {
                heapPush(&s.heap, UInt64(UInt32(bitPattern: f.rank)) << 32 | UInt64(i))
            }
        }
        while let top = heapPop(&s.heap) {
            let rank = Int32(truncatingIfNeeded: top >> 32)
            let i = Int(truncatingIfNeeded: top & 0xFFFF_FFFF)
            let j = Int(s.next[i])
            guard s.symbols[i] >= 0, j >= 0, let f = pairs.find(s.symbols[i], s.symbols[j]), f.rank == rank else {
                continue
            }
            s.symbols[i] = f.merged
            s.symbols[j] = -1
            let k = Int(s.next[j])
            s.next[i] = Int32(k)
            if k >= 0 { s.previous[k] = Int32(i) }
            let p = Int(s.previous[i])
            if p >= 0, let g = pairs.find(s.symbols[p], s.symbols[i]) {
                heapPush(&s.heap, UInt64(UInt32(bitPattern: g.rank)) << 32 | UInt64(p))
            }
            if k >= 0, let g = pairs.find(s.symbols[i], s.symbols[k]) {
                heapPush(&s.heap, UInt64(UInt32(bitPattern: g.rank)) << 32 | UInt64(i))
            }
        }
        var out = 0
        for i in 0..<n where s.symbols[i] >= 0 {
            s.symbols[out] = s.symbols[i]
            out += 1
        }
        s.symbols.removeLast(n - out)
    }

    private func heapPush(_ heap: inout [UInt64], _ value: UInt64) {
        heap.append(value)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if heap[parent] <= value { break }
            heap[i] = heap[parent]
            i = parent
        }
        heap[i] = value
    }

    private func heapPop(_ heap: inout [UInt64]) -> UInt64? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        var i = 0
        let n = heap.count
        while true {
            let l = 2 * i + 1
            if l >= n { break }
            let r = l + 1
            let c = r < n && heap[r] < heap[l] ? r : l
            if heap[c] >= last { break }
            heap[i] = heap[c]
            i = c
        }
        heap[i] = last
        return top
    }

    @inline(__always)
    private func rerank(_ s: inout EncoderState, _ i: Int) {
        if let f = pairs.find(s.symbols[i], s.symbols[i + 1]) {
            s.ranks[i] = f.rank
            s.targets[i] = f.merged
        } else {
            s.ranks[i] = .max
            s.targets[i] = -1
        }
    }

    func decodeBytes(_ ids: [Int]) throws -> [UInt8] { try arena.concatenate(ids) }

    func decode(_ ids: [Int]) throws -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }

    func piece(for id: Int) throws -> String {
        guard id >= 0 && id < pieces.count, let piece = pieces[id] else { throw TokenizerError.unknownID(id) }
        if specialTokens.values.contains(id) || addedTokens.values.contains(id) {
            return String(decoding: piece, as: UTF8.self)
        }
        return ByteLevel.encode(piece)
    }

    func makeStreamingDecoder() -> StreamingDecoder {
        StreamingDecoder(pieces: pieces)
    }
}
