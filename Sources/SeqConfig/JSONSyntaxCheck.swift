/// A strict RFC 8259 scanner run before decoding a config, because Foundation's decoders neither report where a
/// syntax error is nor refuse a key that appears twice in one object (one value would silently win).
///
/// It accepts exactly JSON (plus a leading UTF-8 byte-order mark, which editors on Windows write) and throws
/// ``ConfigError/syntax(file:line:column:problem:)`` at the first mistake, with 1-based line and column (columns
/// count Unicode scalars, as editors do).
///
/// ```swift
/// try checkJSONSyntax(Array(#"{"a": 1, "a": 2}"#.utf8), file: "c.json")
/// // c.json:1:10: 'a' appears twice in the same object; keep one of them
/// ```
func checkJSONSyntax(_ bytes: [UInt8], file: String) throws {
    var scanner = JSONScanner(bytes: bytes, file: file)
    try scanner.document()
}

/// The bytes of `data` without a leading UTF-8 byte-order mark.
func withoutByteOrderMark(_ bytes: [UInt8]) -> [UInt8] {
    bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
}

private struct JSONScanner {
    let bytes: [UInt8]
    let file: String
    var index = 0
    /// Objects and arrays nest at most this deep, so a hostile file cannot exhaust the stack.
    static let maximumDepth = 256

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func document() throws {
        skipWhitespace()
        if index == bytes.count { throw failure("the file is empty; a config is an object such as {}") }
        try value(path: "", depth: 0)
        skipWhitespace()
        if index < bytes.count {
            throw failure("unexpected text after the end of the top-level value; remove it")
        }
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { index += 1 }
    }

    private mutating func value(path: String, depth: Int) throws {
        guard let c = current else { throw failure("the file ends where a value should be") }
        switch c {
        case UInt8(ascii: "{"): try object(path: path, depth: depth + 1)
        case UInt8(ascii: "["): try array(path: path, depth: depth + 1)
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: throw unexpected(c, expecting: "a value (a string, number, object, list, true, false or null)")
        }
    }

    private mutating func object(path: String, depth: Int) throws {
        if depth > Self.maximumDepth { throw failure("objects and lists nest deeper than \(Self.maximumDepth)") }
        index += 1  // {
        var seen: Set<String> = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            guard let c = current else { throw failure("the file ends inside an object; a '}' is missing") }
            if c == UInt8(ascii: "}") { throw failure("trailing comma before '}'; remove the comma") }
            guard c == UInt8(ascii: "\"") else { throw unexpected(c, expecting: "a key in double quotes") }
            let keyStart = index
            let key = try string()
            let keyPath = path.isEmpty ? key : "\(path).\(key)"
            if !seen.insert(key).inserted {
                index = keyStart
                throw failure("'\(keyPath)' appears twice in the same object; keep one of them")
            }
            skipWhitespace()
            guard let colon = current else { throw failure("the file ends after the key '\(keyPath)'") }
            guard colon == UInt8(ascii: ":") else { throw unexpected(colon, expecting: "':' after the key") }
            index += 1
            skipWhitespace()
            try value(path: keyPath, depth: depth)
            skipWhitespace()
            guard let next = current else { throw failure("the file ends inside an object; a '}' is missing") }
            index += 1
            if next == UInt8(ascii: "}") { return }
            if next != UInt8(ascii: ",") {
                index -= 1
                throw unexpected(next, expecting: "',' or '}' after the value of '\(keyPath)'")
            }
        }
    }

    private mutating func array(path: String, depth: Int) throws {
        if depth > Self.maximumDepth { throw failure("objects and lists nest deeper than \(Self.maximumDepth)") }
        index += 1  // [
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return
        }
        var position = 0
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "]") { throw failure("trailing comma before ']'; remove the comma") }
            try value(path: "\(path)[\(position)]", depth: depth)
            position += 1
            skipWhitespace()
            guard let next = current else { throw failure("the file ends inside a list; a ']' is missing") }
            index += 1
            if next == UInt8(ascii: "]") { return }
            if next != UInt8(ascii: ",") {
                index -= 1
                throw unexpected(next, expecting: "',' or ']' in a list")
            }
        }
    }

    /// Scans a string literal and returns its decoded text (used to compare keys).
    private mutating func string() throws -> String {
        let start = index
        index += 1  // "
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        while true {
            guard let c = current else {
                index = start
                throw failure("this string has no closing '\"'")
            }
            if c == UInt8(ascii: "\"") {
                index += 1
                break
            }
            if c < 0x20 {
                throw failure(
                    "a control character (such as a line break or tab) inside a string; write it as \\n or \\t")
            }
            if c != UInt8(ascii: "\\") {
                raw.append(c)
                index += 1
                continue
            }
            if !raw.isEmpty {
                scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
                raw.removeAll()
            }
            index += 1
            guard let escape = current else { throw failure("the file ends inside a string") }
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code: UInt32 = 0
                for _ in 0..<4 {
                    guard let h = current, let digit = hexValue(h) else {
                        throw failure("\\u must be followed by four hex digits")
                    }
                    code = code * 16 + digit
                    index += 1
                }
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                index -= 2
                throw failure("unknown escape '\\\(Character(Unicode.Scalar(escape)))' in a string")
            }
        }
        if !raw.isEmpty { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars) }
        return String(scalars)
    }

    private mutating func number() throws {
        let start = index
        if current == UInt8(ascii: "-") { index += 1 }
        guard let first = current, isDigit(first) else {
            index = start
            throw failure("a number needs digits after '-'")
        }
        if first == UInt8(ascii: "0") {
            index += 1
            if let c = current, isDigit(c) {
                index = start
                throw failure("a number cannot start with 0 (write 7, not 07)")
            }
        } else {
            while let c = current, isDigit(c) { index += 1 }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard let c = current, isDigit(c) else { throw failure("a number needs digits after '.' (write 1.0)") }
            while let c = current, isDigit(c) { index += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard let c = current, isDigit(c) else { throw failure("a number needs digits after its exponent 'e'") }
            while let c = current, isDigit(c) { index += 1 }
        }
    }

    private mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        if bytes[index...].starts(with: expected) {
            index += expected.count
            if let c = current, isLetter(c) {
            } else {
                return
            }
        }
        throw failure("not a JSON value; values are strings in double quotes, numbers, true, false or null")
    }

    private func unexpected(_ c: UInt8, expecting: String) -> ConfigError {
        switch c {
        case UInt8(ascii: "/"):
            return failure("comments are not allowed in JSON; remove them")
        case UInt8(ascii: "'"):
            return failure("strings and keys need double quotes, not single quotes")
        case _ where isLetter(c):
            return failure("expected \(expecting); text needs double quotes (NaN and Infinity are not JSON)")
        default:
            return failure("expected \(expecting), found '\(Character(Unicode.Scalar(c)))'")
        }
    }

    /// The error at the current position, with its line and column.
    private func failure(_ problem: String) -> ConfigError {
        var line = 1
        var column = 1
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        for byte in bytes[start..<max(start, min(index, bytes.count))] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return ConfigError.syntax(file: file, line: line, column: column, problem: problem)
    }
}

private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
private func isLetter(_ c: UInt8) -> Bool {
    (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
}
private func hexValue(_ c: UInt8) -> UInt32? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0"))
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c - UInt8(ascii: "a") + 10)
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c - UInt8(ascii: "A") + 10)
    default: return nil
    }
}
