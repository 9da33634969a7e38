import Foundation
import Generation
import MiniMax
import TestSupport
import XCTest

/// Greedy generation gives exactly the token ids of transformers' `generate(do_sample=False)`
/// (goldens from scripts/parity/make_generation_goldens.py on the parity checkpoints).
final class GreedyGenerationParityTests: XCTestCase {
    struct Golden: Decodable {
        let `case`: String
        let prompt_ids: [Int]
        let eos_token_ids: [Int]
        let max_new_tokens: Int
        let generated_ids: [Int]
    }

    func testGreedyIdsMatchTransformersGenerate() throws {
        let url = TestSupport.fixtures("GenerationTests").appendingPathComponent("greedy_generation.json")
        let goldens = try JSONDecoder().decode([Golden].self, from: Data(contentsOf: url))
        XCTAssertGreaterThanOrEqual(goldens.count, 5)
        for golden in goldens {
            let directory = TestSupport.fixtures("MiniMaxTests").appendingPathComponent("parity/\(golden.case)")
            let model = try MiniMaxModel.load(directory: directory)
            XCTAssertEqual(Set(model.configuration.eosTokenIDs), Set(golden.eos_token_ids), golden.case)
            let generator = TextGenerator(model: model, tokenizer: nil)
            let request = GenerationRequest(
                promptIDs: golden.prompt_ids, sampling: .greedy,
                stop: StopConditions(endOfSequenceTokenIDs: Set(golden.eos_token_ids), maxNewTokens: golden.max_new_tokens),
                prefillChunk: 5)
            let result = try generator.generate(request)
            XCTAssertEqual(result.tokenIDs, golden.generated_ids, golden.case)
            let hitEOS = golden.generated_ids.last.map { golden.eos_token_ids.contains($0) } ?? false
            XCTAssertEqual(result.finishReason, hitEOS ? .stop : .length, golden.case)
        }
    }

    func testPromptErrors() throws {
        let directory = TestSupport.fixtures("MiniMaxTests").appendingPathComponent("parity/a_mixed_explicit")
        let model = try MiniMaxModel.load(directory: directory)
        let generator = TextGenerator(model: model, tokenizer: nil)
        XCTAssertThrowsError(try generator.generate(GenerationRequest(promptIDs: []))) { error in
            XCTAssertEqual(error as? GenerationError, .emptyPrompt)
        }
        let tooLong = [Int](repeating: 1, count: model.configuration.maxPositionEmbeddings)
        XCTAssertThrowsError(try generator.generate(GenerationRequest(promptIDs: tooLong))) { error in
            guard case GenerationError.promptTooLong = error else { return XCTFail("\(error)") }
        }
    }
}
