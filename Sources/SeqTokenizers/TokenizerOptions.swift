import Foundation
import SeqConfig

/// The `"tokenizer"` section of a training config; every field has a default.
///
/// ```json
/// {"kind": "bpe", "vocabularySize": 4096, "specialTokens": ["<|endoftext|>"], "normalization": ["nfc"]}
/// ```
public struct TokenizerOptions: Codable, Sendable, Equatable {
    /// Which tokenizer: `char` (one token per scalar or grapheme) or `bpe` (byte-level BPE). Default `bpe`.
    public var kind: Kind
    /// The char tokenizer's unit: `scalar` or `grapheme` (extended grapheme clusters). Default `scalar`.
    public var unit: CharUnit
    /// Normalizers applied in order before encoding. Default `["nfc"]`; `[]` keeps the text as it is.
    public var normalization: [Normalization]
    /// What the char tokenizer does with text outside its vocabulary: `unk` or `byteFallback`. Default `byteFallback`.
    public var unknown: UnknownPolicy
    /// Target vocabulary size, special tokens included (BPE: 256 bytes + merges + specials; char: a cap). Default 4096.
    public var vocabularySize: Int
    /// BPE training stops when the most frequent pair occurs fewer times than this. Default 2.
    public var minPairFrequency: Int
    /// Tokens matched whole and never split, given the last ids of the vocabulary. Default `["<|endoftext|>"]`.
    public var specialTokens: [String]
    /// Invalid UTF-8 input: `error` (naming the byte offset) or `replace` (with U+FFFD). Default `error`.
    public var invalidUTF8: InvalidUTF8Policy

    /// The kinds of tokenizer: `"char"` or `"bpe"`.
    public enum Kind: String, Codable, Sendable, CaseIterable { case char, bpe }
    /// The char tokenizer's units: Unicode scalars, or extended grapheme clusters so `"👍🏽"` is one token.
    public enum CharUnit: String, Codable, Sendable, CaseIterable { case scalar, grapheme }
    /// Out-of-vocabulary text becomes `<unk>`, or one `<0xNN>` token per UTF-8 byte (exact round trip).
    public enum UnknownPolicy: String, Codable, Sendable, CaseIterable { case unk, byteFallback }
    /// Invalid UTF-8 is an error naming the offset, or each maximal invalid subpart becomes U+FFFD.
    public enum InvalidUTF8Policy: String, Codable, Sendable, CaseIterable { case error, replace }

    /// Options with every default, changed by the arguments given.
    ///
    /// `TokenizerOptions(kind: .char, unit: .grapheme)` is a grapheme tokenizer with NFC and byte fallback.
    public init(
        kind: Kind = .bpe, unit: CharUnit = .scalar, normalization: [Normalization] = [.nfc],
        unknown: UnknownPolicy = .byteFallback, vocabularySize: Int = 4096, minPairFrequency: Int = 2,
        specialTokens: [String] = ["<|endoftext|>"], invalidUTF8: InvalidUTF8Policy = .error
    ) {
        self.kind = kind
        self.unit = unit
        self.normalization = normalization
        self.unknown = unknown
        self.vocabularySize = vocabularySize
        self.minPairFrequency = minPairFrequency
        self.specialTokens = specialTokens
        self.invalidUTF8 = invalidUTF8
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, unit, normalization, unknown, vocabularySize, minPairFrequency, specialTokens, invalidUTF8
    }

    /// Decodes the section, keeping the default of every missing key and rejecting unknown keys.
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TokenizerOptions()
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? d.kind
        unit = try c.decodeIfPresent(CharUnit.self, forKey: .unit) ?? d.unit
        normalization = try c.decodeIfPresent([Normalization].self, forKey: .normalization) ?? d.normalization
        unknown = try c.decodeIfPresent(UnknownPolicy.self, forKey: .unknown) ?? d.unknown
        vocabularySize = try c.decodeIfPresent(Int.self, forKey: .vocabularySize) ?? d.vocabularySize
        minPairFrequency = try c.decodeIfPresent(Int.self, forKey: .minPairFrequency) ?? d.minPairFrequency
        specialTokens = try c.decodeIfPresent([String].self, forKey: .specialTokens) ?? d.specialTokens
        invalidUTF8 = try c.decodeIfPresent(InvalidUTF8Policy.self, forKey: .invalidUTF8) ?? d.invalidUTF8
    }

    /// Throws ``ConfigError/invalidValue(key:rule:)`` for a value no tokenizer can be trained with.
    ///
    /// `try TokenizerOptions(vocabularySize: 100).validate()` throws: BPE needs at least 256 + specials.
    public func validate() throws {
        if minPairFrequency < 1 {
            throw ConfigError.invalidValue(key: "minPairFrequency", rule: "must be at least 1, got \(minPairFrequency)")
        }
        if Set(specialTokens).count != specialTokens.count {
            throw ConfigError.invalidValue(key: "specialTokens", rule: "lists a token twice")
        }
        if specialTokens.contains(where: \.isEmpty) {
            throw ConfigError.invalidValue(key: "specialTokens", rule: "has an empty token; remove it")
        }
        switch kind {
        case .bpe:
            let least = 256 + specialTokens.count
            if vocabularySize < least {
                throw ConfigError.invalidValue(
                    key: "vocabularySize",
                    rule: "byte-level BPE needs at least 256 bytes + \(specialTokens.count) special tokens = \(least),"
                        + " got \(vocabularySize)")
            }
        case .char:
            let least = specialTokens.count + (unknown == .byteFallback ? 256 : 1)
            if vocabularySize < least {
                throw ConfigError.invalidValue(
                    key: "vocabularySize",
                    rule: "the char tokenizer needs at least \(least) ids for special tokens and \(unknown.rawValue),"
                        + " got \(vocabularySize)")
            }
        }
    }
}

/// One normalization step, chosen by name in the config.
///
/// `["nfkc", "lowercase", "whitespace"]` folds compatibility forms, lowercases and collapses whitespace.
public enum Normalization: String, Codable, Sendable, CaseIterable {
    /// Canonical composition: `"e\u{301}"` → `"é"`.
    case nfc
    /// Canonical decomposition: `"é"` → `"e\u{301}"`.
    case nfd
    /// Compatibility composition: `"ﬁ"` → `"fi"`, `"①"` → `"1"`.
    case nfkc
    /// Compatibility decomposition.
    case nfkd
    /// Full Unicode case folding: `"Straße"` → `"strasse"`.
    case casefold
    /// Lowercase mapping of each scalar, as the tokenizers library's `Lowercase`: `"ÀB"` → `"àb"`.
    case lowercase
    /// Decompose and drop combining marks (categories Mn, Mc, Me): `"café"` → `"cafe"`.
    case stripAccents
    /// Trim whitespace at both ends and collapse each whitespace run to one space; applied to the input first.
    case whitespace
}
