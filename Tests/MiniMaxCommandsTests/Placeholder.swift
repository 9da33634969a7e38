import XCTest

final class MiniMaxCommandsTestsPlaceholder: XCTestCase {}
