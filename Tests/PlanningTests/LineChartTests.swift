import Foundation
import Planning
import XCTest

final class LineChartTests: XCTestCase {
    func chart(xScale: LineChart.Scale) -> LineChart {
        LineChart(
            title: "Decode <time>", x: LineChart.Axis("context (tokens)", scale: xScale),
            y: LineChart.Axis("time per token (ms)", scale: .logarithmic),
            series: [
                LineChart.Series("measured & hybrid", points: [(1024, 3.7), (4096, 3.8), (131072, 9.0)], style: .markers),
                LineChart.Series("predicted", points: [(1024, 3.6), (131072, 8.5)], style: .dashedLine),
            ])
    }

    func testNamesAxesEscapesTextAndDrawsEverySeries() {
        let svg = chart(xScale: .logarithmic).svg()
        XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        XCTAssertTrue(svg.contains(">context (tokens)</text>"))
        XCTAssertTrue(svg.contains(">time per token (ms)</text>"))
        XCTAssertTrue(svg.contains("Decode &lt;time&gt;"))
        XCTAssertTrue(svg.contains("measured &amp; hybrid"))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 3 + 1)  // 3 markers + the legend's
        XCTAssertEqual(svg.components(separatedBy: "stroke-dasharray").count - 1, 2)  // line + legend
        XCTAssertTrue(svg.hasSuffix("</svg>\n"))
    }

    /// Tick labels along x never overlap, however many ticks are asked for.
    func testTickLabelsDoNotOverlap() {
        var c = chart(xScale: .linear)
        c.x.ticks = stride(from: 0.0, through: 131072, by: 1024).map { $0 }
        c.x.tickLabel = { "\(Int($0) / 1024)K tokens" }
        let svg = c.svg()
        let pattern = try! NSRegularExpression(pattern: #"<text x="([0-9.]+)" y="([0-9.]+)" text-anchor="middle" font-size="12">([^<]*)</text>"#)
        let matches = pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg))
        let labels = matches.map { m -> (Double, Int) in
            (Double(svg[Range(m.range(at: 1), in: svg)!])!, svg[Range(m.range(at: 3), in: svg)!].count)
        }
        XCTAssertGreaterThan(labels.count, 3)
        for (a, b) in zip(labels, labels.dropFirst()) {
            XCTAssertGreaterThan(b.0 - a.0, Double(a.1 + b.1) / 2 * 7, "labels at \(a.0) and \(b.0) overlap")
        }
    }
}
