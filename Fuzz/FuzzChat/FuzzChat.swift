import ChatFormat
import Foundation
import FuzzDriver

/// libFuzzer entry: the input is cut at the first NUL into a messages JSON and a tools JSON
/// (the `render` command's two files). Decoding and rendering must succeed or throw a
/// `ChatFormatError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChat(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    do {
        let messages = try ChatMessage.decodeList(from: Data(parts[0]))
        let tools = parts.count > 1 ? try ChatTool.decodeList(from: Data(parts[1])) : []
        _ = try ChatTemplate.render(messages: messages, tools: tools, addGenerationPrompt: true)
    } catch is ChatFormatError {
    } catch {
        preconditionFailure("chat: an error that is not a ChatFormatError: \(error)")
    }
    return 0
}

@main
enum FuzzMain {
    static func main() { exit(minimax_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv)) }
}
