import Foundation
import Tensors

/// Helpers shared by every test target: fixture locations and numerical comparisons.
public enum TestSupport {
    /// The repository root, found from this file's location (tests run from the source tree).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/<target>/Fixtures`.
    public static func fixtures(_ target: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/\(target)/Fixtures")
    }

    /// `../shared` beside the checkout, or nil in a user's clone (tests that need it skip).
    public static var sharedDirectory: URL? {
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        return FileManager.default.fileExists(atPath: url.appendingPathComponent("minimax-m1/config.json").path) ? url : nil
    }

    /// ‖a − b‖ / ‖b‖ (b is the reference); 0 when both are zero.
    /// `outputs` floats (NaN until written) that `product` fills from x: a kernel's result as an array.
    public static func product(
        _ x: [Float], outputs: Int, _ product: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void
    ) -> [Float] {
        var out = [Float](repeating: .nan, count: outputs)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { product(xp.baseAddress!, $0.baseAddress!) } }
        return out
    }

    public static func relativeError(_ a: [Float], _ reference: [Float]) -> Double {
        precondition(a.count == reference.count, "relativeError: \(a.count) vs \(reference.count) values")
        var diff = 0.0, norm = 0.0
        for i in 0..<a.count {
            let d = Double(a[i]) - Double(reference[i])
            diff += d * d
            norm += Double(reference[i]) * Double(reference[i])
        }
        if norm == 0 { return diff == 0 ? 0 : .infinity }
        return (diff / norm).squareRoot()
    }

    /// A fresh temporary directory, removed by the caller.
    public static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("minimax-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Deterministic pseudo-random values in [-scale, scale) (SplitMix64).
    public static func randomValues(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in random.nextSignedUnitFloat() * scale }
    }
}

extension SplitMix64 {
    /// Uniform-ish in 0..<bound (modulo bias is irrelevant for test data).
    public mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
