import Foundation
import FuzzDriver
@testable import Tokenization

/// libFuzzer entry: the legacy layout. The input is cut at NUL bytes into vocab.json,
/// merges.txt, tokenizer_config.json and added_tokens.json (missing parts: no such file), fed
/// from memory to the loader `Tokenizer.load(directory:)` uses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLegacyTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false)
    let files = Dictionary(uniqueKeysWithValues: zip(["vocab.json", "merges.txt", "tokenizer_config.json", "added_tokens.json"],
                                                     parts.map { Data($0) }))
    do {
        let tokenizer = try LegacyTokenizerFiles.load { files[$0] }
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
    static func main() { exit(minimax_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv)) }
}
