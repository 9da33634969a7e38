/// An owned, row-major fp32 matrix: the activations that flow between layers.
/// `[rows, cols]` is usually `[tokens, features]`.
public struct Matrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    public var data: [Float]

    public init(rows: Int, cols: Int, data: [Float]) {
        precondition(data.count == rows * cols, "Matrix data has \(data.count) values, not \(rows)x\(cols)")
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    public init(zeros rows: Int, _ cols: Int) {
        self.init(rows: rows, cols: cols, data: [Float](repeating: 0, count: rows * cols))
    }

    public func row(_ r: Int) -> ArraySlice<Float> { data[(r * cols)..<((r + 1) * cols)] }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, cols: cols, data: Array(data[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// Stacks matrices with the same column count vertically.
    public static func stacking(_ parts: [Matrix]) -> Matrix {
        guard let first = parts.first else { return Matrix(zeros: 0, 0) }
        var data: [Float] = []
        data.reserveCapacity(parts.reduce(0) { $0 + $1.data.count })
        for p in parts {
            precondition(p.cols == first.cols, "stacking matrices of different widths")
            data += p.data
        }
        return Matrix(rows: data.count / max(first.cols, 1), cols: first.cols, data: data)
    }
}
