import Foundation

/// The `type` of a `tokenizer.json` part, or an error naming the field.
private func partType(_ object: [String: Any], field: String) throws -> String {
    guard let type = object["type"] as? String else {
        throw TokenizerError.malformedFile(field: "\(field).type", reason: "is missing or not a string")
    }
    return type
}

/// The list under `key` of a `Sequence` part, each element an object.
private func partList(_ object: [String: Any], _ key: String, field: String) throws -> [[String: Any]] {
    guard let list = object[key] as? [Any] else {
        throw TokenizerError.malformedFile(field: "\(field).\(key)", reason: "is missing or not a list")
    }
    return try list.enumerated().map { i, item in
        guard let part = item as? [String: Any] else {
            throw TokenizerError.malformedFile(field: "\(field).\(key)[\(i)]", reason: "is not an object")
        }
        return part
    }
}

/// A string field of a part, or an error naming it.
private func partString(_ object: [String: Any], _ key: String, field: String, default value: String? = nil) throws
    -> String
{
    if let s = object[key] as? String { return s }
    if let value, object[key] == nil || object[key] is NSNull { return value }
    throw TokenizerError.malformedFile(field: "\(field).\(key)", reason: "is missing or not a string")
}

/// One scalar field of a part (`"replacement": "▁"`), or an error naming it.
private func partScalar(_ object: [String: Any], _ key: String, field: String) throws -> Unicode.Scalar {
    guard let s = object[key] as? String, s.unicodeScalars.count == 1, let scalar = s.unicodeScalars.first else {
        throw TokenizerError.malformedFile(field: "\(field).\(key)", reason: "is missing or not one character")
    }
    return scalar
}

// MARK: Normalizers

/// A Hugging Face `normalizer` SeqKit runs inside its pipeline, keeping each scalar's original byte range.
///
/// `{"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", …}]}` is
/// `.sequence([.prepend("▁"), .replace(…)])`.
indirect enum PipelineNormalizer {
    case sequence([PipelineNormalizer])
    case prepend(String)
    case replace(TextPattern, String)
    case lowercase
    case strip(left: Bool, right: Bool)
    case unicode(Normalization)  // NFC, NFD, NFKC, NFKD
    case precompiled(PrecompiledCharsmap)  // a sentencepiece charsmap
    case stripAccents  // every mark (Mn, Mc, Me) removed
    case nmt  // sentencepiece's: ASCII controls removed, odd spaces (tab, ZWSP, U+2581, BOM, U+FFFD...) made spaces
    case byteLevel  // every UTF-8 byte as its byte-level scalar (`Ġ` for a space)
    /// BERT's: control characters removed and white space made spaces, spaces around CJK ideographs, NFD with
    /// nonspacing marks removed, lowercase.
    case bert(cleanText: Bool, chineseCharacters: Bool, stripAccents: Bool, lowercase: Bool)

    static let known =
        "Sequence, Prepend, Replace, Lowercase, Strip, StripAccents, NFC, NFD, NFKC, NFKD, Precompiled, BertNormalizer, "
        + "Nmt, ByteLevel"

    init(json object: [String: Any], field: String) throws {
        let type = try partType(object, field: field)
        switch type {
        case "Sequence":
            self = .sequence(
                try partList(object, "normalizers", field: field).enumerated().map {
                    try PipelineNormalizer(json: $1, field: "\(field).normalizers[\($0)]")
                })
        case "Prepend": self = .prepend(try partString(object, "prepend", field: field))
        case "Replace":
            self = .replace(
                try TextPattern(json: object["pattern"], field: "\(field).pattern"),
                try partString(object, "content", field: field))
        case "Lowercase": self = .lowercase
        case "StripAccents": self = .stripAccents
        case "Nmt": self = .nmt
        case "ByteLevel": self = .byteLevel
        case "BertNormalizer":
            let lowercase = object["lowercase"] as? Bool ?? true
            self = .bert(
                cleanText: object["clean_text"] as? Bool ?? true,
                chineseCharacters: object["handle_chinese_chars"] as? Bool ?? true,
                stripAccents: object["strip_accents"] as? Bool ?? lowercase, lowercase: lowercase)
        case "Strip":
            self = .strip(
                left: object["strip_left"] as? Bool ?? true, right: object["strip_right"] as? Bool ?? true)
        case "NFC": self = .unicode(.nfc)
        case "NFD": self = .unicode(.nfd)
        case "NFKC": self = .unicode(.nfkc)
        case "NFKD": self = .unicode(.nfkd)
        case "Precompiled":
            self = .precompiled(
                try PrecompiledCharsmap(
                    base64: try partString(object, "precompiled_charsmap", field: field),
                    field: "\(field).precompiled_charsmap"))
        default:
            throw TokenizerError.malformedFile(
                field: "\(field).type",
                reason: "names an unsupported normalizer type '\(type)'; SeqKit reads \(Self.known)")
        }
    }

    func apply(_ text: inout NormalizedText) {
        switch self {
        case .sequence(let parts): for part in parts { part.apply(&text) }
        case .prepend(let s): text.prepend(s)
        case .replace(let pattern, let content): text.replace(pattern, with: content)
        case .lowercase: text.lowercase()
        case .strip(let left, let right): text.strip(left: left, right: right)
        case .unicode(let form): text.normalize(form)
        case .precompiled(let map): text.apply(map)
        case .bert(let cleanText, let chineseCharacters, let stripAccents, let lowercase):
            if cleanText {
                text.items.removeAll {
                    $0.scalar.value == 0 || $0.scalar.value == 0xFFFD || WordPieceTokenizer.isControl($0.scalar)
                }
                text.map { WordPieceTokenizer.isWhitespace($0) ? [" "] : [$0] }
            }
            if chineseCharacters {
                text.map { WordPieceTokenizer.isChinese($0) ? [" ", $0, " "] : [$0] }
            }
            if stripAccents {
                text.normalize(.nfd)
                text.items.removeAll { $0.scalar.properties.generalCategory == .nonspacingMark }
            }
            if lowercase { text.lowercase() }
        case .nmt:
            text.items.removeAll {
                switch $0.scalar.value {
                case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F: return true
                default: return false
                }
            }
            text.map { s in
                switch s.value {
                case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD:
                    return [" "]
                default: return [s]
                }
            }
        case .byteLevel:
            text.map { s in String(s).utf8.map { Unicode.Scalar(ByteLevel.scalarOfByte[Int($0)]) ?? " " } }
        case .stripAccents:
            text.items.removeAll {
                switch $0.scalar.properties.generalCategory {
                case .nonspacingMark, .spacingMark, .enclosingMark: return true
                default: return false
                }
            }
        }
    }
}

