import XCTest

final class ChatFormatTestsPlaceholder: XCTestCase {}
