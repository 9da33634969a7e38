import XCTest
@testable import Tokenization
