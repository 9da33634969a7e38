import Foundation
import FuzzDriver
import Tokenization

/// libFuzzer entry: any bytes as a tokenizer.json. Loading must succeed or throw a
/// `TokenizerError`; a loaded tokenizer must encode and decode a fixed text without trapping
/// (its regexes run under their step budget).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    do {
        let tokenizer = try Tokenizer(tokenizerJSON: bytes, source: "tokenizer.json")
        exercise(tokenizer)
    } catch is TokenizerError {
    } catch {
        preconditionFailure("tokenizer.json: an error that is not a TokenizerError: \(error)")
    }
    return 0
}

/// Encodes and decodes a text that touches every pre-tokenizer class.
func exercise(_ tokenizer: Tokenizer) {
    let text = "Hello, world! I'm 12345 \u{00E9}t\u{00E9} \u{4F60}\u{597D}  \n\t<|endoftext|> x"
    guard let ids = try? tokenizer.encode(text, addSpecialTokens: true) else { return }
    _ = try? tokenizer.decode(ids)
    _ = try? tokenizer.decode(ids, skipSpecialTokens: true)
    _ = tokenizer.vocabularySize
}

@main
enum FuzzMain {
    static func main() { exit(minimax_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv)) }
}
