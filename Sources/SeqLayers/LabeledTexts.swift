import Foundation
import SeqTensor
import SeqTokenizers

/// A labelled text data set for classification, read from JSONL (`{"text": "…", "label": "comedy"}` per line)
/// or from tab-separated lines (`text<TAB>label`).
///
/// ```swift
/// let train = try LabeledTexts(contentsOf: URL(fileURLWithPath: "Corpora/shakespeare-genres/train.jsonl"))
/// let ids = try train.tokenMatrix(tokenizer: tokenizer, length: 128)     // (N, 128)
/// let y = train.labelTensor(classes: train.classes)                     // (N), class indices
/// ```
public struct LabeledTexts: Sendable, Equatable {
    /// The texts.
    public var texts: [String]
    /// Each text's label.
    public var labels: [String]

    /// A data set from parallel lists.
    public init(texts: [String], labels: [String]) {
        precondition(texts.count == labels.count, "\(texts.count) texts but \(labels.count) labels")
        self.texts = texts
        self.labels = labels
    }

    /// Reads a `.jsonl` file (one object with string `text` and `label` per line) or any other file as
    /// `text<TAB>label` lines (the label after the last tab). Blank lines are skipped; anything else malformed is
    /// an error naming the file and line.
    public init(contentsOf url: URL) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw ModelError.badArgument(url.path, "cannot be read: check the path")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ModelError.badArgument(url.path, "is not valid UTF-8")
        }
        let jsonl = url.pathExtension.lowercased() == "jsonl"
        var (texts, labels) = ([String](), [String]())
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.allSatisfy(\.isWhitespace) { continue }
            let place = "\(url.path):\(i + 1)"
            if jsonl {
                struct Row: Decodable {
                    var text: String
                    var label: String
                }
                guard let row = try? JSONDecoder().decode(Row.self, from: Data(line.utf8)) else {
                    throw ModelError.badArgument(
                        place, "is not a JSON object with string \"text\" and \"label\" (write labels as strings)")
                }
                texts.append(row.text)
                labels.append(row.label)
            } else {
                guard let tab = line.lastIndex(of: "\t") else {
                    throw ModelError.badArgument(place, "has no tab: write text<TAB>label, or use a .jsonl file")
                }
                let label = line[line.index(after: tab)...].trimmingCharacters(in: .whitespaces)
                guard !label.isEmpty else { throw ModelError.badArgument(place, "has an empty label") }
                texts.append(String(line[..<tab]))
                labels.append(label)
            }
        }
        guard !texts.isEmpty else { throw ModelError.badArgument(url.path, "holds no labelled texts") }
        self.init(texts: texts, labels: labels)
    }

    /// The labels that occur, sorted (a class's index is its place here).
    public var classes: [String] { Array(Set(labels)).sorted() }

    /// The labels as class indices into `classes`, shape (N); a label not in `classes` is an error naming it.
    public func labelTensor(classes: [String]) throws -> Tensor {
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, Float($0)) })
        return Tensor(
            shape: [labels.count],
            values: try labels.map { label in
                guard let i = index[label] else {
                    throw ModelError.badArgument(
                        "labels", "'\(label)' is not one of the classes \(classes.joined(separator: ", "))")
                }
                return i
            })
    }

    /// Token ids of every text, (N, length): the first `length` tokens of each text, padded at the front with
    /// `padID` (so a recurrent layer's final state has just read the text).
    public func tokenMatrix(tokenizer: any Tokenizer, length: Int, padID: Int = 0) throws -> Tensor {
        precondition(length > 0, "length must be positive")
        let out = Tensor(zeros: [texts.count, length])
        for (r, text) in texts.enumerated() {
            let ids = try tokenizer.encode(text).prefix(length)
            let row = out.pointer + r * length
            let start = length - ids.count
            for j in 0..<start { row[j] = Float(padID) }
            for (j, id) in ids.enumerated() { row[start + j] = Float(id) }
        }
        return out
    }

    /// The texts and labels whose label is in `keep`, in order.
    public func filtered(_ keep: Set<String>) -> LabeledTexts {
        let rows = labels.indices.filter { keep.contains(labels[$0]) }
        return LabeledTexts(texts: rows.map { texts[$0] }, labels: rows.map { labels[$0] })
    }
}
