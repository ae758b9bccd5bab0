/// A backslash escape in a `--prompt` or `--stop` value that is not one `seqsample` knows.
struct EscapeError: Error, CustomStringConvertible {
    let description: String
}

/// `text` with the escapes a shell passes through literally turned into the characters they name, so that
/// `--stop "\n\n"` stops at a blank line: `\n`, `\t`, `\r`, `\0`, `\\`, `\"`, `\'` and `\u{…}` / `\uXXXX`
/// (one to eight hex digits inside braces, exactly four without). `flag` names the option in the error for an
/// escape it does not know, which tells the user to double the backslash or pass `--raw`.
///
/// `try unescape(#"a\n\u00E9"#, flag: "--stop") == "a\né"`
func unescape(_ text: String, flag: String) throws -> String {
    guard text.contains("\\") else { return text }
    var out = String.UnicodeScalarView()
    var scalars = text.unicodeScalars.makeIterator()
    func bad(_ escape: String, _ why: String) -> EscapeError {
        EscapeError(
            description: "\(flag) has '\\\(escape)', \(why); use \\n \\t \\r \\0 \\\\ \\\" \\' or \\uXXXX, "
                + "write '\\\\' for a backslash, or pass --raw to take the text as it is")
    }
    while let scalar = scalars.next() {
        guard scalar == "\\" else {
            out.append(scalar)
            continue
        }
        guard let code = scalars.next() else { throw bad("", "a backslash at the end") }
        switch code {
        case "n": out.append("\n")
        case "t": out.append("\t")
        case "r": out.append("\r")
        case "0": out.append("\0")
        case "\\", "\"", "'": out.append(code)
        case "u":
            var digits = ""
            var braced = false
            var closed = false
            if let first = scalars.next() {
                if first == "{" { braced = true } else { digits.unicodeScalars.append(first) }
            }
            while braced ? digits.count <= 8 : digits.count < 4, let next = scalars.next() {
                if braced && next == "}" {
                    closed = true
                    break
                }
                digits.unicodeScalars.append(next)
            }
            let shown = braced ? "u{\(digits)\(closed ? "}" : "")" : "u\(digits)"
            guard !braced || closed, (1...8).contains(digits.count), braced || digits.count == 4,
                digits.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit })
            else { throw bad(shown, "which is not four hex digits (or one to eight in braces)") }
            guard let value = UInt32(digits, radix: 16), let named = Unicode.Scalar(value) else {
                throw bad(shown, "which is not a Unicode scalar value")
            }
            out.append(named)
        default:
            throw bad(String(code), "which is not an escape seqsample knows")
        }
    }
    return String(out)
}
