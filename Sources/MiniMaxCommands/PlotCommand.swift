import ArgumentParser
import Foundation
import Planning

/// `minimax plot`: curves from `metrics.jsonl` files (training or RL runs) as an SVG chart.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw metrics from one or more metrics.jsonl files (train, rl) as an SVG line chart.")

    @Argument(help: "metrics.jsonl files; several runs are drawn side by side.")
    var files: [String]

    @Option(name: .long, help: "Output .svg file.")
    var out: String

    @Option(name: .long, help: "Comma-separated metrics to draw (default: loss,eval_loss for training runs, reward,accuracy for RL runs).")
    var metric: String?

    @Option(name: .long, help: "The field on the x axis.")
    var x: String = "step"

    @Flag(name: .long, help: "Logarithmic y axis.")
    var logY = false

    @Option(name: .long, help: "Chart title (default: the files' names).")
    var title: String?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one metrics.jsonl file") }
        guard out.hasSuffix(".svg") else { throw ValidationError("--out must name a .svg file, got '\(out)'") }
    }

    func run() throws {
        var series: [LineChart.Series] = []
        var fields: [String] = []
        for file in files {
            let records = try Self.read(file)
            let available = Set(records.flatMap(\.keys))
            let wanted = metric.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ?? (available.contains("reward") ? ["reward", "accuracy", "eval_accuracy"] : ["loss", "eval_loss"])
            for name in wanted {
                guard available.contains(name) else {
                    if metric != nil { throw CommandFailure("\(file): no field '\(name)' in any line (fields: \(available.sorted().joined(separator: ", ")))") }
                    continue
                }
                let points = records.compactMap { r -> (x: Double, y: Double)? in
                    guard let xv = r[x], let yv = r[name], yv.isFinite, !(logY && yv <= 0) else { return nil }
                    return (xv, yv)
                }
                guard !points.isEmpty else { continue }
                let label = files.count > 1 ? "\(URL(fileURLWithPath: file).deletingLastPathComponent().lastPathComponent): \(name)" : name
                series.append(LineChart.Series(label, points: points, style: points.count < 30 ? .lineAndMarkers : .line))
                if !fields.contains(name) { fields.append(name) }
            }
        }
        guard !series.isEmpty else { throw CommandFailure("nothing to draw: no line has both '\(x)' and a metric to plot") }
        let chart = LineChart(
            title: title ?? files.map { URL(fileURLWithPath: $0).deletingLastPathComponent().lastPathComponent }.joined(separator: " vs "),
            x: LineChart.Axis(x == "step" ? "step (optimizer updates or RL steps)" : x),
            y: LineChart.Axis(fields.map(Self.unit).joined(separator: ", "), scale: logY ? .logarithmic : .linear),
            series: series)
        try chart.write(to: URL(fileURLWithPath: out))
        writeOutput("wrote \(out): \(series.count) series\n")
    }

    /// The metric with its unit, for the y axis's name.
    static func unit(_ field: String) -> String {
        switch field {
        case "loss", "eval_loss", "entropy", "aux_loss": return "\(field) (nats/token)"
        case "tokens_per_second": return "tokens/s"
        case "accuracy", "eval_accuracy", "clipped_fraction", "masked_fraction": return "\(field) (fraction)"
        case "response_length": return "response length (tokens)"
        default: return field
        }
    }

    /// Numeric fields of each line; a line that is not a JSON object is an error naming the line.
    static func read(_ path: String) throws -> [[String: Double]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandFailure("\(path): cannot read") }
        var records: [[String: Double]] = []
        for (i, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                throw CommandFailure("\(path):\(i + 1): not a JSON object")
            }
            records.append(object.compactMapValues { ($0 as? NSNumber).map(\.doubleValue) })
        }
        guard !records.isEmpty else { throw CommandFailure("\(path): no lines") }
        return records
    }
}
