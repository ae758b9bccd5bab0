import ArgumentParser
import Foundation

extension ParsableCommand {
    /// Parses the command line and runs the command as ArgumentParser's `main()` does, except that a mistake
    /// on the command line — an unknown flag, a value that does not parse, a missing argument, a failed
    /// `validate()` — is one line on standard error and exit status 64, not the message followed by the
    /// usage block. An unknown flag suggests the flag it abbreviates (`--temp` → `--temperature`) before
    /// the nearest by spelling. `--help` and `--version` print as usual.
    ///
    /// ```swift
    /// @main struct SeqSample: ParsableCommand {
    ///     static func main() { mainReportingOneLine() }
    /// }
    /// ```
    package static func mainReportingOneLine(_ arguments: [String] = Array(CommandLine.arguments.dropFirst()))
        -> Never
    {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot(arguments)
        } catch {
            failOneLine(error, arguments: arguments)
        }
        do {
            try command.run()
        } catch {
            failOneLine(error, arguments: arguments)
        }
        Foundation.exit(ExitCode.success.rawValue)
    }

    /// Prints `error` as one line (or help for a help request) and exits with its code.
    private static func failOneLine(_ error: any Error, arguments: [String]) -> Never {
        let code = exitCode(for: error)
        if code == .success { exit(withError: error) }  // --help, --version: ArgumentParser prints them
        if error is ExitCode { Foundation.exit(code.rawValue) }  // the command has said why already
        let line = CommandLineMistake(tool: Self.self, arguments: arguments).describe(message(for: error))
        FileHandle.standardError.write(Data((line + "\n").utf8))
        Foundation.exit(code.rawValue)
    }
}

/// Turns ArgumentParser's message for a command-line mistake into SeqKit's one-line form.
struct CommandLineMistake {
    /// The tool's name (`seqsample`) followed by the subcommand named on the command line, if any.
    let commandNames: [String]
    /// The long flags of that (sub)command with their default values (`"max-tokens": "256"`).
    let flags: [(name: String, defaultValue: String?)]

    init(tool: any ParsableCommand.Type, arguments: [String]) {
        let root = (try? JSONSerialization.jsonObject(with: Data(tool._dumpHelp().utf8))) as? [String: Any]
        var command = root?["command"] as? [String: Any] ?? [:]
        var names = [command["commandName"] as? String ?? tool.configuration.commandName ?? "tool"]
        for argument in arguments.prefix(while: { !$0.hasPrefix("-") }) {
            let subcommands = command["subcommands"] as? [[String: Any]] ?? []
            guard let next = subcommands.first(where: { $0["commandName"] as? String == argument }) else { break }
            command = next
            names.append(argument)
        }
        commandNames = names
        var flags: [(String, String?)] = []
        for argument in command["arguments"] as? [[String: Any]] ?? [] {
            for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                if let long = name["name"] as? String { flags.append((long, argument["defaultValue"] as? String)) }
            }
        }
        self.flags = flags
    }

    /// `message` (ArgumentParser's, possibly several lines) as `tool: error: …; see 'tool --help'`, or with the
    /// suggested flag at the end for an unknown one.
    func describe(_ message: String) -> String {
        let tool = commandNames.joined(separator: " ")
        var text = message.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
        if text.hasPrefix("Error: ") { text.removeFirst("Error: ".count) }
        if let flag = quoted(after: "Unknown option '", in: text) {
            text = "unknown option '\(flag)'" + (suggestion(for: flag).map { "; did you mean '--\($0)'?" } ?? "")
        } else if let flag = quoted(after: "' is invalid for '", in: text),
            let value = quoted(after: "The value '", in: text)
        {
            let name = String(flag.prefix(while: { $0 != " " }))
            text = "'\(value)' is not a valid value for \(name)" + expectation(for: name)
        }
        if let first = text.first, first.isUppercase, text.dropFirst().first?.isLowercase == true {
            text = first.lowercased() + text.dropFirst()
        }
        return "\(tool): error: \(text)" + (text.hasSuffix("?") ? "" : "; see '\(tool) --help'")
    }

    /// What a flag with a numeric default takes: `"; it takes a whole number such as 256"`.
    func expectation(for flag: String) -> String {
        guard let entry = flags.first(where: { "--" + $0.name == flag }), let value = entry.defaultValue else {
            return ""
        }
        if Int(value) != nil { return "; it takes a whole number such as \(value)" }
        if Double(value) != nil { return "; it takes a number such as \(value)" }
        return "; it takes a value such as \(value)"
    }

    /// The long flag (without dashes) that `flag` abbreviates, when exactly one starts with it, else the
    /// nearest by edit distance when it is close (at most a third of the letters differ).
    func suggestion(for flag: String) -> String? {
        let typed = flag.drop(while: { $0 == "-" }).prefix(while: { $0 != "=" })
        guard !typed.isEmpty else { return nil }
        let names = flags.map(\.name).filter { $0 != "help" || typed.hasPrefix("h") }
        let extensions = names.filter { $0.hasPrefix(typed) }
        if extensions.count == 1 { return extensions[0] }
        let scored = names.map { (name: $0, distance: editDistance(Array(typed), Array($0))) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        return best.distance <= max(1, typed.count / 3) ? best.name : nil
    }

    /// The text between `marker` and the next `'` in `text`.
    private func quoted(after marker: String, in text: String) -> String? {
        guard let start = text.range(of: marker)?.upperBound else { return nil }
        guard let end = text[start...].firstIndex(of: "'") else { return nil }
        return String(text[start..<end])
    }
}

/// Levenshtein distance between two character arrays.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in stride(from: 1, through: b.count, by: 1) {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
