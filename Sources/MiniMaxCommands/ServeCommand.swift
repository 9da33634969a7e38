import ArgumentParser
import Dispatch
import Foundation
import Generation
import Logging
import OpenAIServer
import Prometheus
import Serving

/// `minimax serve`: the OpenAI-compatible HTTP server (continuous batching) over one model.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve a model over an OpenAI-compatible HTTP API (chat, completions, models, tokenize, metrics).")

    @OptionGroup var model: ModelOptions

    @Option(name: .long, help: "Address to listen on. Anything but loopback needs an API key (or --insecure-no-auth).")
    var host = "127.0.0.1"

    @Option(name: .long, parsing: .unconditional, help: "Port to listen on.")
    var port = 8080

    @Option(name: .long, help: "Require 'Authorization: Bearer KEY' on every route but /health.")
    var apiKey: String?

    @Option(name: .long, help: "Read the API key from this file (first line).")
    var apiKeyFile: String?

    @Option(name: .long, help: "The model name clients use (default: the model directory's name).")
    var servedModelName: String?

    @Option(name: .long, parsing: .unconditional, help: "Sequences generated at once (continuous batching).")
    var maxBatch = EngineOptions().maxBatch

    @Option(name: .long, parsing: .unconditional, help: "Requests waiting beyond the running ones; more get 503.")
    var maxQueue = EngineOptions().maxQueue

    @Option(name: .long, parsing: .unconditional, help: "Most tokens (prompt + generated) per request (default: the model's maximum).")
    var maxContext: Int?

    @Option(name: .long, parsing: .unconditional, help: "Most prompt tokens prefilled per engine step.")
    var prefillChunk = EngineOptions().prefillChunk

    @Option(name: .long, parsing: .unconditional, help: "Tokens of softmax-attention KV memory for all requests together (default: a quarter of RAM).")
    var kvMemory: Int?

    @Option(name: .long, parsing: .unconditional, help: "Largest request body in bytes (larger: 413).")
    var maxBodyBytes = ServerOptions().maxBodyBytes

    @Flag(name: .long, help: "Allow a non-loopback --host without an API key.")
    var insecureNoAuth = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
        if apiKey != nil && apiKeyFile != nil { throw ValidationError("give --api-key or --api-key-file, not both") }
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key is empty") }
        if !ServerOptions.isLoopback(host) && apiKey == nil && apiKeyFile == nil && !insecureNoAuth {
            throw ValidationError(
                "--host \(host) is reachable from other machines: give --api-key or --api-key-file, or --insecure-no-auth to serve without one")
        }
        for (value, flag, minimum) in [(maxBatch, "--max-batch", 1), (maxQueue, "--max-queue", 0), (prefillChunk, "--prefill-chunk", 1)]
        where value < minimum {
            throw ValidationError("\(flag) must be at least \(minimum), got \(value)")
        }
        if let maxContext, maxContext < 2 { throw ValidationError("--max-context must be at least 2, got \(maxContext)") }
        if let kvMemory, kvMemory < 1 { throw ValidationError("--kv-memory must be at least 1 token, got \(kvMemory)") }
        if maxBodyBytes < 1024 { throw ValidationError("--max-body-bytes must be at least 1024, got \(maxBodyBytes)") }
    }

    func run() throws {
        let key = try apiKeyFile.map(Self.readKey) ?? apiKey
        var engineOptions = EngineOptions()
        engineOptions.maxBatch = maxBatch
        engineOptions.maxQueue = maxQueue
        engineOptions.maxContext = maxContext
        engineOptions.prefillChunk = prefillChunk
        engineOptions.kvTokenBudget = kvMemory
        try engineOptions.validate()

        // The engine records its metrics through swift-metrics: bootstrap before making it.
        let registry = ServerMetrics.bootstrapOnce()
        let bundle = try ModelBundle(model, requireTokenizer: true)
        guard let tokenizer = bundle.tokenizer else { throw ValidationError("\(model.path) has no tokenizer") }
        let engine = try BatchEngine(
            bundle: bundle, options: engineOptions, metricsFactory: PrometheusMetricsFactory(registry: registry))

        var options = ServerOptions()
        options.host = host
        options.port = port
        options.apiKey = key
        options.servedModelName = servedModelName ?? bundle.directory.standardizedFileURL.lastPathComponent
        options.maxBodyBytes = maxBodyBytes
        let server = OpenAIServer(
            service: engine, tokenizer: tokenizer, defaults: bundle.defaults, options: options,
            vocabularySize: bundle.model.configuration.vocabularySize, registry: registry,
            logger: Logger(label: "minimax.serve"))

        printError(
            "serving \(options.servedModelName) on http://\(host):\(port) (context \(engine.maxContext), batch \(maxBatch)"
                + (key == nil ? ", no API key" : ", API key required") + ")")
        // Ctrl-C / SIGTERM: the engine ends its jobs at once (streams get a shutting-down error) so
        // the HTTP server's graceful shutdown does not wait for long generations.
        let signals = [SIGINT, SIGTERM].map { signal -> DispatchSourceSignal in
            _ = Foundation.signal(signal, SIG_IGN)  // handled by the sources (and Hummingbird's own), not by dying
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { engine.shutdown() }
            source.resume()
            return source
        }
        let finished = DispatchSemaphore(value: 0)
        let outcome = ServeOutcome()
        Task {
            do {
                try await server.makeApplication().runService()
            } catch {
                outcome.error = error
            }
            finished.signal()
        }
        finished.wait()
        signals.forEach { $0.cancel() }
        engine.shutdown()
        if let error = outcome.error { throw error }
    }

    private static func readKey(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--api-key-file \(path): cannot read the file")
        }
        let key = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !key.isEmpty else { throw ValidationError("--api-key-file \(path): the first line is empty") }
        return key
    }
}

/// The server task's error, read after it ends.
private final class ServeOutcome: @unchecked Sendable {
    var error: Error?
}
