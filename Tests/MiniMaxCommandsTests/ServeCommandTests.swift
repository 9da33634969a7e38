import ArgumentParser
@testable import MiniMaxCommands
import XCTest

/// `minimax serve`'s option checks (parsing only: nothing is loaded or served).
final class ServeCommandTests: XCTestCase {
    private func parseError(_ arguments: [String]) -> String? {
        do {
            _ = try MiniMaxCommand.parseAsRoot(["serve", "--model", "/nonexistent"] + arguments)
            return nil
        } catch {
            return MiniMaxCommand.message(for: error)
        }
    }

    func testNonLoopbackHostNeedsAKeyOrTheInsecureFlag() {
        XCTAssertTrue(parseError(["--host", "0.0.0.0"])?.contains("--api-key") == true)
        XCTAssertTrue(parseError(["--host", "192.168.1.5", "--port", "9000"])?.contains("--insecure-no-auth") == true)
        XCTAssertNil(parseError(["--host", "0.0.0.0", "--api-key", "k"]))
        XCTAssertNil(parseError(["--host", "0.0.0.0", "--api-key-file", "/k"]))
        XCTAssertNil(parseError(["--host", "0.0.0.0", "--insecure-no-auth"]))
        XCTAssertNil(parseError(["--host", "127.0.0.1"]))
        XCTAssertNil(parseError([]))
    }

    func testBadOptionsNameTheFlag() {
        let cases: [([String], String)] = [
            (["--port", "70000"], "--port"),
            (["--api-key", "a", "--api-key-file", "f"], "--api-key-file"),
            (["--api-key", ""], "--api-key"),
            (["--max-batch", "0"], "--max-batch"),
            (["--max-queue", "-1"], "--max-queue must be at least 0, got -1"),
            (["--prefill-chunk", "0"], "--prefill-chunk"),
            (["--max-context", "1"], "--max-context"),
            (["--kv-memory", "0"], "--kv-memory"),
            (["--threads", "0"], "--threads"),
            (["--precision", "fp8"], "precision"),
        ]
        for (arguments, flag) in cases {
            let message = parseError(arguments)
            XCTAssertTrue(message?.contains(flag) == true, "\(arguments): \(message ?? "accepted")")
        }
    }
}
