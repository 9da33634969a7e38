import ArgumentParser
import Foundation
import MiniMax
import Planning

/// `minimax plan-check`: the planner's decode-time prediction next to `minimax bench --json`
/// measurements of the same checkpoints, as ratios (what a cost model can promise across machines).
struct PlanCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan-check",
        abstract: "Compare measured decode time per token (minimax bench --json) with the planner's prediction.")

    @Option(name: .customLong("run"), help: "MODEL_DIR=BENCH.json[,BENCH.json…]: a checkpoint and `minimax bench --json` reports of it (the fastest of several reports of one context counts); repeatable. The first run's shortest context is the reference of every ratio.")
    var runs: [String] = []

    @Option(name: .long, help: "The machine the benchmarks ran on: a hardware JSON file or preset (see `minimax plan --help`).")
    var hardware: String

    @Option(name: .long, parsing: .unconditional, help: "Leave out decode measurements after fewer tokens than this (the bench's first, profiled decode after a short warm-up prompt).")
    var from: Int = 1024

    @Flag(name: .long, help: "Compare the bench's CPU time per token instead of wall time (for --threads 1 runs on a busy machine).")
    var cpuTime = false

    @Option(name: .long, help: "Write measured and predicted time ratios against context as an SVG file.")
    var plot: String?

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("--run: give at least one MODEL_DIR=BENCH.json") }
        for r in runs where r.split(separator: "=").count != 2 {
            throw ValidationError("--run: '\(r)' is not MODEL_DIR=BENCH.json")
        }
    }

    struct BenchReport: Decodable {
        struct Decode: Decodable { let context: Int; let milliseconds_per_token: Double; let cpu_milliseconds_per_token: Double? }
        let decode: [Decode]
        let weight_bytes_per_token: Int
    }

    struct Row {
        let model: String, context: Int, measuredMilliseconds: Double, predictedMilliseconds: Double
    }

    func run() throws {
        let machine = try Hardware.resolve(hardware)
        var rows: [Row] = []
        var lines: [String] = []
        for item in runs {
            let parts = item.split(separator: "=").map(String.init)
            let configuration = try Configuration.load(directory: URL(fileURLWithPath: parts[0]))
            var decodes: [BenchReport.Decode] = []
            var engineBytes = 0
            for file in parts[1].split(separator: ",").map(String.init) {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("--run: cannot read \(file)") }
                let bench: BenchReport
                do { bench = try JSONDecoder().decode(BenchReport.self, from: data) } catch {
                    throw ValidationError("--run: \(file) is not a `minimax bench --json` report: \(error)")
                }
                decodes += bench.decode
                engineBytes = bench.weight_bytes_per_token
            }
            // The engine keeps fp32 weights of an fp32 checkpoint and an fp32 KV cache.
            let name = URL(fileURLWithPath: parts[0]).lastPathComponent
            let plan = InferencePlan(sheet: ModelCostSheet(miniMax: configuration), format: .fp32, cacheType: .fp32, context: 0, batch: 1)
            lines.append("\(name): weights read per token: planner \(Quantities.grouped(Int(plan.weightBytesPerDecodeStep))) B, engine \(Quantities.grouped(engineBytes)) B")
            // Several reports of one context (rounds on a busy machine): the fastest is the least disturbed.
            var fastest: [Int: Double] = [:]
            for d in decodes where d.context >= from {
                guard let milliseconds = cpuTime ? d.cpu_milliseconds_per_token : d.milliseconds_per_token else {
                    throw ValidationError("--cpu-time: \(name)'s reports have no cpu_milliseconds_per_token (made by an older minimax bench)")
                }
                fastest[d.context] = min(fastest[d.context] ?? .infinity, milliseconds)
            }
            for (context, milliseconds) in fastest.sorted(by: { $0.key < $1.key }) {
                let predicted = plan.serialDecodeSeconds(context: context, on: machine) * 1000
                rows.append(Row(model: name, context: context, measuredMilliseconds: milliseconds, predictedMilliseconds: predicted))
            }
        }
        guard let reference = rows.first else { throw ValidationError("--run: the reports hold no decode measurements") }
        lines.append("ratios to \(reference.model) after \(Quantities.tokens(reference.context)) tokens; predicted = bytes / \(Quantities.bytes(machine.bandwidthBytesPerSecond))/s\(machine.attentionBytesPerSecond.map { " (the KV cache / \(Quantities.bytes($0))/s)" } ?? "") + FLOPs / \(Quantities.flops(machine.peakFLOPPerSecond))/s")
        lines.append("(measured: \(cpuTime ? "CPU" : "wall") time per token, the fastest report of each context)")
        lines.append("model                      context   measured ms  predicted ms   measured ratio  predicted ratio  error")
        var worst = 0.0
        for r in rows {
            let measured = r.measuredMilliseconds / reference.measuredMilliseconds
            let predicted = r.predictedMilliseconds / reference.predictedMilliseconds
            let error = predicted / measured - 1
            worst = max(worst, abs(error))
            lines.append(String(format: "%@ %9@ %13.2f %13.2f %16.2f %16.2f %+6.1f%%",
                                r.model.padding(toLength: 24, withPad: " ", startingAt: 0), Quantities.tokens(r.context),
                                r.measuredMilliseconds, r.predictedMilliseconds, measured, predicted, error * 100))
        }
        lines.append(String(format: "largest ratio error %.1f%%", worst * 100))
        if let plot { try chart(rows, reference: reference).write(to: URL(fileURLWithPath: plot)) }
        writeOutput(lines.joined(separator: "\n") + "\n" + (plot.map { "wrote \($0)\n" } ?? ""))
    }

    func chart(_ rows: [Row], reference: Row) -> LineChart {
        var series: [LineChart.Series] = []
        let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e"]
        for (i, model) in rows.map(\.model).uniqued().enumerated() {
            let mine = rows.filter { $0.model == model }
            let color = colors[i % colors.count]
            series.append(LineChart.Series("\(model), measured", points: mine.map { (Double($0.context), $0.measuredMilliseconds / reference.measuredMilliseconds) }, style: .markers, color: color))
            series.append(LineChart.Series("\(model), planner", points: mine.map { (Double($0.context), $0.predictedMilliseconds / reference.predictedMilliseconds) }, style: .dashedLine, color: color))
        }
        let contexts = rows.map { Double($0.context) }.uniqued().sorted()
        return LineChart(
            title: "Decode time per token against context: measured vs planner",
            x: LineChart.Axis("context before the decoded token (tokens, K = 1,024)", scale: .logarithmic,
                              range: (contexts.first! / 1.5)...(contexts.last! * 1.5), ticks: contexts, tickLabel: { Quantities.tokens(Int($0)) }),
            y: LineChart.Axis("\(cpuTime ? "CPU" : "wall") time per token ÷ \(reference.model)'s at \(Quantities.tokens(reference.context)) (ratio)", scale: .logarithmic),
            series: series)
    }
}
