import Foundation

/// A configuration mistake a user can make, with a message that says what to do next.
///
/// ```swift
/// ConfigError.unknownKey(path: "model", key: "hiden", suggestion: "hidden").description
/// // "unknown config key 'model.hiden'; did you mean 'hidden'?"
/// ```
public enum ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A key that no field of the section has.
    case unknownKey(path: String, key: String, suggestion: String?)
    /// A value that breaks a rule, such as a negative learning rate.
    case invalidValue(key: String, rule: String)
    /// The file is not JSON, or a value has the wrong type.
    case malformed(file: String, reason: String)
    /// A value of the wrong JSON type: `expected` is how a user would say the right one ("a whole number").
    case wrongType(file: String, key: String, expected: String)
    /// A config whose estimated memory (`needed` bytes, nil when it overflows `Int`) exceeds the `available`
    /// bytes; `largest` names the biggest term and `fix` the key to lower.
    case tooLarge(needed: Int?, largest: String, available: Int, fix: String)
    /// A JSON syntax mistake or a duplicated key, at a 1-based line and column of the file.
    case syntax(file: String, line: Int, column: Int, problem: String)
    /// A `--set key.path=value` override whose value does not fit its key; `reason` says what to write instead.
    case override(text: String, reason: String)

    public var description: String {
        switch self {
        case .unknownKey(let path, let key, let suggestion):
            let full = path.isEmpty ? key : "\(path).\(key)"
            return "unknown config key '\(full)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
        case .invalidValue(let key, let rule):
            return "invalid value for '\(key)': \(rule)"
        case .malformed(let file, let reason):
            return "\(file) is not a valid config: \(reason); fix the JSON and run again"
        case .wrongType(let file, let key, let expected):
            return "\(file) is not a valid config: '\(key)' should be \(expected); fix the JSON and run again"
        case .tooLarge(let needed, let largest, let available, let fix):
            let amount = needed.map { "about \(formatBytes($0))" } ?? "more memory than can be counted"
            return "the config needs \(amount) (largest: \(largest)) but \(formatBytes(available)) is available; \(fix)"
        case .syntax(let file, let line, let column, let problem):
            return "\(file):\(line):\(column): \(problem)"
        case .override(let text, let reason):
            return "--set \(text): \(reason)"
        }
    }
}

/// A coding key that accepts any string, used to list the keys a JSON object really has.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws ``ConfigError/unknownKey(path:key:suggestion:)`` for the first key of this JSON object
    /// that `Keys` does not name, suggesting the nearest valid key.
    ///
    /// Call it first in a config type's `init(from:)`:
    /// ```swift
    /// try decoder.rejectUnknownKeys(CodingKeys.self)
    /// ```
    public func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        let valid = Keys.allCases.map(\.stringValue)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
        where !valid.contains(key.stringValue) {
            let path = codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigError.unknownKey(
                path: path, key: key.stringValue, suggestion: nearestKey(to: key.stringValue, in: valid))
        }
    }
}

/// The candidate closest to `key` by edit distance (case-insensitive), if any is close enough to be a typo;
/// failing that, the one `key` abbreviates (its camel-case initials, as `lr` for `learningRate`, or a prefix).
///
/// `nearestKey(to: "learningrate", in: ["learningRate", "seed"]) == "learningRate"`
/// `nearestKey(to: "lr", in: ["learningRate", "seed"]) == "learningRate"`
public func nearestKey(to key: String, in candidates: [String]) -> String? {
    if let typo = nearestByEditDistance(to: key, in: candidates) { return typo }
    let lowered = key.lowercased()
    guard lowered.count >= 2 else { return nil }
    let abbreviated = candidates.filter { candidate in
        let initials = String(candidate.prefix(1) + candidate.dropFirst().filter(\.isUppercase)).lowercased()
        return initials == lowered || candidate.lowercased().hasPrefix(lowered)
    }
    return abbreviated.count == 1 ? abbreviated[0] : nil
}

private func nearestByEditDistance(to key: String, in candidates: [String]) -> String? {
    let lowered = Array(key.lowercased().utf8)
    var best: (String, Int)?
    for candidate in candidates {
        let d = editDistance(lowered, Array(candidate.lowercased().utf8))
        if best == nil || d < best!.1 { best = (candidate, d) }
    }
    guard let (candidate, distance) = best else { return nil }
    return distance <= max(2, key.utf8.count / 3) ? candidate : nil
}

/// Levenshtein distance between two byte strings.
func editDistance(_ a: [UInt8], _ b: [UInt8]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// Decodes a config type from JSON bytes, turning decoding failures into one-line ``ConfigError``s.
///
/// ```swift
/// let config = try decodeConfig(TrainingConfig.self, from: data, file: "tiny-gpt.json")
/// ```
public func decodeConfig<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
    let bytes = withoutByteOrderMark(Array(data))
    try checkJSONSyntax(bytes, file: file)
    do {
        return try JSONDecoder().decode(T.self, from: Data(bytes))
    } catch let error as ConfigError {
        throw error
    } catch DecodingError.typeMismatch(let expected, let context) {
        throw ConfigError.wrongType(file: file, key: dotted(context.codingPath), expected: describe(expected))
    } catch DecodingError.valueNotFound(let expected, let context) {
        throw ConfigError.malformed(
            file: file, reason: "'\(dotted(context.codingPath))' is null; give \(describe(expected))")
    } catch DecodingError.dataCorrupted(let context) {
        let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        let reason = underlying ?? context.debugDescription
        let at = context.codingPath.isEmpty ? "" : " at '\(dotted(context.codingPath))'"
        throw ConfigError.malformed(file: file, reason: reason + at)
    } catch DecodingError.keyNotFound(let key, let context) {
        throw ConfigError.malformed(file: file, reason: "missing '\(dotted(context.codingPath + [key]))'")
    } catch {
        throw ConfigError.malformed(file: file, reason: "\(error)")
    }
}

private func dotted(_ path: [any CodingKey]) -> String {
    path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        .replacingOccurrences(of: ".[", with: "[")
}

private func describe(_ type: Any.Type) -> String {
    switch type {
    case is Int.Type: return "a whole number"
    case is Double.Type, is Float.Type: return "a number"
    case is Bool.Type: return "true or false"
    case is String.Type: return "a string"
    case is [String].Type: return "a list of strings"
    case is [Int].Type: return "a list of whole numbers"
    case is [Double].Type, is [Float].Type: return "a list of numbers"
    case is [Any].Type: return "a list"
    case is [String: Any].Type: return "an object { ... }"
    case is any FixedWidthInteger.Type: return "a whole number"
    case is any BinaryFloatingPoint.Type: return "a number"
    // Never a Swift type name: users write JSON, not Swift.
    default: return "a different kind of JSON value"
    }
}
