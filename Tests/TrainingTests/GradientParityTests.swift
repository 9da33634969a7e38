import Foundation
import MiniMax
import SafeTensors
import TestSupport
import Training
import XCTest

/// Gradients of the whole model against PyTorch autograd on transformers' MiniMaxForCausalLM
/// (scripts/training/make_gradient_goldens.py): every parameter within 1e-4 relative error.
final class GradientParityTests: XCTestCase {
    struct Case: Decodable {
        let ids: [Int]
        let loss: Double
        let cross_entropy: Double
        let aux_loss: Double
        let aux_coef: Double
        let description: String
    }

    func testEveryCaseMatchesAutograd() throws {
        let root = TestSupport.fixtures("TrainingTests").appendingPathComponent("gradients")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertEqual(names.count, 3, "gradient fixtures missing")
        for name in names {
            let directory = root.appendingPathComponent(name)
            let golden = try JSONDecoder().decode(Case.self, from: Data(contentsOf: directory.appendingPathComponent("case.json")))
            let configuration = try Configuration.load(directory: directory)
            let parameters = try ParameterStore.load(configuration: configuration, checkpoint: try Checkpoint(directory: directory))
            let gradients = ParameterStore(tree: parameters.tree)
            let ids = golden.ids, T = ids.count
            let result = LanguageModelGradient.run(
                parameters: parameters, gradients: gradients, inputs: ids, targets: Array(ids.dropFirst()) + [0],
                mask: (0..<T).map { $0 < T - 1 }, lossScale: 1 / Float(T - 1), auxiliaryScale: Float(golden.aux_coef))
            XCTAssertEqual(result.crossEntropySum / Double(T - 1), golden.cross_entropy, accuracy: 1e-5 * golden.cross_entropy, "\(name): loss")
            XCTAssertEqual(result.auxiliary * golden.aux_coef, golden.aux_loss * golden.aux_coef, accuracy: 1e-6, "\(name): aux loss")
            let reference = try SafeTensorsFile(url: directory.appendingPathComponent("gradients.safetensors"))
            for (i, p) in parameters.tree.parameters.enumerated() {
                let expected = try reference.tensor(p.name).toFloatArray()
                let ours = Array(UnsafeBufferPointer(start: gradients.pointer(i), count: p.elementCount))
                let error = TestSupport.relativeError(ours, expected)
                XCTAssertLessThan(error, 1e-4, "\(name): gradient of \(p.name), relative error \(error)")
            }
        }
    }
}
