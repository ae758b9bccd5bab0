import Foundation
import SeqCheckpoint
import SeqTokenizers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The text a run trains on: the files `data.corpus` names, their bytes and hash.
///
/// Entries are files, folders (every non-hidden regular file below, sorted) or glob patterns
/// (`Corpora/*.txt`); relative paths start at the current directory.
///
/// ```swift
/// let corpus = try Corpus(patterns: ["Corpora/shakespeare.txt"])
/// corpus.bytes.count   // 5_057_321
/// ```
public struct Corpus: Sendable {
    /// The files, in the order their bytes are concatenated.
    public let files: [URL]
    /// Every file's bytes, concatenated.
    public let bytes: [UInt8]
    /// SHA-256 of `bytes`.
    public let sha256: String

    /// Reads the corpus; a missing path, an empty pattern list or empty text is a ``FileError`` that says what to do.
    public init(patterns: [String]) throws {
        let files = try Corpus.resolve(patterns)
        var bytes: [UInt8] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file.path) else {
                throw FileError(path: file.path, problem: "cannot be read", fix: "check its permissions")
            }
            bytes.append(contentsOf: data)
        }
        guard !bytes.isEmpty else {
            throw FileError(
                path: files.map(\.path).joined(separator: ", "), problem: "holds no text",
                fix: "point data.corpus at a non-empty text file")
        }
        self.files = files
        self.bytes = bytes
        self.sha256 = SHA256.hex(of: bytes)
    }

    /// The files `patterns` name, in order, each once.
    static func resolve(_ patterns: [String]) throws -> [URL] {
        guard !patterns.isEmpty else {
            throw FileError(
                path: "data.corpus", problem: "is empty",
                fix: "list at least one text file, folder or glob, e.g. \"data\": {\"corpus\": [\"Corpora/tiny.txt\"]}")
        }
        var result: [URL] = []
        var seen = Set<String>()
        func add(_ url: URL) {
            if seen.insert(url.standardizedFileURL.path).inserted { result.append(url) }
        }
        for pattern in patterns {
            if pattern.contains(where: { "*?[".contains($0) }) {
                let matches = glob(pattern)
                guard !matches.isEmpty else {
                    throw FileError(
                        path: pattern, problem: "matches no file", fix: "check the pattern in data.corpus")
                }
                matches.forEach { add(URL(fileURLWithPath: $0)) }
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: pattern, isDirectory: &isDirectory) else {
                let hint =
                    pattern.hasSuffix("shakespeare.txt")
                    ? "run Corpora/fetch-shakespeare.sh first, or point data.corpus at another file"
                    : "check data.corpus in the config (paths are relative to the current directory)"
                throw FileError(path: pattern, problem: "does not exist", fix: hint)
            }
            if isDirectory.boolValue {
                let files = regularFiles(under: URL(fileURLWithPath: pattern))
                guard !files.isEmpty else {
                    throw FileError(path: pattern, problem: "is a folder with no files", fix: "add text files to it")
                }
                files.forEach(add)
            } else {
                add(URL(fileURLWithPath: pattern))
            }
        }
        return result
    }

    private static func glob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard Glibc.glob(pattern, 0, nil, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { matches.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    private static func regularFiles(under folder: URL) -> [URL] {
        let keys: [URLResourceKey] = [.isRegularFileKey]
        guard
            let walker = FileManager.default.enumerator(
                at: folder, includingPropertiesForKeys: keys, options: [.skipsHiddenFiles])
        else { return [] }
        var files: [URL] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: Set(keys)).isRegularFile) == true {
            files.append(url)
        }
        return files.sorted { $0.path < $1.path }
    }
}

/// A corpus as token ids, split into training and validation parts.
public struct TokenizedCorpus: Sendable {
    /// Ids of the first `1 − validationFraction` of the corpus.
    public let train: [Int]
    /// Ids of the rest.
    public let validation: [Int]
    /// UTF-8 bytes per token over the whole corpus (1 for a char tokenizer on ASCII text), for bits per byte.
    public let bytesPerToken: Double

