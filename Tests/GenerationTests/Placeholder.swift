import XCTest

final class GenerationTestsPlaceholder: XCTestCase {}
