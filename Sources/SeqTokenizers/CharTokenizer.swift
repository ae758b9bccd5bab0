import CUTF8Proc
import Foundation

/// One token per Unicode scalar or per extended grapheme cluster, with a vocabulary of the most frequent units
/// of a corpus; other units become `<unk>` or one `<0xNN>` token per UTF-8 byte.
///
/// ```swift
/// let options = TokenizerOptions(kind: .char, unit: .grapheme)
/// let chars = try trainTokenizer(options, corpus: Array("👨‍👩‍👧 é".utf8))
/// try chars.encode("👨‍👩‍👧").count  // 1
/// ```
final class CharTokenizer: Tokenizer, PipelineTokenizer {
    static let modelType = "SeqKitChar"

    let unit: TokenizerOptions.CharUnit
    let unknown: TokenizerOptions.UnknownPolicy
    /// Bytes of each id; byte-fallback ids hold one byte, `<unk>` holds U+FFFD.
    let pieces: [[UInt8]?]
    /// What `tokenizer.json` shows for each id.
    let names: [String]
    let specialTokens: [String: Int]
    let normalization: [Normalization]
    /// The id of byte 0 when byte fallback is on (bytes take 256 consecutive ids), else -1.
    let firstByteID: Int
    /// The id of `<unk>`, or -1.
    let unknownID: Int
    let units: SliceTable
    let unitIDs: [Int]
    let pipeline: TextPipeline
    /// The id of each ASCII byte as a unit, or -1.
    let asciiIDs: [Int32]
    let arena: PieceArena

    var vocabularySize: Int { pieces.count }

    /// The name of the byte-fallback token for byte `b`: `"<0x41>"`.
    static func byteName(_ b: Int) -> String {
        let hex = String(b, radix: 16, uppercase: true)
        return "<0x" + (b < 16 ? "0" : "") + hex + ">"
    }

    static let unknownName = "<unk>"

    init(
        unit: TokenizerOptions.CharUnit, unknown: TokenizerOptions.UnknownPolicy, names: [String],
        specialTokens: [String: Int], normalization: [Normalization], invalidUTF8: TokenizerOptions.InvalidUTF8Policy
    ) throws {
        self.unit = unit
        self.unknown = unknown
        self.names = names
        self.specialTokens = specialTokens
        self.normalization = normalization
        let specialIDs = Set(specialTokens.values)
        var pieces = [[UInt8]?]()
        var firstByte = -1
        var byteCount = 0
        var unknownID = -1
        var table = SliceTable(capacity: names.count)
        var ids = [Int]()
        for (id, name) in names.enumerated() {
            if specialIDs.contains(id) {
                pieces.append(Array(name.utf8))
                continue
            }
            if unknown == .byteFallback, let b = Self.parseByteName(name) {
                if b == 0 { firstByte = id }
                guard firstByte >= 0 && id == firstByte + b else {
                    throw TokenizerError.malformedFile(
                        field: "model.vocab[\(id)]",
                        reason: "is a byte token out of order; <0x00>…<0xFF> must be consecutive")
                }
                pieces.append([UInt8(b)])
                byteCount += 1
                continue
            }
            if name == Self.unknownName && unknown == .unk && unknownID < 0 {
                unknownID = id
                pieces.append([0xEF, 0xBF, 0xBD])
                continue
            }
            let bytes = Array(name.utf8)
            let (_, inserted) = table.index(of: bytes)
            guard inserted, !bytes.isEmpty else {
                throw TokenizerError.malformedFile(
                    field: "model.vocab[\(id)]", reason: "is empty or repeats an earlier unit")
            }
            ids.append(id)
            pieces.append(bytes)
        }
        if unknown == .byteFallback && (firstByte < 0 || byteCount != 256) {
            throw TokenizerError.malformedFile(field: "model.vocab", reason: "lacks the 256 byte tokens <0x00>…<0xFF>")
        }
        if unknown == .unk && unknownID < 0 {
            throw TokenizerError.malformedFile(field: "model.vocab", reason: "lacks the <unk> token")
        }
        self.pieces = pieces
        self.firstByteID = firstByte
        self.unknownID = unknownID
        self.units = table
        self.unitIDs = ids
        var ascii = [Int32](repeating: -1, count: 128)
        for b in 0..<128 {
            let k = table.lookup([UInt8(b)])
            if k >= 0 { ascii[b] = Int32(ids[k]) }
        }
        asciiIDs = ascii
        arena = PieceArena(pieces)
        pipeline = TextPipeline(normalization: normalization, specials: specialTokens, invalidUTF8: invalidUTF8)
    }

