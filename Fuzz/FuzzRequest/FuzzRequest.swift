import ChatFormat
import Foundation
import FuzzDriver
@testable import OpenAIServer

/// libFuzzer entry: any bytes as the body of `POST /v1/chat/completions` and of
/// `POST /v1/completions`, decoded as the routes do (JSON parser, then the request types). Any
/// failure must become, through `APIError.init(_:)` as the routes answer it, a 4xx that names
/// the field; a decoded chat request is rendered into a prompt.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    guard let json = try? JSONParser.parse(Array(UnsafeBufferPointer(start: data, count: size))) else { return 0 }
    let options = ServerOptions()
    do {
        let chat = try ChatCompletionRequest(try FieldReader(json), options: options, maxContext: 4096)
        if let error = catching({ _ = try ChatTemplate.render(messages: chat.messages, tools: chat.tools, addGenerationPrompt: true) }) {
            check(error, "chat request (rendering)")
        }
    } catch {
        check(error, "chat request")
    }
    do {
        _ = try CompletionRequest(try FieldReader(json), options: options, maxContext: 4096, vocabularySize: 512)
    } catch {
        check(error, "completion request")
    }
    return 0
}

private func catching(_ body: () throws -> Void) -> Error? {
    do { try body(); return nil } catch { return error }
}

/// The answer a route gives for `error` must be a client error with a message.
private func check(_ error: Error, _ what: String) {
    let answer = APIError(error)
    precondition(answer.status.code >= 400 && answer.status.code < 500 && !answer.message.isEmpty,
                 "\(what): \(error) becomes \(answer)")
}

@main
enum FuzzMain {
    static func main() { exit(minimax_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv)) }
}
