import ChatFormat
import Hummingbird

/// `POST /tokenize` (`{"prompt": text}` or `{"messages": [...], "tools"?: [...]}` rendered as a chat
/// prompt with the generation prompt) and `POST /detokenize` (`{"tokens": [ids]}`).
struct TokenizerRoutes: Sendable {
    let server: ServerState

    struct TokensOut: Encodable {
        let tokens: [Int]
        let count: Int
        let max_model_len: Int
    }

    struct PromptOut: Encodable {
        let prompt: String
    }

    func tokenize(_ request: Request) async throws -> Response {
        var request = request
        let body = try FieldReader(await JSONCoding.readObject(&request, limit: server.options.maxBodyBytes))
        try server.checkModel(try body.string("model"))
        let text: String
        if body.has("messages") {
            guard !body.has("prompt") else { throw APIError.invalid("prompt", "give either \"prompt\" or \"messages\", not both") }
            let chat = try ChatCompletionRequest(body, options: server.options, maxContext: server.service.maxContext)
            let addGenerationPrompt = try body.bool("add_generation_prompt") ?? true
            text = try ChatTemplate.render(messages: chat.messages, tools: chat.promptTools, addGenerationPrompt: addGenerationPrompt)
        } else if let prompt = try body.string("prompt") {
            text = prompt
        } else {
            throw APIError.missing("prompt")
        }
        let ids = try server.tokenizer.encode(text)
        return try JSONCoding.response(TokensOut(tokens: ids, count: ids.count, max_model_len: server.service.maxContext))
    }

    func detokenize(_ request: Request) async throws -> Response {
        var request = request
        let body = try FieldReader(await JSONCoding.readObject(&request, limit: server.options.maxBodyBytes))
        try server.checkModel(try body.string("model"))
        guard let list = try body.array("tokens") else { throw APIError.missing("tokens") }
        let ids = try CompletionRequest.ids(list, field: "tokens", vocabularySize: server.vocabularySize)
        return try JSONCoding.response(PromptOut(prompt: try server.tokenizer.decode(ids)))
    }
}
