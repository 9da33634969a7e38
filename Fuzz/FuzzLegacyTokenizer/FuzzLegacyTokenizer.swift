import Foundation
import FuzzDriver
import Tokenization

/// libFuzzer entry: the legacy layout. The input is cut at NUL bytes into vocab.json,
/// merges.txt, tokenizer_config.json and added_tokens.json (missing parts: no such file),
/// written to a scratch directory and loaded with `Tokenizer.load(directory:)`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLegacyTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-legacy-\(getpid())")
    try? FileManager.default.removeItem(at: directory)
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, part) in zip(["vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"], parts) {
        FileManager.default.createFile(atPath: directory.appendingPathComponent(name).path, contents: Data(part))
    }
    do {
        let tokenizer = try Tokenizer.load(directory: directory)
        let text = "Hello, world! I'm 12345 \u{00E9}t\u{00E9}  \n<|endoftext|> x"
        if let ids = try? tokenizer.encode(text) { _ = try? tokenizer.decode(ids, skipSpecialTokens: true) }
    } catch is TokenizerError {
    } catch {
        preconditionFailure("legacy tokenizer: an error that is not a TokenizerError: \(error)")
    }
    return 0
}

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzLegacyTokenizer))
    }
}