    /// Tokenizes `corpus` (or reads the ids from the cache in `cacheDirectory`, by default
    /// ``defaultCacheDirectory(environment:)``, keyed by the corpus and tokenizer hashes) and splits it. Invalid
    /// UTF-8 is an error naming the byte offset and file. A cache that cannot be written is one `warn` line
    /// (stderr by default), never a failure: the ids are already in memory.
    public init(
        _ corpus: Corpus, tokenizer: any Tokenizer, tokenizerSHA256: String, validationFraction: Double,
        cache: Bool, cacheDirectory: URL? = nil, log: (String) -> Void,
        warn: (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }
    ) throws {
        let cacheURL = TokenizedCorpus.cacheURL(
            corpus, tokenizerSHA256: tokenizerSHA256,
            in: cacheDirectory
                ?? TokenizedCorpus.defaultCacheDirectory(
                    environment: ProcessInfo.processInfo.environment))
        var ids: [Int]
        if cache, let cached = TokenizedCorpus.readCache(cacheURL) {
            ids = cached
            log("read \(ids.count) tokens from the cache \(cacheURL.path)")
        } else {
            do {
                ids = try tokenizer.encode(bytes: corpus.bytes)
            } catch let error as TokenizerError {
                throw FileError(
                    path: corpus.files.map(\.path).joined(separator: ", "), problem: "cannot be tokenized: \(error)",
                    fix: "fix the text (or set \"invalidUTF8\": \"replace\" in the tokenizer section)")
            }
            if cache { TokenizedCorpus.writeCache(ids, to: cacheURL, warn: warn) }
        }
        guard ids.count >= 2 else {
            throw FileError(
                path: corpus.files[0].path, problem: "has fewer than 2 tokens", fix: "use a longer corpus")
        }
        let split = Int((Double(ids.count) * (1 - validationFraction)).rounded())
        train = Array(ids[..<split])
        validation = Array(ids[split...])
        bytesPerToken = Double(corpus.bytes.count) / Double(ids.count)
    }

    /// Where token caches go unless `data.cacheDir` says otherwise: `$XDG_CACHE_HOME/seqkit`, else
    /// `$HOME/.cache/seqkit` — never beside the corpus, whose folder may be read-only or shared.
    /// A relative `XDG_CACHE_HOME` is ignored, as the XDG base-directory specification says.
    ///
    /// `defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/c"]).path == "/c/seqkit"`
    public static func defaultCacheDirectory(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg, isDirectory: true).appendingPathComponent("seqkit", isDirectory: true)
        }
        let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent(".cache/seqkit", isDirectory: true)
    }

    /// The cache file of `corpus` tokenized by the tokenizer with hash `tokenizerSHA256`, in `directory`.
    static func cacheURL(_ corpus: Corpus, tokenizerSHA256: String, in directory: URL) -> URL {
        directory.appendingPathComponent("\(corpus.sha256.prefix(16))-\(tokenizerSHA256.prefix(16)).tokens")
    }

    /// Cache layout: "SQTK", UInt32 version 1, UInt64 count, then Int32 little-endian ids.
    static func readCache(_ url: URL) -> [Int]? {
        guard let data = FileManager.default.contents(atPath: url.path), data.count >= 16 else { return nil }
        return data.withUnsafeBytes { raw -> [Int]? in
            guard raw.loadUnaligned(as: UInt32.self) == 0x4B54_5153,  // "SQTK"
                raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self) == 1
            else { return nil }
            let count = Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            guard count >= 0, data.count == 16 + 4 * count else { return nil }
            return (0..<count).map {
                Int(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: 16 + 4 * $0, as: Int32.self)))
            }
        }
    }

    static func writeCache(_ ids: [Int], to url: URL, warn: (String) -> Void) {
        var data = Data(capacity: 16 + 4 * ids.count)
        withUnsafeBytes(of: UInt32(0x4B54_5153).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(1).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(ids.count).littleEndian) { data.append(contentsOf: $0) }
        ids.withUnsafeBufferPointer { p in
            var packed = [Int32](repeating: 0, count: p.count)
            for i in 0..<p.count { packed[i] = Int32(p[i]).littleEndian }
            packed.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        do {
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            warn(
                "cannot write the token cache \(url.path) (\(error.localizedDescription)); continuing without it "
                    + "(set data.cacheDir to a writable folder, or data.cacheTokens to false)")
        }
    }
}
