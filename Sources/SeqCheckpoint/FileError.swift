import Foundation

/// A file or folder that cannot be read or written as needed, with what is wrong and what to do.
///
/// ```swift
/// FileError(path: "runs/x/latest", problem: "is not a SeqKit checkpoint (no manifest.json)",
///           fix: "pass a directory written by seqtrain").description
/// // "runs/x/latest is not a SeqKit checkpoint (no manifest.json); pass a directory written by seqtrain"
/// ```
public struct FileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file or folder concerned, as the user named it.
    public var path: String
    /// What is wrong, phrased to follow the path ("is not JSON", "cannot be created: Permission denied").
    public var problem: String
    /// What to do next.
    public var fix: String

    /// An error for `path` with the problem and the fix.
    public init(path: String, problem: String, fix: String) {
        self.path = path
        self.problem = problem
        self.fix = fix
    }

    /// One line: `PATH PROBLEM; FIX`.
    public var description: String { "\(path) \(problem); \(fix)" }
}

/// The text of the C `errno` value, e.g. `errnoText(ENOENT) == "No such file or directory"`.
package func errnoText(_ code: Int32) -> String { String(cString: strerror(code)) }
