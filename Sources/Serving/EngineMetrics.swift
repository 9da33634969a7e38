import CoreMetrics
import Metrics

/// The engine's measurements through swift-metrics, with vLLM's meanings (its `vllm:` metrics under
/// a `minimax_` prefix): latency histograms per request and token, gauges of the running and
/// waiting requests and KV pages in use, token and request counters. With no backend bootstrapped
/// they cost nothing.
final class EngineMetrics: @unchecked Sendable {
    /// Submission → first generated token.
    let timeToFirstToken: Timer
    /// Between consecutive tokens of one request.
    let interTokenLatency: Timer
    /// Submission → end.
    let endToEndLatency: Timer
    /// Submission → first step that runs the request.
    let queueTime: Timer
    let running: Gauge
    let waiting: Gauge
    let kvPagesUsed: Gauge
    let kvPagesTotal: Gauge
    let promptTokens: Counter
    let generationTokens: Counter
    let preemptions: Counter
    private let factory: MetricsFactory
    private var finished: [String: Counter] = [:]

    init(factory: MetricsFactory) {
        self.factory = factory
        timeToFirstToken = Timer(label: "minimax_time_to_first_token_seconds", dimensions: [], factory: factory)
        interTokenLatency = Timer(label: "minimax_inter_token_latency_seconds", dimensions: [], factory: factory)
        endToEndLatency = Timer(label: "minimax_e2e_request_latency_seconds", dimensions: [], factory: factory)
        queueTime = Timer(label: "minimax_request_queue_time_seconds", dimensions: [], factory: factory)
        running = Gauge(label: "minimax_num_requests_running", dimensions: [], factory: factory)
        waiting = Gauge(label: "minimax_num_requests_waiting", dimensions: [], factory: factory)
        kvPagesUsed = Gauge(label: "minimax_kv_cache_pages_used", dimensions: [], factory: factory)
        kvPagesTotal = Gauge(label: "minimax_kv_cache_pages_total", dimensions: [], factory: factory)
        promptTokens = Counter(label: "minimax_prompt_tokens_total", dimensions: [], factory: factory)
        generationTokens = Counter(label: "minimax_generation_tokens_total", dimensions: [], factory: factory)
        preemptions = Counter(label: "minimax_num_preemptions_total", dimensions: [], factory: factory)
    }

    /// Counts a finished request by reason (`stop`, `length`, `repetition`, `abort`). Engine thread only.
    func requestFinished(reason: String) {
        let counter = finished[reason] ?? Counter(
            label: "minimax_request_success_total", dimensions: [("finished_reason", reason)], factory: factory)
        finished[reason] = counter
        counter.increment()
    }
}
