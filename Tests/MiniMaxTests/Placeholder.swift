import XCTest

final class MiniMaxTestsPlaceholder: XCTestCase {}
