import Foundation

/// A line chart of named series written as a standalone SVG file (no dependencies): axes with
/// names and units, linear or logarithmic scales, a legend beside the plot (never over the data),
/// and tick labels thinned until they do not overlap.
public struct LineChart: Sendable {
    public enum Scale: Sendable { case linear, logarithmic }

    public struct Axis: Sendable {
        /// Name and unit, e.g. "context (tokens)".
        public var label: String
        public var scale: Scale
        /// Visible range; from the data when nil.
        public var range: ClosedRange<Double>?
        /// Tick positions; chosen from the range when nil.
        public var ticks: [Double]?
        public var tickLabel: @Sendable (Double) -> String

        public init(
            _ label: String, scale: Scale = .linear, range: ClosedRange<Double>? = nil, ticks: [Double]? = nil,
            tickLabel: @escaping @Sendable (Double) -> String = LineChart.compactNumber
        ) {
            self.label = label
            self.scale = scale
            self.range = range
            self.ticks = ticks
            self.tickLabel = tickLabel
        }
    }

    public enum Style: Sendable { case line, dashedLine, markers, lineAndMarkers }

    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var style: Style
        /// A CSS colour; the palette's next one when nil.
        public var color: String?

        public init(_ name: String, points: [(x: Double, y: Double)], style: Style = .line, color: String? = nil) {
            self.name = name
            self.points = points
            self.style = style
            self.color = color
        }
    }

    public var title: String
    public var x: Axis
    public var y: Axis
    public var series: [Series]
    public var width = 900
    public var height = 520

    public init(title: String, x: Axis, y: Axis, series: [Series]) {
        self.title = title
        self.x = x
        self.y = y
        self.series = series
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    /// Rough glyph width of the 12 px sans-serif labels, to keep labels apart without a font engine.
    static let characterWidth = 7.0

    /// 1234 → "1,234", 0.25 → "0.25", 3e15 → "3e+15".
    public static func compactNumber(_ v: Double) -> String {
        if v != 0 && (v.magnitude >= 1e7 || v.magnitude < 1e-3) { return String(format: "%.3g", v) }
        if v == v.rounded() { return Quantities.grouped(Int(v)) }
        return String(format: "%.3g", v)
    }

    public func write(to url: URL) throws {
        try Data(svg().utf8).write(to: url, options: .atomic)
    }

    public func svg() -> String {
        let legendWidth = (series.map { Double($0.name.count) }.max() ?? 0) * Self.characterWidth + 60
        let left = 96.0, top = 48.0, bottom = 64.0
        let plotWidth = Double(width) - left - legendWidth - 16, plotHeight = Double(height) - top - bottom
        let xMap = AxisMap(axis: x, values: series.flatMap { $0.points.map(\.x) }, length: plotWidth)
        let yMap = AxisMap(axis: y, values: series.flatMap { $0.points.map(\.y) }, length: plotHeight)
        func px(_ v: Double) -> Double { left + xMap.position(v) }
        func py(_ v: Double) -> Double { top + plotHeight - yMap.position(v) }

        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="Helvetica, Arial, sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(f(left + plotWidth / 2))" y="26" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

            """
        // Grid and ticks; labels that would touch their neighbour are skipped.
        var lastRight = -Double.infinity
        for tick in xMap.ticks {
            let p = px(tick), label = x.tickLabel(tick)
            out += line(p, top, p, top + plotHeight, stroke: "#e5e5e5")
            out += line(p, top + plotHeight, p, top + plotHeight + 5, stroke: "black")
            let half = Double(label.count) * Self.characterWidth / 2
            if p - half > lastRight + 6 {
                out += text(label, p, top + plotHeight + 20, anchor: "middle")
                lastRight = p + half
            }
        }
        var lastTop = Double.infinity
        for tick in yMap.ticks {
            let p = py(tick)
            out += line(left, p, left + plotWidth, p, stroke: "#e5e5e5")
            out += line(left - 5, p, left, p, stroke: "black")
            if p + 7 < lastTop - 4 {
                out += text(y.tickLabel(tick), left - 8, p + 4, anchor: "end")
                lastTop = p - 7
            }
        }
        out += "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        out += text(x.label, left + plotWidth / 2, Double(height) - 18, anchor: "middle", size: 13)
        out += "<text x=\"22\" y=\"\(f(top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 22 \(f(top + plotHeight / 2)))\">\(escape(y.label))</text>\n"

        // Data, clipped to the plot area.
        out += "<clipPath id=\"plot\"><rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\"/></clipPath>\n<g clip-path=\"url(#plot)\">\n"
        for (i, s) in series.enumerated() {
            let color = s.color ?? Self.palette[i % Self.palette.count]
            let points = s.points.filter { xMap.isPlottable($0.x) && yMap.isPlottable($0.y) }
            if s.style != .markers && points.count > 1 {
                let path = points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
                let dash = s.style == .dashedLine ? " stroke-dasharray=\"7 5\"" : ""
                out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            }
            if s.style == .markers || s.style == .lineAndMarkers {
                for p in points {
                    out += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"4\" fill=\"\(color)\"/>\n"
                }
            }
        }
        out += "</g>\n"

        // Legend in the right margin.
        let legendX = left + plotWidth + 16
        for (i, s) in series.enumerated() {
            let color = s.color ?? Self.palette[i % Self.palette.count]
            let rowY = top + 12 + Double(i) * 22
            if s.style != .markers {
                let dash = s.style == .dashedLine ? " stroke-dasharray=\"7 5\"" : ""
                out += "<line x1=\"\(f(legendX))\" y1=\"\(f(rowY))\" x2=\"\(f(legendX + 30))\" y2=\"\(f(rowY))\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            }
            if s.style == .markers || s.style == .lineAndMarkers {
                out += "<circle cx=\"\(f(legendX + 15))\" cy=\"\(f(rowY))\" r=\"4\" fill=\"\(color)\"/>\n"
            }
            out += text(s.name, legendX + 38, rowY + 4, anchor: "start")
        }
        return out + "</svg>\n"
    }

    func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(f(x1))\" y1=\"\(f(y1))\" x2=\"\(f(x2))\" y2=\"\(f(y2))\" stroke=\"\(stroke)\"/>\n"
    }

    func text(_ s: String, _ x: Double, _ y: Double, anchor: String, size: Int = 12) -> String {
        "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\">\(escape(s))</text>\n"
    }

    func f(_ v: Double) -> String { String(format: "%.1f", v) }

    func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// Data value → distance along an axis, with the axis's ticks.
struct AxisMap {
    let scale: LineChart.Scale
    let low: Double, high: Double
    let length: Double
    let ticks: [Double]

    init(axis: LineChart.Axis, values: [Double], length: Double) {
        scale = axis.scale
        self.length = length
        let usable = axis.scale == .logarithmic ? values.filter { $0 > 0 } : values.filter(\.isFinite)
        var low = axis.range?.lowerBound ?? usable.min() ?? 0
        var high = axis.range?.upperBound ?? usable.max() ?? 1
        if high <= low { high = low == 0 ? 1 : low * 2 + (low < 0 ? -low * 3 : 0) }
        switch axis.scale {
        case .logarithmic:
            if low <= 0 { low = high / 10 }
            if axis.range == nil {
                low = pow(10, floor(log10(low)))
                high = pow(10, ceil(log10(high)))
            }
            self.low = low
            self.high = high
            ticks = axis.ticks ?? Self.logTicks(low, high)
        case .linear:
            let step = Self.niceStep((high - low) / 6)
            if axis.range == nil {
                low = floor(low / step) * step
                high = ceil(high / step) * step
            }
            self.low = low
            self.high = high
            ticks = axis.ticks ?? stride(from: ceil(low / step) * step, through: high + step * 1e-9, by: step).map { $0 }
        }
    }

    func isPlottable(_ v: Double) -> Bool { v.isFinite && (scale == .linear || v > 0) }

    func position(_ v: Double) -> Double {
        switch scale {
        case .linear: return (v - low) / (high - low) * length
        case .logarithmic: return (log10(v) - log10(low)) / (log10(high) - log10(low)) * length
        }
    }

    /// 1, 2 or 5 times a power of ten.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let power = pow(10, floor(log10(raw)))
        let m = raw / power
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power
    }

    /// Powers of ten, with 2 and 5 between them when the range spans few decades.
    static func logTicks(_ low: Double, _ high: Double) -> [Double] {
        let first = Int(floor(log10(low))), last = Int(ceil(log10(high)))
        let multiples: [Double] = last - first <= 2 ? [1, 2, 5] : [1]
        var ticks: [Double] = []
        for e in first...last {
            for m in multiples {
                let v = m * pow(10, Double(e))
                if v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9) { ticks.append(v) }
            }
        }
        return ticks
    }
}
