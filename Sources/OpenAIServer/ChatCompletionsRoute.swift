import ChatFormat
import Foundation
import Hummingbird
import Serving

/// `POST /v1/chat/completions`: render the conversation with the M1 template, tokenize, one job
/// per choice, and answer as one object or as server-sent chunks.
struct ChatCompletionsRoute: Sendable {
    let server: ServerState

    func handle(_ request: Request) async throws -> Response {
        var request = request
        let body = try FieldReader(await JSONCoding.readObject(&request, limit: server.options.maxBodyBytes))
        let chat = try ChatCompletionRequest(body, options: server.options, maxContext: server.service.maxContext)
        try server.checkModel(chat.model)
        let prompt = try ChatTemplate.render(messages: chat.messages, tools: chat.promptTools, addGenerationPrompt: true)
        let promptIDs = try server.tokenizer.encode(prompt)
        let jobs = try chat.sampling.jobs(
            promptIDs: promptIDs, defaults: server.defaults, topLogprobs: chat.topLogprobs,
            maxContext: server.service.maxContext, defaultMaxTokens: nil)
        let running = try JobSet.submit(jobs, to: server.service)
        let id = RandomID.make(prefix: "chatcmpl-")
        let created = Int(Date().timeIntervalSince1970)
        let toolCallsEnabled = chat.toolChoice != .none
        if chat.sampling.stream {
            let includeUsage = chat.sampling.includeUsage
            return EventStream.response(request: request, jobs: running) { [server] writer in
                try await Self.stream(
                    running, server: server, id: id, created: created, promptTokens: promptIDs.count,
                    toolCallsEnabled: toolCallsEnabled, includeUsage: includeUsage, writer: &writer)
            }
        }
        let states = try await running.cancellingOnDisconnect(request) {
            try await Self.collect(running, server: server, toolCallsEnabled: toolCallsEnabled)
        }
        let completion = ResponseEnvelope(
            id: id, object: "chat.completion", created: created, model: server.options.servedModelName,
            choices: states.map {
                ChatChoiceOut(
                    index: $0.index, message: $0.message,
                    logprobs: chat.topLogprobs == nil ? nil : ChatLogprobs(content: $0.logprobs),
                    finish_reason: $0.finishReason)
            },
            includeUsage: true,
            usage: Usage(promptTokens: promptIDs.count, completionTokens: states.reduce(0) { $0 + ($1.summary?.completionTokens ?? 0) }))
        return try JSONCoding.response(completion, headers: [.connection: "close"])
    }

    /// Runs every choice to its end.
    private static func collect(_ jobs: JobSet, server: ServerState, toolCallsEnabled: Bool) async throws -> [ChatChoiceState] {
        var states = (0..<jobs.count).map { ChatChoiceState(index: $0, toolCallsEnabled: toolCallsEnabled) }
        for try await (choice, event) in jobs.events() {
            switch event {
            case .token(let token):
                _ = states[choice].add(token, logprob: server.chatLogprob(token))
            case .finished(let summary):
                _ = states[choice].finish(summary)
                jobs.markFinished(choice)
            }
        }
        return states
    }

    /// Chunks: each choice's role first, then its deltas, then its finish reason; the usage chunk
    /// (when asked for) last.
    private static func stream(
        _ jobs: JobSet, server: ServerState, id: String, created: Int, promptTokens: Int, toolCallsEnabled: Bool,
        includeUsage: Bool, writer: inout any ResponseBodyWriter
    ) async throws {
        let model = server.options.servedModelName
        func chunk(_ choice: ChatChunkChoiceOut) throws -> ByteBuffer {
            try EventStream.event(ResponseEnvelope(
                id: id, object: "chat.completion.chunk", created: created, model: model, choices: [choice],
                includeUsage: includeUsage, usage: nil))
        }
        var states = (0..<jobs.count).map { ChatChoiceState(index: $0, toolCallsEnabled: toolCallsEnabled) }
        var pendingLogprobs: [[TokenLogprobOut]] = Array(repeating: [], count: jobs.count)
        for choice in states.indices {
            try await writer.write(chunk(ChatChunkChoiceOut(
                index: choice, delta: ChatDeltaOut(role: "assistant", content: ""), logprobs: nil, finish_reason: nil)))
        }
        var completionTokens = 0
        var events = jobs.events().makeAsyncIterator()
        while let (choice, event) = try await nextEvent(&events) {
            switch event {
            case .token(let token):
                let logprob = server.chatLogprob(token)
                if let logprob { pendingLogprobs[choice].append(logprob) }
                let delta = states[choice].add(token, logprob: logprob)
                guard !delta.isEmpty else { continue }
                let logprobs = pendingLogprobs[choice].isEmpty ? nil : ChatLogprobs(content: pendingLogprobs[choice])
                pendingLogprobs[choice] = []
                try await writer.write(chunk(ChatChunkChoiceOut(
                    index: choice, delta: delta, logprobs: logprobs, finish_reason: nil)))
            case .finished(let summary):
                jobs.markFinished(choice)
                completionTokens += summary.completionTokens
                let delta = states[choice].finish(summary)
                let logprobs = pendingLogprobs[choice].isEmpty ? nil : ChatLogprobs(content: pendingLogprobs[choice])
                pendingLogprobs[choice] = []
                if !delta.isEmpty || logprobs != nil {
                    try await writer.write(chunk(ChatChunkChoiceOut(
                        index: choice, delta: delta, logprobs: logprobs, finish_reason: nil)))
                }
                try await writer.write(chunk(ChatChunkChoiceOut(
                    index: choice, delta: ChatDeltaOut(), logprobs: nil, finish_reason: states[choice].finishReason)))
            }
        }
        if includeUsage {
            try await writer.write(EventStream.event(ResponseEnvelope<ChatChunkChoiceOut>(
                id: id, object: "chat.completion.chunk", created: created, model: model, choices: [], includeUsage: true,
                usage: Usage(promptTokens: promptTokens, completionTokens: completionTokens))))
        }
    }
}

/// The next event, with an engine failure told apart from a failed write.
func nextEvent(
    _ iterator: inout AsyncThrowingStream<(Int, GenerationEvent), Error>.AsyncIterator
) async throws -> (Int, GenerationEvent)? {
    do {
        return try await iterator.next()
    } catch {
        throw ServiceErrorInStream(underlying: error)
    }
}