// MARK: Pre-tokenizers

/// A Hugging Face `pre_tokenizer` SeqKit runs: each splits every piece of text into smaller pieces.
indirect enum PipelinePreTokenizer {
    case sequence([PipelinePreTokenizer])
    /// `replacement` for every space, prepended per `prependScheme`, split before each `replacement` if `split`.
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)
    case split(TextPattern, NormalizedText.SplitBehavior)
    case whitespace  // \w+|[^\w\s]+
    case whitespaceSplit
    case punctuation(NormalizedText.SplitBehavior)
    case digits(individual: Bool)
    /// A space put before a piece that has none (`addPrefixSpace`), GPT-2's pattern split (`useRegex`), then every
    /// UTF-8 byte as its byte-level scalar (`Ġ` for a space), each with the range of the character it is part of.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// BERT's: split on white space, then every punctuation scalar alone.
    case bert
    case delimiter(Unicode.Scalar)  // CharDelimiterSplit: split on the scalar, which goes
    case fixedLength(Int)  // pieces of `length` scalars

    /// When Metaspace puts the replacement before a piece that does not start with it.
    enum PrependScheme: String {
        case first, always, never
    }

    static let known =
        "Sequence, Metaspace, Split, Whitespace, WhitespaceSplit, Punctuation, Digits, ByteLevel, BertPreTokenizer, "
        + "CharDelimiterSplit, FixedLength"

    init(json object: [String: Any], field: String) throws {
        let type = try partType(object, field: field)
        func behavior(_ key: String, default value: NormalizedText.SplitBehavior? = nil) throws
            -> NormalizedText.SplitBehavior
        {
            if object[key] == nil, let value { return value }
            guard let name = object[key] as? String, let b = NormalizedText.SplitBehavior(json: name) else {
                throw TokenizerError.malformedFile(
                    field: "\(field).\(key)",
                    reason: "is not one of Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous")
            }
            return b
        }
        switch type {
        case "Sequence":
            self = .sequence(
                try partList(object, "pretokenizers", field: field).enumerated().map {
                    try PipelinePreTokenizer(json: $1, field: "\(field).pretokenizers[\($0)]")
                })
        case "Metaspace":
            let (replacement, scheme) = try Self.metaspace(object, field: field)
            self = .metaspace(replacement: replacement, prependScheme: scheme, split: object["split"] as? Bool ?? true)
        case "Split":
            var pattern = try TextPattern(json: object["pattern"], field: "\(field).pattern")
            pattern.inverted = object["invert"] as? Bool ?? false
            self = .split(pattern, try behavior("behavior"))
        case "Whitespace": self = .whitespace
        case "BertPreTokenizer": self = .bert
        case "CharDelimiterSplit": self = .delimiter(try partScalar(object, "delimiter", field: field))
        case "FixedLength":
            let length = object["length"] == nil ? 5 : integer(object["length"]) ?? 0
            guard length > 0 else {
                throw TokenizerError.malformedFile(field: "\(field).length", reason: "is not a positive count")
            }
            self = .fixedLength(length)
        case "WhitespaceSplit": self = .whitespaceSplit
        case "Punctuation": self = .punctuation(try behavior("behavior", default: .isolated))
        case "Digits": self = .digits(individual: object["individual_digits"] as? Bool ?? false)
        case "ByteLevel":
            self = .byteLevel(
                addPrefixSpace: object["add_prefix_space"] as? Bool ?? true,
                useRegex: object["use_regex"] as? Bool ?? true)
        default:
            throw TokenizerError.malformedFile(
                field: "\(field).type",
                reason: "names an unsupported pre_tokenizer type '\(type)'; SeqKit reads \(Self.known)")
        }
    }

    /// The replacement and prepend scheme of a Metaspace pre-tokenizer or decoder (`add_prefix_space: false`, the
    /// older spelling, means `never`).
    static func metaspace(_ object: [String: Any], field: String) throws -> (Unicode.Scalar, PrependScheme) {
        let replacement = try partScalar(object, "replacement", field: field)
        var scheme = PrependScheme.always
        if let name = object["prepend_scheme"] as? String {
            guard let s = PrependScheme(rawValue: name) else {
                throw TokenizerError.malformedFile(
                    field: "\(field).prepend_scheme", reason: "is '\(name)', not first, always or never")
            }
            scheme = s
        }
        if object["add_prefix_space"] as? Bool == false { scheme = .never }
        return (replacement, scheme)
    }

    private static let gpt2Pattern = TextPattern(
        kind: .regex(
            try! NSRegularExpression(
                pattern: #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#)))

    private static let whitespacePattern = TextPattern(
        kind: .regex(try! NSRegularExpression(pattern: #"\w+|[^\w\s]+"#)), inverted: true)

    /// The pieces split further. With `exactBytes`, a ByteLevel scalar stands for its own byte of the input
    /// (where the normalizer left the character as it was) instead of the whole character.
    func apply(_ pieces: [NormalizedText], exactBytes: Bool = false) -> [NormalizedText] {
        switch self {
        case .sequence(let parts):
            return parts.reduce(pieces) { $1.apply($0, exactBytes: exactBytes) }
        case .metaspace(let replacement, let scheme, let split):
            return pieces.flatMap { piece -> [NormalizedText] in
                var piece = piece
                piece.replace(.scalar(" "), with: String(replacement))
                let startsWith = piece.items.first?.scalar == replacement
                switch scheme {
                case .always where !startsWith: piece.prepend(String(replacement))
                case .first where !startsWith && piece.items.first?.start == 0: piece.prepend(String(replacement))
                default: break
                }
                return split ? piece.split(.scalar(replacement), behavior: .mergedWithNext) : [piece]
            }
        case .split(let pattern, let behavior):
            return pieces.flatMap { $0.split(pattern, behavior: behavior) }
        case .whitespace:
            return pieces.flatMap { $0.split(Self.whitespacePattern, behavior: .removed) }
        case .whitespaceSplit:
            return pieces.flatMap { $0.split(.predicate { $0.properties.isWhitespace }, behavior: .removed) }
        case .delimiter(let scalar):
            return pieces.flatMap { $0.split(.scalar(scalar), behavior: .removed) }
        case .fixedLength(let length):
            return pieces.flatMap { piece in
                stride(from: 0, to: piece.items.count, by: length).map {
                    NormalizedText(items: Array(piece.items[$0..<min($0 + length, piece.items.count)]))
                }
            }
        case .bert:
            return pieces.flatMap { $0.split(.predicate(WordPieceTokenizer.isWhitespace), behavior: .removed) }
                .flatMap { $0.split(.predicate(isPunctuation), behavior: .isolated) }
        case .punctuation(let behavior):
            return pieces.flatMap { $0.split(.predicate(isPunctuation), behavior: behavior) }
        case .digits(let individual):
            return pieces.flatMap {
                $0.split(.predicate(isNumeric), behavior: individual ? .isolated : .contiguous)
            }
        case .byteLevel(let addPrefixSpace, let useRegex):
            let split = pieces.flatMap { piece -> [NormalizedText] in
                var piece = piece
                if addPrefixSpace && piece.items.first?.scalar != " " { piece.prepend(" ") }
                return useRegex ? piece.split(Self.gpt2Pattern, behavior: .isolated) : [piece]
            }
            return split.map { piece in
                var items: [NormalizedText.Item] = []
                for item in piece.items {
                    let exact = exactBytes && !item.inserted && item.end - item.start == UTF8.width(item.scalar)
                    for (k, byte) in String(item.scalar).utf8.enumerated() {
                        let scalar = Unicode.Scalar(ByteLevel.scalarOfByte[Int(byte)]) ?? " "
                        items.append(
                            exact
                                ? NormalizedText.Item(scalar: scalar, start: item.start + k, end: item.start + k + 1)
                                : NormalizedText.Item(
                                    scalar: scalar, start: item.start, end: item.end, inserted: item.inserted))
                    }
                }
                return NormalizedText(items: items)
            }
        }
    }
}

/// ASCII punctuation (symbols included) or a Unicode punctuation category, as the Punctuation pre-tokenizer sees it.
func isPunctuation(_ s: Unicode.Scalar) -> Bool {
    if s.isASCII {
        return (33...47).contains(s.value) || (58...64).contains(s.value) || (91...96).contains(s.value)
            || (123...126).contains(s.value)
    }
    switch s.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
        .finalPunctuation, .otherPunctuation:
        return true
    default: return false
    }
}

/// A decimal, letter or other number (Nd, Nl, No), as Rust's `char::is_numeric`.
func isNumeric(_ s: Unicode.Scalar) -> Bool {
    switch s.properties.generalCategory {
    case .decimalNumber, .letterNumber, .otherNumber: return true
    default: return false
    }
}

// MARK: Decoders

/// A Hugging Face `decoder` SeqKit runs: each turns the list of token strings into another list, and the last list
/// joined is the decoded text.
indirect enum PipelineDecoder {
    case sequence([PipelineDecoder])
    case metaspace(replacement: Unicode.Scalar, prependScheme: PipelinePreTokenizer.PrependScheme)
    case byteFallback
    case fuse
    case strip(content: Unicode.Scalar, start: Int, stop: Int)
    case replace(TextPattern, String)
    case wordPiece(prefix: String, cleanup: Bool)
    case byteLevel
    /// subword-nmt style: the end-of-word `suffix` becomes a space, except in the last token where it goes.
    case bpe(suffix: String)
    /// Speech models' CTC: repeats collapsed, `pad` removed; with cleanup, WordPiece's cleanup and `delimiter` → space.
    case ctc(pad: String, delimiter: String, cleanup: Bool)

    static let known = "Sequence, Metaspace, ByteFallback, Fuse, Strip, Replace, WordPiece, ByteLevel, BPEDecoder, CTC"

    init(json object: [String: Any], field: String) throws {
        let type = try partType(object, field: field)
        switch type {
        case "Sequence":
            self = .sequence(
                try partList(object, "decoders", field: field).enumerated().map {
                    try PipelineDecoder(json: $1, field: "\(field).decoders[\($0)]")
                })
        case "Metaspace":
            let (replacement, scheme) = try PipelinePreTokenizer.metaspace(object, field: field)
            self = .metaspace(replacement: replacement, prependScheme: scheme)
        case "ByteFallback": self = .byteFallback
        case "Fuse": self = .fuse
        case "Strip":
            guard let start = integer(object["start"]), let stop = integer(object["stop"]), start >= 0, stop >= 0 else {
                throw TokenizerError.malformedFile(field: "\(field).start", reason: "start and stop must be counts")
            }
            self = .strip(content: try partScalar(object, "content", field: field), start: start, stop: stop)
        case "Replace":
            self = .replace(
                try TextPattern(json: object["pattern"], field: "\(field).pattern"),
                try partString(object, "content", field: field))
        case "WordPiece":
            self = .wordPiece(
                prefix: try partString(object, "prefix", field: field, default: "##"),
                cleanup: object["cleanup"] as? Bool ?? true)
        case "ByteLevel": self = .byteLevel
        case "BPEDecoder": self = .bpe(suffix: try partString(object, "suffix", field: field, default: "</w>"))
        case "CTC":
            self = .ctc(
                pad: try partString(object, "pad_token", field: field, default: "<pad>"),
                delimiter: try partString(object, "word_delimiter_token", field: field, default: "|"),
                cleanup: object["cleanup"] as? Bool ?? true)
        default:
            throw TokenizerError.malformedFile(
                field: "\(field).type",
                reason: "names an unsupported decoder type '\(type)'; SeqKit reads \(Self.known)")
        }
    }

    func apply(_ tokens: [String]) -> [String] {
        switch self {
        case .sequence(let parts):
            return parts.reduce(tokens) { $1.apply($0) }
        case .metaspace(let replacement, let scheme):
            return tokens.enumerated().map { i, token in
                var view = String.UnicodeScalarView()
                for s in token.unicodeScalars {
                    if s == replacement {
                        if i == 0 && scheme != .never { continue }
                        view.append(" ")
                    } else {
                        view.append(s)
                    }
                }
                return String(view)
            }
        case .byteFallback:
            var out: [String] = []
            var bytes: [UInt8] = []
            func flush() {
                guard !bytes.isEmpty else { return }
                if let s = String(validating: bytes, as: UTF8.self) {
                    out.append(s)
                } else {
                    out += Array(repeating: "\u{FFFD}", count: bytes.count)
                }
                bytes.removeAll()
            }
            for token in tokens {
                if let b = byteOfToken(token) {
                    bytes.append(b)
                } else {
                    flush()
                    out.append(token)
                }
            }
            flush()
            return out
        case .fuse:
            return [tokens.joined()]
        case .strip(let content, let start, let stop):
            return tokens.map { token in
                let scalars = Array(token.unicodeScalars)
                var lower = 0
                while lower < min(start, scalars.count) && scalars[lower] == content { lower += 1 }
                var upper = scalars.count
                var cut = 0
                while cut < stop && upper > lower && scalars[upper - 1] == content {
                    upper -= 1
                    cut += 1
                }
                var view = String.UnicodeScalarView()
                view.append(contentsOf: scalars[lower..<upper])
                return String(view)
            }
        case .replace(let pattern, let content):
            return tokens.map { token in
                var text = NormalizedText(bytes: Array(token.utf8), range: 0..<token.utf8.count)
                text.replace(pattern, with: content)
                return text.string
            }
        case .wordPiece(let prefix, let cleanup):
            return tokens.enumerated().map { i, token in
                var piece = token
                if i != 0 { piece = dropPrefix(prefix, of: piece) ?? " " + piece }
                if cleanup {
                    for (from, to) in WordPieceTokenizer.cleanups { piece = replaceBytes(from, with: to, in: piece) }
                }
                return piece
            }
        case .byteLevel:
            var bytes: [UInt8] = []
            for token in tokens { bytes += ByteLevel.decode(token) ?? Array(token.utf8) }
            return [String(decoding: bytes, as: UTF8.self)]
        case .ctc(let pad, let delimiter, let cleanup):
            var out: [String] = []
            var previous: String?
            for token in tokens {
                defer { previous = token }
                if let previous, Array(previous.utf8) == Array(token.utf8) { continue }
                var piece = replaceBytes(pad, with: "", in: token)
                if cleanup {
                    for (from, to) in WordPieceTokenizer.cleanups { piece = replaceBytes(from, with: to, in: piece) }
                    piece = replaceBytes(delimiter, with: " ", in: piece)
                }
                if !piece.isEmpty { out.append(piece) }
            }
            return out
        case .bpe(let suffix):
            return tokens.enumerated().map { i, token in
                replaceBytes(suffix, with: i == tokens.count - 1 ? "" : " ", in: token)
            }
        }
    }
}

/// `text` without `prefix`, compared byte by byte (`"##̈".hasPrefix("##")` is false for `String`, which compares
/// characters), or `nil` when it does not start with it.
func dropPrefix(_ prefix: String, of text: String) -> String? {
    let (p, t) = (Array(prefix.utf8), Array(text.utf8))
    guard t.count >= p.count, Array(t[0..<p.count]) == p else { return nil }
    return String(decoding: t[p.count...], as: UTF8.self)
}

/// `text` with every non-overlapping `target` replaced, left to right, compared byte by byte as Rust's
/// `str::replace` does (Foundation's `replacingOccurrences` compares characters).
func replaceBytes(_ target: String, with replacement: String, in text: String) -> String {
    let (p, t) = (Array(target.utf8), Array(text.utf8))
    guard !p.isEmpty, t.count >= p.count else { return text }
    var out: [UInt8] = []
    var i = 0
    while i < t.count {
        if i + p.count <= t.count && t[i] == p[0] && Array(t[i..<(i + p.count)]) == p {
            out += replacement.utf8
            i += p.count
        } else {
            out.append(t[i])
            i += 1
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// The byte of a `<0x41>`-style piece, or `nil`.
func byteOfToken(_ token: String) -> UInt8? {
    let u = Array(token.utf8)
    guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
    return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
}
