import Foundation

/// A parsed `tokenizer.json` with accessors that name the field when something is missing or wrong.
struct TokenizerFile {
    let root: [String: Any]
    let model: [String: Any]
    let modelType: String

    init(data: Data) throws {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TokenizerError.malformedFile(field: "(root)", reason: "is not valid JSON")
        }
        guard let root = object as? [String: Any] else {
            throw TokenizerError.malformedFile(field: "(root)", reason: "is not a JSON object")
        }
        guard let model = root["model"] as? [String: Any] else {
            throw TokenizerError.malformedFile(field: "model", reason: "is missing or not an object")
        }
        guard let type = model["type"] as? String else {
            throw TokenizerError.malformedFile(field: "model.type", reason: "is missing or not a string")
        }
        self.root = root
        self.model = model
        self.modelType = type
        exact = try? JSONDecoder().decode(ExactStrings.self, from: data)
    }

    /// Strings read again with `JSONDecoder`, which keeps every scalar: `JSONSerialization` drops a leading
    /// U+FEFF from a string (seen on Linux), and a char vocabulary may hold exactly that unit.
    let exact: ExactStrings?

    struct ExactStrings: Decodable {
        struct Added: Decodable { var content: String? }
        struct Model: Decodable {
            var vocab: [String]?
            init(from decoder: any Decoder) throws {
                let c = try decoder.container(keyedBy: Keys.self)
                vocab = try? c.decode([String].self, forKey: .vocab)
            }
            enum Keys: String, CodingKey { case vocab }
        }
        var added: [Added]?
        var model: Model?
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            added = try? c.decode([Added].self, forKey: .added_tokens)
            model = try? c.decode(Model.self, forKey: .model)
        }
        enum Keys: String, CodingKey { case added_tokens, model }
    }

    /// The `model.vocab` list with every scalar kept, when it is a list of strings.
    var exactVocabList: [String]? { exact?.model?.vocab }

    /// A token matched whole in the input: `{"id": 4095, "content": "<|endoftext|>", "special": true, ...}`.
    struct AddedToken {
        var id: Int
        var content: String
        var special: Bool
    }

    /// The `added_tokens` list (absent means none).
    func addedTokens() throws -> [AddedToken] {
        guard let value = root["added_tokens"], !(value is NSNull) else { return [] }
        guard let list = value as? [Any] else {
            throw TokenizerError.malformedFile(field: "added_tokens", reason: "is not a list")
        }
        var out = [AddedToken]()
        for (i, item) in list.enumerated() {
            guard let entry = item as? [String: Any] else {
                throw TokenizerError.malformedFile(field: "added_tokens[\(i)]", reason: "is not an object")
            }
            guard let id = integer(entry["id"]), id >= 0 else {
                throw TokenizerError.malformedFile(
                    field: "added_tokens[\(i)].id", reason: "is missing or not a non-negative integer")
            }
            guard let parsed = entry["content"] as? String,
                case let content = exact?.added?[safe: i]?.content ?? parsed, !content.isEmpty
            else {
                throw TokenizerError.malformedFile(
                    field: "added_tokens[\(i)].content", reason: "is missing or not a non-empty string")
            }
            let special = (entry["special"] as? Bool) ?? true
            out.append(AddedToken(id: id, content: content, special: special))
        }
        return out
    }

    /// Refuses settings SeqKit does not apply yet, so a file is never encoded with ids or offsets that
    /// differ from the tokenizers library: an added token's `lstrip`/`rstrip`/`single_word`, `truncation`,
    /// `padding` (unless `lengths` is false), and the ByteLevel post-processor's `trim_offsets`.
    func refuseUnappliedSettings(lengths: Bool = true) throws {
        for field in ["truncation", "padding"] where lengths {
            if let value = root[field], !(value is NSNull) {
                throw TokenizerError.malformedFile(
                    field: field,
                    reason: "is set; SeqKit does not apply it yet, set it to null and cut or pad the ids yourself")
            }
        }
        if let list = root["added_tokens"] as? [Any] {
            for (i, item) in list.enumerated() {
                guard let entry = item as? [String: Any] else { continue }
                for flag in ["lstrip", "rstrip", "single_word"] where entry[flag] as? Bool == true {
                    throw TokenizerError.malformedFile(
                        field: "added_tokens[\(i)].\(flag)",
                        reason: "is true; SeqKit does not apply it yet, set it to false")
                }
            }
        }
        if let post = root["post_processor"] as? [String: Any], post["type"] as? String == "ByteLevel",
            post["trim_offsets"] as? Bool ?? true
        {
            throw TokenizerError.malformedFile(
                field: "post_processor.trim_offsets",
                reason: "is true or missing; SeqKit does not trim offsets yet, set it to false")
        }
    }

    /// Whether the file is a byte-level BPE: its `pre_tokenizer` is `ByteLevel` (alone or a Sequence of one), or it
    /// has none and its decoder is `ByteLevel`.
    var isByteLevelBPE: Bool {
        var pre = root["pre_tokenizer"]
        if let sequence = pre as? [String: Any], sequence["type"] as? String == "Sequence",
            let list = sequence["pretokenizers"] as? [Any], list.count == 1
        {
            pre = list[0]
        }
        if let object = pre as? [String: Any] { return object["type"] as? String == "ByteLevel" }
        return (root["decoder"] as? [String: Any])?["type"] as? String == "ByteLevel"
    }

    /// The `normalizer` field as SeqKit normalization steps.
    func normalization() throws -> [Normalization] {
        guard let value = root["normalizer"], !(value is NSNull) else { return [] }
        var flat = [(field: String, object: [String: Any])]()
        try flatten(value, field: "normalizer", into: &flat)
        var steps = [Normalization]()
        var i = 0
        while i < flat.count {
            let (field, object) = flat[i]
            let type = object["type"] as? String ?? ""
            switch type {
            case "NFC": steps.append(.nfc)
            case "NFD":
                if i + 1 < flat.count, flat[i + 1].object["type"] as? String == "StripAccents" {
                    steps.append(.stripAccents)
                    i += 1
                } else {
                    steps.append(.nfd)
                }
            case "NFKC": steps.append(.nfkc)
            case "NFKD": steps.append(.nfkd)
            case "Lowercase": steps.append(.lowercase)
            case "StripAccents": steps.append(.stripAccents)
            case Self.caseFoldType: steps.append(.casefold)
            case "Strip":
                let next = i + 1 < flat.count ? flat[i + 1].object : [:]
                let pattern = (next["pattern"] as? [String: Any])?["Regex"] as? String
                guard object["strip_left"] as? Bool == true, object["strip_right"] as? Bool == true,
                    next["type"] as? String == "Replace", pattern == "\\s+", next["content"] as? String == " "
                else {
                    throw TokenizerError.malformedFile(
                        field: "\(field).type",
                        reason: "is a 'Strip' that is not SeqKit's whitespace cleanup (Strip both ends + Replace \\s+)")
                }
                steps.append(.whitespace)
                i += 1
            default:
                throw TokenizerError.malformedFile(
                    field: "\(field).type",
                    reason: "is '\(type)'; SeqKit reads NFC, NFD, NFKC, NFKD, Lowercase, StripAccents, "
                        + "\(Self.caseFoldType), Strip+Replace whitespace cleanup and Sequence")
            }
            i += 1
        }
        return steps
    }

    /// Case folding has no Hugging Face normalizer; SeqKit writes it under its own type.
    static let caseFoldType = "SeqKitCaseFold"

    private func flatten(_ value: Any, field: String, into out: inout [(field: String, object: [String: Any])]) throws {
        guard let object = value as? [String: Any] else {
            throw TokenizerError.malformedFile(field: field, reason: "is not an object")
        }
        guard let type = object["type"] as? String else {
            throw TokenizerError.malformedFile(field: "\(field).type", reason: "is missing or not a string")
        }
        if type == "Sequence" {
            guard let list = object["normalizers"] as? [Any] else {
                throw TokenizerError.malformedFile(field: "\(field).normalizers", reason: "is missing or not a list")
            }
            for (i, item) in list.enumerated() { try flatten(item, field: "\(field).normalizers[\(i)]", into: &out) }
        } else {
            out.append((field, object))
        }
    }

    /// The normalization as a Hugging Face `normalizer` value (`NSNull` for none).
    static func normalizerJSON(_ steps: [Normalization]) -> Any {
        var list = [[String: Any]]()
        if steps.contains(.whitespace) {
            list.append(["type": "Strip", "strip_left": true, "strip_right": true])
            list.append(["type": "Replace", "pattern": ["Regex": "\\s+"], "content": " "])
        }
        for step in steps {
            switch step {
            case .nfc: list.append(["type": "NFC"])
            case .nfd: list.append(["type": "NFD"])
            case .nfkc: list.append(["type": "NFKC"])
            case .nfkd: list.append(["type": "NFKD"])
            case .lowercase: list.append(["type": "Lowercase"])
            case .casefold: list.append(["type": caseFoldType])
            case .stripAccents:
                list.append(["type": "NFD"])
                list.append(["type": "StripAccents"])
            case .whitespace: break
            }
        }
        if list.isEmpty { return NSNull() }
        if list.count == 1 { return list[0] }
        return ["type": "Sequence", "normalizers": list]
    }

    /// Serializes `root` as JSON with sorted keys and unescaped slashes.
    static func serialize(_ root: [String: Any]) throws -> Data {
        do {
            return try JSONSerialization.data(
                withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted])
        } catch {
            throw TokenizerError.io(path: "tokenizer.json", reason: "cannot serialize: \(error)")
        }
    }

    /// The added-token entries as written by the tokenizers library.
    static func addedTokensJSON(_ tokens: [(content: String, id: Int, special: Bool)]) -> [[String: Any]] {
        tokens.sorted { $0.id < $1.id }.map {
            [
                "id": $0.id, "content": $0.content, "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": !$0.special, "special": $0.special,
            ]
        }
    }
}

/// An integer from a JSON number (rejecting fractions).
func integer(_ value: Any?) -> Int? {
    guard let number = value as? NSNumber else { return nil }
    let d = number.doubleValue
    guard d == d.rounded(), abs(d) < 9e15 else { return nil }
    return number.intValue
}

extension Array {
    /// The element at `i`, or `nil` outside the array.
    subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
