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
        var spans = [TokenSpan]()
        try pipeline.run(input, offsets: wantSpans) { segment in
            func add(_ id: Int, _ r: Range<Int>) {
                ids.append(id)
                if wantSpans {
                    let o = segment.originalRange(r)
                    spans.append(TokenSpan(id: id, start: o.lowerBound, end: o.upperBound))
                }
            }
            if segment.specialID >= 0 {
                add(segment.specialID, 0..<segment.text.count)
                return
            }
            let text = segment.text
            forEachUnit(text, unit: unit) { r in
                let p = text.baseAddress! + r.lowerBound
                let k = units.find(p, r.count, hash: SliceTable.hash(p, r.count))
                if k >= 0 {
                    add(unitIDs[k], r)
                } else if firstByteID >= 0 {
                    for j in r { add(firstByteID + Int(text[j]), j..<(j + 1)) }
                } else {
                    add(unknownID, r)
                }
            }
        }
        return (ids, spans)
    }

    func decodeBytes(_ ids: [Int]) throws -> [UInt8] {
        var out = [UInt8]()
        for id in ids {
            guard id >= 0 && id < pieces.count, let piece = pieces[id] else { throw TokenizerError.unknownID(id) }
            out.append(contentsOf: piece)
        }
        return out
    }

    func decode(_ ids: [Int]) throws -> String { String(decoding: try decodeBytes(ids), as: UTF8.self) }

    func piece(for id: Int) throws -> String {
        guard id >= 0 && id < names.count else { throw TokenizerError.unknownID(id) }
        return names[id]
    }

    func makeStreamingDecoder() -> StreamingDecoder {
        StreamingDecoder(pieces: pieces, graphemes: unit == .grapheme)
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

    func save(to url: URL) throws {
        let model: [String: Any] = [
            "type": Self.modelType, "unit": unit.rawValue, "unknown": unknown.rawValue, "vocab": names,
        ]
        let root: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": TokenizerFile.addedTokensJSON(specialTokens.map { ($0.key, $0.value, true) }),
            "normalizer": TokenizerFile.normalizerJSON(normalization), "pre_tokenizer": NSNull(),
            "post_processor": NSNull(), "decoder": NSNull(), "model": model,
        ]
        try writeAtomically(try TokenizerFile.serialize(root), to: url)
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
