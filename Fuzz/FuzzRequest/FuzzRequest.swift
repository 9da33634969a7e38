import ChatFormat
import Foundation
import FuzzDriver
@testable import OpenAIServer

/// libFuzzer entry: any bytes as the body of `POST /v1/chat/completions` and of
/// `POST /v1/completions`, decoded as the routes do (JSON parser, then the request types).
/// Each must decode or throw an `APIError` (a 400 naming the field); a decoded chat request is
/// rendered into a prompt.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard let json = try? JSONParser.parse(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    let options = ServerOptions()
    do {
        let body = try FieldReader(json)
        let chat = try ChatCompletionRequest(body, options: options, maxContext: 4096)
        _ = try? ChatTemplate.render(messages: chat.messages, tools: chat.tools, addGenerationPrompt: true)
    } catch is APIError {
    } catch {
        preconditionFailure("chat request: an error that is not an APIError: \(error)")
    }
    do {
        _ = try CompletionRequest(try FieldReader(json), options: options, maxContext: 4096, vocabularySize: 512)
    } catch is APIError {
    } catch {
        preconditionFailure("completion request: an error that is not an APIError: \(error)")
    }
    return 0
}

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzRequest))
    }
}
