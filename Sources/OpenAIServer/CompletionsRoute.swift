import Foundation
import Hummingbird
import Serving

/// `POST /v1/completions`: a raw prompt (text or token ids) continued, one job per choice.
struct CompletionsRoute: Sendable {
    let server: ServerState

    func handle(_ request: Request) async throws -> Response {
        var request = request
        let body = try FieldReader(await JSONCoding.readObject(&request, limit: server.options.maxBodyBytes))
        let completion = try CompletionRequest(
            body, options: server.options, maxContext: server.service.maxContext, vocabularySize: server.vocabularySize)
        try server.checkModel(completion.model)
        let promptIDs: [Int]
        switch completion.prompt {
        case .text(let text): promptIDs = try server.tokenizer.encode(text)
        case .ids(let ids): promptIDs = ids
        }
        let jobs = try completion.sampling.jobs(
            promptIDs: promptIDs, defaults: server.defaults, topLogprobs: completion.topLogprobs,
            maxContext: server.service.maxContext, defaultMaxTokens: server.options.defaultCompletionTokens)
        let running = try JobSet.submit(jobs, to: server.service)
        let id = RandomID.make(prefix: "cmpl-")
        let created = Int(Date().timeIntervalSince1970)
        let model = server.options.servedModelName
        let wantsLogprobs = completion.topLogprobs != nil
        if completion.sampling.stream {
            let includeUsage = completion.sampling.includeUsage
            return EventStream.response(request: request, jobs: running) { [server] writer in
                func chunk(_ choices: [CompletionChoiceOut], usage: Usage? = nil) throws -> ByteBuffer {
                    try EventStream.event(ResponseEnvelope(
                        id: id, object: "text_completion", created: created, model: model, choices: choices,
                        includeUsage: includeUsage, usage: usage))
                }
                var states = (0..<running.count).map { CompletionChoiceState(index: $0) }
                var completionTokens = 0
                var events = running.events().makeAsyncIterator()
                while let (choice, event) = try await nextEvent(&events) {
                    switch event {
                    case .token(let token):
                        let (text, logprobs) = states[choice].add(
                            token, tokenText: wantsLogprobs ? server.tokenText(token.id) : nil,
                            top: wantsLogprobs ? server.completionTopLogprobs(token) : nil)
                        guard !text.isEmpty || logprobs != nil else { continue }
                        try await writer.write(chunk([CompletionChoiceOut(
                            index: choice, text: text, logprobs: logprobs, finish_reason: nil)]))
                    case .finished(let summary):
                        running.markFinished(choice)
                        completionTokens += summary.completionTokens
                        let text = states[choice].finish(summary)
                        try await writer.write(chunk([CompletionChoiceOut(
                            index: choice, text: text, logprobs: nil, finish_reason: states[choice].finishReason)]))
                    }
                }
                if includeUsage {
                    try await writer.write(chunk([], usage: Usage(promptTokens: promptIDs.count, completionTokens: completionTokens)))
                }
            }
        }
        let states = try await running.cancellingOnDisconnect(request) {
            var states = (0..<running.count).map { CompletionChoiceState(index: $0) }
            for try await (choice, event) in running.events() {
                switch event {
                case .token(let token):
                    _ = states[choice].add(
                        token, tokenText: wantsLogprobs ? server.tokenText(token.id) : nil,
                        top: wantsLogprobs ? server.completionTopLogprobs(token) : nil)
                case .finished(let summary):
                    _ = states[choice].finish(summary)
                    running.markFinished(choice)
                }
            }
            return states
        }
        let out = ResponseEnvelope(
            id: id, object: "text_completion", created: created, model: model,
            choices: states.map {
                CompletionChoiceOut(
                    index: $0.index, text: $0.text, logprobs: wantsLogprobs ? $0.logprobs : nil,
                    finish_reason: $0.finishReason)
            },
            includeUsage: true,
            usage: Usage(promptTokens: promptIDs.count, completionTokens: states.reduce(0) { $0 + ($1.summary?.completionTokens ?? 0) }))
        return try JSONCoding.response(out, headers: [.connection: "close"])
    }
}
