/// The small JSON reader behind the safetensors header: strict RFC 8259 grammar, keys kept in file order,
/// duplicate keys kept (the caller rejects them), nesting limited, and numbers kept as their text so that
/// integers are read exactly.
///
/// `try SafeTensorsJSON.parse(Array(#"{"a": [1, 2]}"#.utf8)[...])  // .object([("a", .array([...]))])`
enum SafeTensorsJSON: Equatable {
    case object([(String, SafeTensorsJSON)])
    case array([SafeTensorsJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// A syntax error at byte `offset` of the header.
    struct ParseError: Error {
        let message: String
        let offset: Int
    }

    /// Deepest nesting accepted; a safetensors header needs 3.
    static let maximumDepth = 32

    static func == (a: SafeTensorsJSON, b: SafeTensorsJSON) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let x), .array(let y)): return x == y
        case (.string(let x), .string(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        default: return false
        }
    }

    /// The value if it is a JSON integer 0 ≤ n ≤ Int.max written without fraction or exponent, else nil.
    var nonNegativeInt: Int? {
        guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return nil
        }
        return Int(text)
    }

    /// A short description for error messages: `-1`, `"x"`, `an array`.
    var summary: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string(let s): "\"\(s.prefix(20))\""
        case .number(let n): String(n.prefix(24))
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        }
    }

    /// Parses one JSON value filling all of `bytes` (surrounding whitespace allowed).
    static func parse(_ bytes: ArraySlice<UInt8>) throws -> SafeTensorsJSON {
        var parser = Parser(bytes: bytes, position: bytes.startIndex)
        parser.skipSpace()
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.endIndex else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    /// A cursor over the header bytes.
    struct Parser {
        let bytes: ArraySlice<UInt8>
        var position: Int

        func error(_ message: String) -> ParseError {
            ParseError(message: message, offset: position - bytes.startIndex)
        }

        var current: UInt8? { position < bytes.endIndex ? bytes[position] : nil }

        mutating func skipSpace() {
            while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws {
            guard current == byte else { throw error("expected \(what)") }
            position += 1
        }

        mutating func value(depth: Int) throws -> SafeTensorsJSON {
            guard depth < SafeTensorsJSON.maximumDepth else { throw error("nesting deeper than \(maximumDepth)") }
            guard let c = current else { throw error("unexpected end of header") }
            switch c {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected character")
            }
        }

        mutating func literal(_ word: String) throws {
            for byte in word.utf8 {
                guard current == byte else { throw error("invalid literal, expected \(word)") }
                position += 1
            }
        }

        mutating func object(depth: Int) throws -> SafeTensorsJSON {
            position += 1  // {
            var members: [(String, SafeTensorsJSON)] = []
            skipSpace()
            if current == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipSpace()
                guard current == UInt8(ascii: "\"") else { throw error("expected a string key") }
                let key = try string()
                skipSpace()
                try expect(UInt8(ascii: ":"), "':'")
                skipSpace()
                members.append((key, try value(depth: depth + 1)))
                skipSpace()
                if current == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                try expect(UInt8(ascii: "}"), "',' or '}'")
                return .object(members)
            }
        }

        mutating func array(depth: Int) throws -> SafeTensorsJSON {
            position += 1  // [
            var items: [SafeTensorsJSON] = []
            skipSpace()
            if current == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                if current == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                try expect(UInt8(ascii: "]"), "',' or ']'")
                return .array(items)
            }
        }

        /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, returned as text.
        mutating func number() throws -> String {
            let start = position
            func digits(_ parser: inout Parser) -> Int {
                var n = 0
                while let c = parser.current, c >= 0x30 && c <= 0x39 {
                    parser.position += 1
                    n += 1
                }
                return n
            }
            if current == UInt8(ascii: "-") { position += 1 }
            if current == UInt8(ascii: "0") {
                position += 1
            } else if digits(&self) == 0 {
                throw error("invalid number")
            }
            if current == UInt8(ascii: ".") {
                position += 1
                guard digits(&self) > 0 else { throw error("invalid number: no digits after '.'") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard digits(&self) > 0 else { throw error("invalid number: no digits in exponent") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let c = current else { throw error("unexpected end in \\u escape") }
                let digit: UInt32
                switch c {
                case 0x30...0x39: digit = UInt32(c - 0x30)
                case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
                default: throw error("invalid hex digit in \\u escape")
                }
                value = value << 4 | digit
                position += 1
            }
            return value
        }

        /// A string literal: escapes decoded, raw bytes required to be valid UTF-8 without control characters.
        mutating func string() throws -> String {
            position += 1  // opening quote
            var out: [UInt8] = []
            var runStart = position
            while true {
                guard let c = current else { throw error("unterminated string") }
                if c == UInt8(ascii: "\"") {
                    out.append(contentsOf: bytes[runStart..<position])
                    position += 1
                    break
                }
                if c < 0x20 { throw error("control character in string") }
                if c != UInt8(ascii: "\\") {
                    position += 1
                    continue
                }
                out.append(contentsOf: bytes[runStart..<position])
                position += 1
                guard let escape = current else { throw error("unterminated escape") }
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard current == UInt8(ascii: "\\") else { throw error("unpaired surrogate") }
                        position += 1
                        guard current == UInt8(ascii: "u") else { throw error("unpaired surrogate") }
                        position += 1
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw error("unpaired surrogate")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw error("invalid escape")
                }
                runStart = position
            }
            guard let text = String(validating: out, as: UTF8.self) else { throw error("string is not valid UTF-8") }
            return text
        }
    }
}
