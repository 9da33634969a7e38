import Foundation
import Tensors
import TestSupport
import XCTest

final class NumPyFileTests: XCTestCase {
    func testRoundTripKeepsValuesAndShape() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("a.npy")
        let values = TestSupport.randomValues(3 * 5, seed: 1)
        try NumPyFile.write(values, shape: [3, 5], to: url)
        let (read, shape) = try NumPyFile.read(url)
        XCTAssertEqual(shape, [3, 5])
        XCTAssertEqual(read, values)
        // The header is padded so that the payload starts on a 64-byte boundary.
        XCTAssertEqual(try Data(contentsOf: url).count, 128 + 15 * 4)
    }

    func testMalformedFileIsATypedError() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.npy")
        try Data("not numpy".utf8).write(to: url)
        XCTAssertThrowsError(try NumPyFile.read(url)) { error in
            XCTAssertTrue("\(error)".contains("bad.npy"))
        }
    }

    func testBFloat16RoundsToNearestEven() {
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1.0), 0x3F80)
        // 1 + 2^-8 lies exactly between two bf16 values: ties go to the even one (1.0).
        XCTAssertEqual(HalfPrecision.bfloat16Bits(from: 1.0 + 1.0 / 256), 0x3F80)
        XCTAssertEqual(HalfPrecision.float(fromBFloat16: HalfPrecision.bfloat16Bits(from: -2.5)), -2.5)
    }
}
