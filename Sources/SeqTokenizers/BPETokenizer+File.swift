import Foundation

extension BPETokenizer {
    /// Reads a Hugging Face byte-level BPE `tokenizer.json`.
    convenience init(file: TokenizerFile, invalidUTF8: TokenizerOptions.InvalidUTF8Policy = .error) throws {
        let model = file.model
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[field], !(value is NSNull), (value as? String) != "" {
                throw TokenizerError.malformedFile(
                    field: "model.\(field)", reason: "is set; byte-level BPE in SeqKit does not use it")
            }
        }
        if let dropout = model["dropout"], !(dropout is NSNull) {
            throw TokenizerError.malformedFile(
                field: "model.dropout", reason: "is set; dropout makes encoding random, set it to null")
        }
        if model["byte_fallback"] as? Bool == true {
            throw TokenizerError.malformedFile(
                field: "model.byte_fallback", reason: "is true; byte-level BPE has every byte already")
        }
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError.malformedFile(field: "model.vocab", reason: "is missing or not an object")
        }
        let added = try file.addedTokens()
        let addedContents = Set(added.map(\.content))

        // Pre-tokenizer: ByteLevel (alone or in a Sequence of one).
        var addPrefixSpace = false
        var useRegex = true
        var pre = file.root["pre_tokenizer"]
        if let sequence = pre as? [String: Any], sequence["type"] as? String == "Sequence" {
            let list = sequence["pretokenizers"] as? [Any] ?? []
            guard list.count == 1 else {
                throw TokenizerError.malformedFile(
                    field: "pre_tokenizer.pretokenizers", reason: "must hold exactly one ByteLevel pre-tokenizer")
            }
            pre = list[0]
        }
        guard let preObject = pre as? [String: Any], preObject["type"] as? String == "ByteLevel" else {
            throw TokenizerError.malformedFile(
                field: "pre_tokenizer.type", reason: "is not 'ByteLevel'; SeqKit reads byte-level BPE only")
        }
        addPrefixSpace = preObject["add_prefix_space"] as? Bool ?? false
        useRegex = preObject["use_regex"] as? Bool ?? true
        if let decoder = file.root["decoder"], !(decoder is NSNull) {
            guard let object = decoder as? [String: Any], object["type"] as? String == "ByteLevel" else {
                throw TokenizerError.malformedFile(field: "decoder.type", reason: "is not 'ByteLevel' or null")
            }
        }
        if let post = file.root["post_processor"], !(post is NSNull) {
            guard let object = post as? [String: Any], object["type"] as? String == "ByteLevel" else {
                throw TokenizerError.malformedFile(
                    field: "post_processor.type",
                    reason: "is not 'ByteLevel' or null; SeqKit adds no template tokens")
            }
        }

        // Vocabulary: byte-level strings, or the raw content of added tokens.
        var maxID = -1
        var entries = [(Int, [UInt8])]()
        entries.reserveCapacity(vocab.count)
        for (key, value) in vocab {
            guard let id = integer(value), id >= 0, id < 1 << 24 else {
                throw TokenizerError.malformedFile(
                    field: "model.vocab[\"\(key)\"]", reason: "is not a non-negative integer id below 2^24")
            }
            let bytes: [UInt8]
            if addedContents.contains(key) {
                bytes = Array(key.utf8)
            } else if let decoded = ByteLevel.decode(key), !decoded.isEmpty {
                bytes = decoded
            } else {
                throw TokenizerError.malformedFile(
                    field: "model.vocab[\"\(key)\"]",
                    reason: "has a character outside the byte-level alphabet; this is not a byte-level BPE")
            }
            entries.append((id, bytes))
            maxID = max(maxID, id)
        }
        for token in added where token.id >= 1 << 24 {
            throw TokenizerError.malformedFile(field: "added_tokens", reason: "has id \(token.id), above 2^24")
        }
        maxID = max(maxID, added.map(\.id).max() ?? -1)
        var pieces = [[UInt8]?](repeating: nil, count: maxID + 1)
        for (id, bytes) in entries {
            if pieces[id] != nil {
                throw TokenizerError.malformedFile(field: "model.vocab", reason: "gives id \(id) to two tokens")
            }
            pieces[id] = bytes
        }
        var specials = [String: Int]()
        var nonSpecial = [String: Int]()
        for token in added {
            pieces[token.id] = Array(token.content.utf8)
            if token.special { specials[token.content] = token.id } else { nonSpecial[token.content] = token.id }
        }

        // Merges: "a b" strings or ["a", "b"] pairs.
        guard let mergeList = model["merges"] as? [Any] else {
            throw TokenizerError.malformedFile(field: "model.merges", reason: "is missing or not a list")
        }
        var lookup = [String: Int](minimumCapacity: vocab.count)
        for (key, value) in vocab { lookup[key] = integer(value) }
        var merges = [(Int32, Int32)]()
        merges.reserveCapacity(mergeList.count)
        for (i, item) in mergeList.enumerated() {
            let parts: [String]
            if let string = item as? String {
                parts = string.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else if let pair = item as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String
            {
                parts = [a, b]
            } else {
                throw TokenizerError.malformedFile(
                    field: "model.merges[\(i)]", reason: "is neither \"a b\" nor [\"a\", \"b\"]")
            }
            guard parts.count == 2, let a = lookup[parts[0]], let b = lookup[parts[1]] else {
                throw TokenizerError.malformedFile(
                    field: "model.merges[\(i)]", reason: "names a token that is not in model.vocab")
            }
            guard lookup[parts[0] + parts[1]] != nil else {
                throw TokenizerError.malformedFile(
                    field: "model.merges[\(i)]", reason: "merges into a token that is not in model.vocab")
            }
            merges.append((Int32(a), Int32(b)))
        }
        var unknown: Int32 = -1
        if let unk = model["unk_token"] as? String {
            guard let id = lookup[unk] ?? specials[unk] else {
                throw TokenizerError.malformedFile(field: "model.unk_token", reason: "is not in model.vocab")
            }
            unknown = Int32(id)
        }
        self.init(
            pieces: pieces, merges: merges, specialTokens: specials, addedTokens: nonSpecial,
            normalization: try file.normalization(), invalidUTF8: invalidUTF8, addPrefixSpace: addPrefixSpace,
            useRegex: useRegex, ignoreMerges: model["ignore_merges"] as? Bool ?? false, unknownID: unknown)
    }

    /// The `tokenizer.json` object in the Hugging Face format.
    func fileJSON() -> [String: Any] {
        var vocab = [String: Int]()
        var whole = [(content: String, id: Int, special: Bool)]()
        for (content, id) in specialTokens { whole.append((content, id, true)) }
        for (content, id) in addedTokens { whole.append((content, id, false)) }
        let wholeIDs = Set(whole.map(\.id))
        for (id, piece) in pieces.enumerated() {
            guard let piece, !wholeIDs.contains(id) else { continue }
            vocab[ByteLevel.encode(piece)] = id
        }
        for token in whole where vocab[token.content] == nil { vocab[token.content] = token.id }
        let mergeStrings = merges.map {
            ByteLevel.encode(pieces[Int($0.0)]!) + " " + ByteLevel.encode(pieces[Int($0.1)]!)
        }
        let byteLevel: [String: Any] = [
            "type": "ByteLevel", "add_prefix_space": addPrefixSpace, "trim_offsets": true, "use_regex": useRegex,
        ]
        let model: [String: Any] = [
            "type": "BPE", "dropout": NSNull(),
            "unk_token": unknownID >= 0 ? (try? piece(for: Int(unknownID))) ?? NSNull() : NSNull(),
            "continuing_subword_prefix": NSNull(), "end_of_word_suffix": NSNull(), "fuse_unk": false,
            "byte_fallback": false, "ignore_merges": ignoreMerges, "vocab": vocab, "merges": mergeStrings,
        ]
        return [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": TokenizerFile.addedTokensJSON(whole),
            "normalizer": TokenizerFile.normalizerJSON(normalization), "pre_tokenizer": byteLevel,
            "post_processor": NSNull(), "decoder": byteLevel, "model": model,
        ]
    }

    func serialized() throws -> Data { try TokenizerFile.serialize(fileJSON()) }
}