    static func parseByteName(_ name: String) -> Int? {
        let u = Array(name.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return Int(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    /// Counts the units of the corpus and keeps the most frequent (ties broken by bytes) that fit.
    static func train(options: TokenizerOptions, corpus: [UInt8]) throws -> CharTokenizer {
        let placeholder = Dictionary(uniqueKeysWithValues: options.specialTokens.enumerated().map { ($1, $0) })
        let pipeline = TextPipeline(
            normalization: options.normalization, specials: placeholder, invalidUTF8: options.invalidUTF8)
        var table = SliceTable(capacity: 4096)
        var counts = [Int]()
        var sawText = false
        try pipeline.run(corpus, offsets: false) { segment in
            guard segment.specialID < 0 else { return }
            sawText = true
            forEachUnit(segment.text, unit: options.unit) { r in
                let p = segment.text.baseAddress! + r.lowerBound
                let h = SliceTable.hash(p, r.count)
                let k = table.find(p, r.count, hash: h)
                if k >= 0 {
                    counts[k] += 1
                } else {
                    table.insert(p, r.count, hash: h)
                    counts.append(1)
                }
            }
        }
        if !sawText || table.count == 0 { throw TokenizerError.emptyCorpus }
        var names = [String]()
        if options.unknown == .byteFallback {
            names += (0..<256).map(byteName)
        } else {
            names.append(unknownName)
        }
        let room = options.vocabularySize - names.count - options.specialTokens.count
        let order = (0..<table.count).sorted {
            counts[$0] != counts[$1] ? counts[$0] > counts[$1] : table.key($0).lexicographicallyPrecedes(table.key($1))
        }
        let reserved = Set(names).union(options.specialTokens)
        for k in order.prefix(max(0, room)) {
            let name = String(decoding: table.key(k), as: UTF8.self)
            if reserved.contains(name) { continue }
            names.append(name)
        }
        var specials = [String: Int]()
        for token in options.specialTokens {
            specials[token] = names.count
            names.append(token)
        }
        return try CharTokenizer(
            unit: options.unit, unknown: options.unknown, names: names, specialTokens: specials,
            normalization: options.normalization, invalidUTF8: options.invalidUTF8)
    }

    func encode(_ text: String) throws -> [Int] { try encodeSpans(Array(text.utf8), spans: false).ids }
    func encode(bytes: [UInt8]) throws -> [Int] { try encodeSpans(bytes, spans: false).ids }
    func encodeWithOffsets(bytes: [UInt8]) throws -> [TokenSpan] { try encodeSpans(bytes, spans: true).spans }

    private func encodeSpans(_ input: [UInt8], spans wantSpans: Bool) throws -> (ids: [Int], spans: [TokenSpan]) {
        var ids = [Int]()
        ids.reserveCapacity(input.count)
        var spans = [TokenSpan]()
        try pipeline.run(input, offsets: wantSpans) { segment in
            if segment.specialID >= 0 {
                ids.append(segment.specialID)
                if wantSpans { appendSpan(segment.specialID, 0..<segment.text.count, segment, &spans) }
                return
            }
            encodeText(segment, wantSpans, &ids, &spans)
        }
        return (ids, spans)
    }

    /// Encodes the units of one normalized segment; single ASCII bytes go through a table.
    @inline(__always)
    private func encodeText(
        _ segment: TextPipeline.Segment, _ wantSpans: Bool, _ ids: inout [Int], _ spans: inout [TokenSpan]
    ) {
        let text = segment.text
        let n = text.count
        var i = 0
        switch unit {
        case .scalar:
            while i < n {
                let b = text[i]
                if b < 0x80 && !wantSpans {
                    let id = asciiIDs[Int(b)]
                    if id >= 0 {
                        ids.append(Int(id))
                        i &+= 1
                        continue
                    }
                }
                var c: Int32 = 0
                let length = decodeScalar(text, at: i, into: &c)
                encodeUnit(segment, i..<(i + length), wantSpans, &ids, &spans)
                i &+= length
            }
        case .grapheme:
            var start = 0
            var previous: Int32 = -1
            var state: Int32 = 0
            while i < n {
                let b = text[i]
                if b < 0x80 && previous >= 0 && previous < 0x80 && !(previous == 0x0D && b == 0x0A) {
                    // Two ASCII scalars other than CR LF always have a grapheme break between them.
                    encodeUnit(segment, start..<i, wantSpans, &ids, &spans)
                    start = i
                    previous = Int32(b)
                    state = 0
                    i &+= 1
                    continue
                }
                var c: Int32 = 0
                let length = decodeScalar(text, at: i, into: &c)
                if previous >= 0 && utf8proc_grapheme_break_stateful(previous, c, &state) {
                    encodeUnit(segment, start..<i, wantSpans, &ids, &spans)
                    start = i
                }
                if c < 0x80 { state = 0 }
                previous = c
                i &+= length
            }
            if start < n { encodeUnit(segment, start..<n, wantSpans, &ids, &spans) }
        }
    }

    @inline(__always)
    private func encodeUnit(
        _ segment: TextPipeline.Segment, _ r: Range<Int>, _ wantSpans: Bool, _ ids: inout [Int],
        _ spans: inout [TokenSpan]
    ) {
        let text = segment.text
        var id = -1
        if r.count == 1 && text[r.lowerBound] < 0x80 {
            id = Int(asciiIDs[Int(text[r.lowerBound])])
        } else {
            let p = text.baseAddress! + r.lowerBound
            let k = units.find(p, r.count, hash: SliceTable.hash(p, r.count))
            if k >= 0 { id = unitIDs[k] }
        }
        if id >= 0 {
            ids.append(id)
            if wantSpans { appendSpan(id, r, segment, &spans) }
        } else if firstByteID >= 0 {
            for j in r {
                let byteID = firstByteID + Int(text[j])
                ids.append(byteID)
                if wantSpans { appendSpan(byteID, j..<(j + 1), segment, &spans) }
            }
        } else {
            ids.append(unknownID)
            if wantSpans { appendSpan(unknownID, r, segment, &spans) }
        }
    }

    private func appendSpan(_ id: Int, _ r: Range<Int>, _ segment: TextPipeline.Segment, _ spans: inout [TokenSpan]) {
        let o = segment.originalRange(r)
        spans.append(TokenSpan(id: id, start: o.lowerBound, end: o.upperBound))
    }

    func decodeBytes(_ ids: [Int]) throws -> [UInt8] { try arena.concatenate(ids) }

    func decode(_ ids: [Int]) throws -> String { String(decoding: try decodeBytes(ids), as: UTF8.self) }

    func piece(for id: Int) throws -> String {
        guard id >= 0 && id < names.count else { throw TokenizerError.unknownID(id) }
        return names[id]
    }

    func makeStreamingDecoder() -> StreamingDecoder {
        StreamingDecoder(pieces: pieces)
    }

    /// Reads a `tokenizer.json` whose model type is `SeqKitChar`.
    convenience init(file: TokenizerFile, invalidUTF8: TokenizerOptions.InvalidUTF8Policy = .error) throws {
        let model = file.model
        guard let unitName = model["unit"] as? String, let unit = TokenizerOptions.CharUnit(rawValue: unitName) else {
            throw TokenizerError.malformedFile(field: "model.unit", reason: "is missing or not 'scalar' or 'grapheme'")
        }
        guard let unknownName = model["unknown"] as? String,
            let unknown = TokenizerOptions.UnknownPolicy(rawValue: unknownName)
        else {
            throw TokenizerError.malformedFile(
                field: "model.unknown", reason: "is missing or not 'unk' or 'byteFallback'")
        }
        guard let list = model["vocab"] as? [Any] else {
            throw TokenizerError.malformedFile(field: "model.vocab", reason: "is missing or not a list of strings")
        }
        var names = [String]()
        for (i, item) in list.enumerated() {
            guard let name = item as? String else {
                throw TokenizerError.malformedFile(field: "model.vocab[\(i)]", reason: "is not a string")
            }
            names.append(name)
        }
        if let exact = file.exactVocabList, exact.count == names.count { names = exact }
        var specials = [String: Int]()
        for token in try file.addedTokens() {
            guard token.id < names.count, names[token.id] == token.content else {
                throw TokenizerError.malformedFile(
                    field: "added_tokens", reason: "token '\(token.content)' does not match model.vocab[\(token.id)]")
            }
            specials[token.content] = token.id
        }
        try self.init(
            unit: unit, unknown: unknown, names: names, specialTokens: specials,
            normalization: try file.normalization(), invalidUTF8: invalidUTF8)
    }

    func serialized() throws -> Data {
        let model: [String: Any] = [
            "type": Self.modelType, "unit": unit.rawValue, "unknown": unknown.rawValue, "vocab": names,
        ]
        let root: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": TokenizerFile.addedTokensJSON(specialTokens.map { ($0.key, $0.value, true) }),
            "normalizer": TokenizerFile.normalizerJSON(normalization), "pre_tokenizer": NSNull(),
            "post_processor": NSNull(), "decoder": NSNull(), "model": model,
        ]
        return try TokenizerFile.serialize(root)
    }
}

/// Calls `body` with the byte range of each scalar or extended grapheme cluster of valid UTF-8 `p`.
@inline(__always)
func forEachUnit(_ p: UnsafeBufferPointer<UInt8>, unit: TokenizerOptions.CharUnit, _ body: (Range<Int>) -> Void) {
    let n = p.count
    var i = 0
    switch unit {
    case .scalar:
        while i < n {
            var c: Int32 = 0
            let length = decodeScalar(p, at: i, into: &c)
            body(i..<(i + length))
            i += length
        }
    case .grapheme:
        var start = 0
        var state: Int32 = 0
        var previous: Int32 = -1
        while i < n {
            var c: Int32 = 0
            let length = decodeScalar(p, at: i, into: &c)
            if previous >= 0 && utf8proc_grapheme_break_stateful(previous, c, &state) {
                body(start..<i)
                start = i
            }
            previous = c
            i += length
        }
        if start < n { body(start..<n) }
    }
}
