import Foundation

/// Numerically stable softmax over one row, in place, in fp32.
public enum Softmax {
    public static func inPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var maxValue = -Float.infinity
        for i in 0..<count where x[i] > maxValue { maxValue = x[i] }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(x[i] - maxValue)
            x[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { x[i] *= inverse }
    }

    public static func inPlace(_ x: inout [Float]) {
        x.withUnsafeMutableBufferPointer { inPlace($0.baseAddress!, count: $0.count) }
    }
}
