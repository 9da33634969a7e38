import ChatFormat
import XCTest

final class PythonJSONTests: XCTestCase {
    func testFloatReprMatchesPython() {
        // Expected strings are Python's repr() of the same values.
        let cases: [(Double, String)] = [
            (0.5, "0.5"), (1.0, "1.0"), (1e-07, "1e-07"), (1e22, "1e+22"), (12345678901234567.0, "1.2345678901234568e+16"),
            (0.0001, "0.0001"), (0.00001, "1e-05"), (-0.0, "-0.0"), (3e16, "3e+16"), (9.5e15, "9500000000000000.0"),
            (1e16, "1e+16"), (123.456, "123.456"), (Double.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"),
            (0.1 + 0.2, "0.30000000000000004"), (-2.5e-300, "-2.5e-300"), (100.0, "100.0"), (.infinity, "Infinity"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(PythonJSON.floatRepr(value), expected, "\(value)")
        }
    }

    func testRoundTripKeepsOrderAndEscapes() throws {
        let text = #"{"z": 1, "a": [true, false, null], "s": "q\"\\\n\t\u0001\u00e9", "n": -0, "f": 2.50, "e": {}}"#
        XCTAssertEqual(
            PythonJSON.dumps(try JSONParser.parse(text)),
            "{\"z\": 1, \"a\": [true, false, null], \"s\": \"q\\\"\\\\\\n\\t\\u0001é\", \"n\": 0, \"f\": 2.5, \"e\": {}}")
    }

    func testDuplicateKeysKeepFirstPositionAndLastValue() throws {
        XCTAssertEqual(PythonJSON.dumps(try JSONParser.parse(#"{"a": 1, "b": 2, "a": 3}"#)), #"{"a": 3, "b": 2}"#)
    }
}
