import Foundation

/// What a `post_processor` does to one sequence: trim offsets (`ByteLevel`, `RobertaProcessing`) and put special
/// tokens around it (`TemplateProcessing`, `BertProcessing`, `RobertaProcessing`); a `Sequence` does each of its parts.
struct PostProcessing {
    var template: [HFPipelineTokenizer.TemplatePart]?
    var trimOffsets: (addPrefixSpace: Bool, on: Bool) = (false, false)

    static let known = "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel, Sequence"

    mutating func read(
        _ object: [String: Any], field: String, addedTokens: [HFPipelineTokenizer.AddedToken], model: any PieceModel
    ) throws {
        guard let type = object["type"] as? String else {
            throw TokenizerError.malformedFile(field: "\(field).type", reason: "is missing or not a string")
        }
        func id(_ name: String, field: String) throws -> Int {
            if let id = addedTokens.first(where: { $0.content == name })?.id ?? model.id(of: name) { return id }
            throw TokenizerError.malformedFile(field: field, reason: "names '\(name)', which is not a token")
        }
        /// A `["[CLS]", 101]` pair's id.
        func pairID(_ key: String) throws -> Int {
            guard let pair = object[key] as? [Any], pair.count == 2, pair[0] is String, let id = integer(pair[1]),
                id >= 0
            else {
                throw TokenizerError.malformedFile(field: "\(field).\(key)", reason: "is not a [token, id] pair")
            }
            return id
        }
        switch type {
        case "Sequence":
            guard let list = object["processors"] as? [Any] else {
                throw TokenizerError.malformedFile(field: "\(field).processors", reason: "is missing or not a list")
            }
            for (i, item) in list.enumerated() {
                guard let part = item as? [String: Any] else {
                    throw TokenizerError.malformedFile(field: "\(field).processors[\(i)]", reason: "is not an object")
                }
                try read(part, field: "\(field).processors[\(i)]", addedTokens: addedTokens, model: model)
            }
        case "ByteLevel":
            if object["trim_offsets"] as? Bool ?? true {
                trimOffsets = (object["add_prefix_space"] as? Bool ?? true, true)
            }
        case "RobertaProcessing":
            if object["trim_offsets"] as? Bool ?? true {
                trimOffsets = (object["add_prefix_space"] as? Bool ?? true, true)
            }
            template = [.special(try pairID("cls")), .sequence, .special(try pairID("sep"))]
        case "BertProcessing":
            template = [.special(try pairID("cls")), .sequence, .special(try pairID("sep"))]
        case "TemplateProcessing":
            guard let single = object["single"] as? [[String: Any]] else {
                throw TokenizerError.malformedFile(field: "\(field).single", reason: "is missing or not a list")
            }
            let specials = object["special_tokens"] as? [String: Any] ?? [:]
            template = try single.flatMap { part -> [HFPipelineTokenizer.TemplatePart] in
                if let special = part["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                    if let entry = specials[name] as? [String: Any], let ids = entry["ids"] as? [Any] {
                        return try ids.map {
                            guard let id = integer($0), id >= 0 else {
                                throw TokenizerError.malformedFile(
                                    field: "\(field).special_tokens.\(name).ids", reason: "holds a non-id")
                            }
                            return .special(id)
                        }
                    }
                    return [.special(try id(name, field: "\(field).single"))]
                }
                if part["Sequence"] != nil { return [.sequence] }
                throw TokenizerError.malformedFile(
                    field: "\(field).single", reason: "has a part that is neither SpecialToken nor Sequence")
            }
        default:
            throw TokenizerError.malformedFile(
                field: "\(field).type",
                reason: "names an unsupported post_processor type '\(type)'; SeqKit reads \(Self.known)")
        }
    }
}

/// The file's `truncation` and `padding`, applied to every encoding as the tokenizers library applies them to one
/// sequence: the tokens cut to `max_length` less the template's special tokens (from the end, or the start with
/// `"direction": "Left"`), then padded with `pad_id` to `Fixed` length or to a multiple of `pad_to_multiple_of`.
struct LengthSettings {
    var maxLength: Int?  // of the sequence before the template's special tokens
    var truncateLeft = false
    var padLength: Int?  // Fixed(n); nil for BatchLongest, which is the sequence's own length
    var padMultiple: Int?
    var padID = 0
    var padLeft = false

    init(root: [String: Any], addedCount: Int) throws {
        if let value = root["truncation"], !(value is NSNull) {
            guard let object = value as? [String: Any], let max = integer(object["max_length"]), max >= 0 else {
                throw TokenizerError.malformedFile(
                    field: "truncation.max_length", reason: "is missing or not a non-negative integer")
            }
            let strategy = object["strategy"] as? String ?? "LongestFirst"
            guard ["LongestFirst", "OnlyFirst"].contains(strategy) else {
                throw TokenizerError.malformedFile(
                    field: "truncation.strategy",
                    reason: "is '\(strategy)'; one sequence is cut with LongestFirst or OnlyFirst")
            }
            maxLength = Swift.max(0, max - addedCount)
            truncateLeft = object["direction"] as? String == "Left"
        }
        if let value = root["padding"], !(value is NSNull) {
            guard let object = value as? [String: Any] else {
                throw TokenizerError.malformedFile(field: "padding", reason: "is not an object or null")
            }
            switch object["strategy"] {
            case let name as String where name == "BatchLongest": break
            case let fixed as [String: Any]:
                guard let n = integer(fixed["Fixed"]), n >= 0, n <= Self.longest else {
                    throw TokenizerError.malformedFile(
                        field: "padding.strategy.Fixed", reason: "is not a length of at most \(Self.longest)")
                }
                padLength = n
            default:
                throw TokenizerError.malformedFile(
                    field: "padding.strategy", reason: "is not \"BatchLongest\" or {\"Fixed\": n}")
            }
            if let multiple = integer(object["pad_to_multiple_of"]), multiple > 0 {
                guard multiple <= Self.longest else {
                    throw TokenizerError.malformedFile(
                        field: "padding.pad_to_multiple_of", reason: "is over \(Self.longest); give a small multiple")
                }
                padMultiple = multiple
            }
            padID = integer(object["pad_id"]) ?? 0
            padLeft = object["direction"] as? String == "Left"
        }
    }

    /// The longest padding SeqKit makes: 2^24 ids.
    static let longest = 1 << 24

    func truncated(_ spans: [TokenSpan]) -> [TokenSpan] {
        guard let maxLength, spans.count > maxLength else { return spans }
        return truncateLeft ? Array(spans.suffix(maxLength)) : Array(spans.prefix(maxLength))
    }

    func padded(_ spans: [TokenSpan]) -> [TokenSpan] {
        var length = padLength ?? spans.count
        if let padMultiple, length % padMultiple > 0 { length += padMultiple - length % padMultiple }
        guard spans.count < length else { return spans }
        let pads = Array(repeating: TokenSpan(id: padID, start: 0, end: 0), count: length - spans.count)
        return padLeft ? pads + spans : spans + pads
    }
}
