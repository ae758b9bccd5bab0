import Foundation

/// A layer's settings as a saved model keeps them: `{"units": 16, "activation": "relu"}`.
///
/// Reading is strict: ``int(_:)`` and its kin name the key and the layer when a value is missing or of the
/// wrong kind, and ``finish()`` refuses keys nobody read, so a hand-edited `model.json` never loads into a
/// different model than it says.
public struct LayerConfig: Codable, Sendable, Equatable {
    /// One setting.
    public enum Value: Codable, Sendable, Equatable {
        case int(Int)
        case double(Double)
        case string(String)
        case bool(Bool)
        case ints([Int])

        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let i = try? c.decode(Int.self) {
                self = .int(i)
            } else if let d = try? c.decode(Double.self) {
                self = .double(d)
            } else if let s = try? c.decode(String.self) {
                self = .string(s)
            } else if let list = try? c.decode([Int].self) {
                self = .ints(list)
            } else {
                throw DecodingError.dataCorruptedError(
                    in: c, debugDescription: "is not a number, string, boolean or list of whole numbers")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .int(let v): try c.encode(v)
            case .double(let v): try c.encode(v)
            case .string(let v): try c.encode(v)
            case .bool(let v): try c.encode(v)
            case .ints(let v): try c.encode(v)
            }
        }
    }

    /// The settings by key.
    public var values: [String: Value] = [:]
    /// Which layer the settings are for, in error messages (not saved).
    var owner = ""

    /// Empty settings.
    public init() {}

    /// Settings from key–value pairs: `LayerConfig(["units": .int(16)])`.
    public init(_ values: [String: Value]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: Value].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(values)
    }

    public static func == (a: LayerConfig, b: LayerConfig) -> Bool { a.values == b.values }

    /// Sets a value: `config["units"] = .int(16)`.
    public subscript(key: String) -> Value? {
        get { values[key] }
        set { values[key] = newValue }
    }

    private var read: Set<String> = []

    private mutating func take(_ key: String) -> Value? {
        read.insert(key)
        return values[key]
    }

    private func wrong(_ key: String, _ kind: String) -> ModelError {
        .malformedModel("layer '\(owner)': \"\(key)\" must be \(kind)")
    }

    /// A whole number (required unless `default` is given).
    public mutating func int(_ key: String, default fallback: Int? = nil) throws -> Int {
        switch take(key) {
        case .int(let v): return v
        case nil: if let fallback { return fallback }
        default: break
        }
        throw wrong(key, "a whole number")
    }

    /// A number.
    public mutating func double(_ key: String, default fallback: Double? = nil) throws -> Double {
        switch take(key) {
        case .int(let v): return Double(v)
        case .double(let v): return v
        case nil: if let fallback { return fallback }
        default: break
        }
        throw wrong(key, "a number")
    }

    /// A string.
    public mutating func string(_ key: String, default fallback: String? = nil) throws -> String {
        switch take(key) {
        case .string(let v): return v
        case nil: if let fallback { return fallback }
        default: break
        }
        throw wrong(key, "a string")
    }

    /// A boolean.
    public mutating func bool(_ key: String, default fallback: Bool? = nil) throws -> Bool {
        switch take(key) {
        case .bool(let v): return v
        case nil: if let fallback { return fallback }
        default: break
        }
        throw wrong(key, "true or false")
    }

    /// A list of whole numbers, or nil when absent.
    public mutating func ints(_ key: String) throws -> [Int]? {
        switch take(key) {
        case .ints(let v): return v
        case nil: return nil
        default: throw wrong(key, "a list of whole numbers")
        }
    }

    /// A value of a string enumeration (`"activation": "relu"`), naming the choices when it is not one.
    public mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, default fallback: T) throws -> T
    where T.RawValue == String {
        let raw = try string(key, default: fallback.rawValue)
        guard let value = T(rawValue: raw) else {
            let choices = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw ModelError.malformedModel("layer '\(owner)': \"\(key)\" is '\(raw)', not one of \(choices)")
        }
        return value
    }

    /// Refuses keys that were never read.
    public func finish() throws {
        if let extra = values.keys.sorted().first(where: { !read.contains($0) }) {
            throw ModelError.malformedModel("layer '\(owner)': unknown setting \"\(extra)\"")
        }
    }
}
