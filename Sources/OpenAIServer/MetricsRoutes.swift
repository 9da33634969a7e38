import Foundation
import Hummingbird
import Metrics
import Prometheus

/// The Prometheus registry behind `GET /metrics`, and the process-wide swift-metrics bootstrap
/// that sends the engine's metrics (recorded through swift-metrics) into it.
public enum ServerMetrics {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var bootstrapped: PrometheusCollectorRegistry?

    /// Bootstraps swift-metrics with a Prometheus backend once per process and returns its
    /// registry; later calls return the same registry (`MetricsSystem.bootstrap` may run only once).
    public static func bootstrapOnce() -> PrometheusCollectorRegistry {
        lock.withLock {
            if let bootstrapped { return bootstrapped }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            bootstrapped = registry
            return registry
        }
    }

    /// Everything recorded in `registry`, in the Prometheus text format.
    static func response(_ registry: PrometheusCollectorRegistry) -> Response {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
