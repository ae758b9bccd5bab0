import Foundation
import SeqConfig
import SeqTokenizers
import Testing

@testable import SeqTraining

@Test func cacheDirectoryFollowsXDGThenHome() {
    let xdg = TokenizedCorpus.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"])
    #expect(xdg.path == "/x/cache/seqkit")
    // The XDG specification says a relative XDG_CACHE_HOME is invalid and must be ignored.
    let relative = TokenizedCorpus.defaultCacheDirectory(environment: ["XDG_CACHE_HOME": "cache", "HOME": "/home/u"])
    #expect(relative.path == "/home/u/.cache/seqkit")
    let home = TokenizedCorpus.defaultCacheDirectory(environment: ["HOME": "/home/u"])
    #expect(home.path == "/home/u/.cache/seqkit")
}

@Test func cacheGoesToItsFolderNotBesideTheCorpusAndAnUnwritableOneIsAWarning() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqkit-cache-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let texts = folder.appendingPathComponent("texts")
    try FileManager.default.createDirectory(at: texts, withIntermediateDirectories: true)
    let file = texts.appendingPathComponent("a.txt")
    try Data(String(repeating: "to be or not to be\n", count: 20).utf8).write(to: file)
    let corpus = try Corpus(patterns: [file.path])
    var options = TokenizerOptions()
    options.kind = .char
    let tokenizer = try trainTokenizer(options, corpus: corpus.bytes)
    let cache = folder.appendingPathComponent("cache")

    var logged: [String] = []
    var warnings: [String] = []
    let first = try TokenizedCorpus(
        corpus, tokenizer: tokenizer, tokenizerSHA256: "ab", validationFraction: 0.1, cache: true,
        cacheDirectory: cache, log: { logged.append($0) }, warn: { warnings.append($0) })
    #expect(warnings.isEmpty)
    let written = try FileManager.default.contentsOfDirectory(atPath: cache.path)
    #expect(written.count == 1 && written[0].hasSuffix("-ab.tokens"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: texts.path) == ["a.txt"])

    let second = try TokenizedCorpus(
        corpus, tokenizer: tokenizer, tokenizerSHA256: "ab", validationFraction: 0.1, cache: true,
        cacheDirectory: cache, log: { logged.append($0) }, warn: { warnings.append($0) })
    #expect(second.train == first.train && second.validation == first.validation)
    #expect(
        logged.contains { $0.hasPrefix("read \(first.train.count + first.validation.count) tokens from the cache") })

    // A cache folder that is really a file cannot be written: one warning, and the ids are still right.
    let blocker = folder.appendingPathComponent("blocker")
    try Data("x".utf8).write(to: blocker)
    let third = try TokenizedCorpus(
        corpus, tokenizer: tokenizer, tokenizerSHA256: "ab", validationFraction: 0.1, cache: true,
        cacheDirectory: blocker, log: { logged.append($0) }, warn: { warnings.append($0) })
    #expect(third.train == first.train)
    #expect(warnings.count == 1)
    #expect(warnings.first?.hasPrefix("cannot write the token cache \(blocker.path)/") == true)
    #expect(warnings.first?.contains("set data.cacheDir to a writable folder") == true)
}

@Test func cacheDirIsReadAndValidated() throws {
    let config = try TrainingConfig.decode(Data(#"{"data": {"cacheDir": "~/tokens"}}"#.utf8), file: "c.json")
    #expect(config.data.cacheDir == "~/tokens")
    #expect(config.data.cacheDirectory?.path == NSHomeDirectory() + "/tokens")
    #expect(TrainingConfig().data.cacheDirectory == nil)
    var blank = config
    blank.data.corpus = ["a.txt"]
    blank.data.cacheDir = "  "
    #expect(
        throws: ConfigError.invalidValue(
            key: "data.cacheDir", rule: "is blank; leave it out for ~/.cache/seqkit or give a folder path")
    ) {
        try blank.validate()
    }
}
