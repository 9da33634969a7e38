import TestSupport
import XCTest

@testable import Generation

final class ProbabilityOrderTests: XCTestCase {
    func testRadixOrderEqualsTheComparisonSort() {
        for (n, seed) in [(0, 1), (1, 2), (2, 3), (17, 4), (1000, 5), (40_000, 6)] as [(Int, UInt64)] {
            // Ties (repeated values), zeros (excluded), tiny and near-1 values.
            var p = TestSupport.randomValues(n, seed: seed).map { Double(abs($0)) }
            for i in stride(from: 0, to: n, by: 7) { p[i] = p[i / 2] }
            for i in stride(from: 3, to: n, by: 11) { p[i] = 0 }
            for i in stride(from: 5, to: n, by: 13) { p[i] = 1e-300 * Double(i) }
            if n > 1 { p[1] = 1 }
            let expected = p.indices.filter { p[$0] > 0 }.sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
            XCTAssertEqual(ProbabilityOrder.descending(p).map(Int.init), expected, "n \(n)")
        }
    }
}
