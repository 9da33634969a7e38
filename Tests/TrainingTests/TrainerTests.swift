import Foundation
import Generation
import MiniMax
import SafeTensors
import TestSupport
import Training
import XCTest

/// The trainer end to end on a tiny model: the loss falls, checkpoints are complete or absent, and a
/// resumed run continues exactly where an uninterrupted one would be.
final class TrainerTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try TestSupport.temporaryDirectory() }

    func makeTrainer(output: URL, steps: Int, checkpointEvery: Int, resumeFrom step: Int? = nil) throws -> Trainer {
        let configuration = try TinyConfiguration.make([
            "vocab_size": 262, "hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 2,
            "layer_types": ["linear_attention", "full_attention"], "block_size": 8,
        ])
        let corpusFile = directory.appendingPathComponent("data.jsonl")
        if !FileManager.default.fileExists(atPath: corpusFile.path) {
            let lines = (0..<40).map { i in #"{"text": "\#(i % 7) + \#(i % 5) = \#(i % 7 + i % 5). ab ab ab"}"# }
            try Data(lines.joined(separator: "\n").utf8).write(to: corpusFile)
        }
        let reader = TrainingExampleReader(tokenizer: try TrainingDataTests.byteTokenizer(), endOfText: 259, maximumTokens: 1000)
        let corpus = try TrainingCorpus.read(path: corpusFile.path, reader: reader, policy: .fail)
        let options = TrainingOptions(
            steps: steps, batchTokens: 64, sequenceLength: 32,
            schedule: LearningRateSchedule(peak: 1e-2, warmupSteps: 2, totalSteps: steps, shape: .cosine),
            seed: 5, checkpointEvery: checkpointEvery, auxiliaryLossCoefficient: 0.01)
        let files = ModelFiles(configuration: configuration, source: nil)
        if let step {
            let loaded = try CheckpointDirectory(output: output).load(step: step, configuration: configuration, optimizer: options.optimizer)
            return try Trainer(
                parameters: loaded.parameters, optimizer: loaded.optimizer, corpus: corpus, evaluation: nil, options: options,
                output: output, modelFiles: files, state: loaded.state)
        }
        let parameters = ParameterStore(tree: ParameterTree(configuration))
        ParameterInitializer.initialize(parameters, seed: 1)
        return try Trainer(
            parameters: parameters, optimizer: AdamW(tree: parameters.tree, settings: options.optimizer), corpus: corpus,
            evaluation: nil, options: options, output: output, modelFiles: files)
    }

    func losses(_ output: URL) throws -> [Double] {
        let text = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(StepMetrics.self, from: Data($0.utf8)).loss }
    }

    func testResumedRunEqualsAnUninterruptedOne() throws {
        let straight = directory.appendingPathComponent("straight"), interrupted = directory.appendingPathComponent("interrupted")
        try makeTrainer(output: straight, steps: 12, checkpointEvery: 0).run()
        let reference = try losses(straight)
        XCTAssertEqual(reference.count, 12)
        XCTAssertLessThan(reference.last!, reference.first! - 0.5, "the loss falls: \(reference)")

        // Stop a 12-step run with checkpoints every 4 after step 8, then pretend the process died
        // after step 6: its metrics hold lines past the last checkpoint, half a line, and a
        // half-written checkpoint.
        try makeTrainer(output: interrupted, steps: 12, checkpointEvery: 4).run(stoppingAfter: 8)
        let metrics = interrupted.appendingPathComponent("metrics.jsonl")
        let lines = try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n").prefix(6)
        try Data((lines.joined(separator: "\n") + "\n{\"step\": 7, \"lo").utf8).write(to: metrics)
        let checkpoints = CheckpointDirectory(output: interrupted)
        try FileManager.default.removeItem(at: checkpoints.url(step: 8))
        try FileManager.default.createDirectory(at: checkpoints.root.appendingPathComponent(".incomplete-8-123"), withIntermediateDirectories: true)
        checkpoints.removeIncomplete()
        XCTAssertEqual(checkpoints.steps(), [4])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: checkpoints.root.path), ["step-0000004"])

        try makeTrainer(output: interrupted, steps: 12, checkpointEvery: 4, resumeFrom: 4).run()
        let resumed = try losses(interrupted)
        XCTAssertEqual(resumed.count, 12)
        XCTAssertTrue(resumed == reference, "resumed losses equal the uninterrupted run's, bit for bit: \(resumed) vs \(reference)")
        // The final model is a loadable checkpoint with the trained weights.
        let final = try ParameterStore.load(
            configuration: try Configuration.load(directory: interrupted), checkpoint: try Checkpoint(directory: interrupted))
        let straightFinal = try ParameterStore.load(
            configuration: try Configuration.load(directory: straight), checkpoint: try Checkpoint(directory: straight))
        let differing = (0..<final.count).filter { final.values[$0] != straightFinal.values[$0] }.count
        XCTAssertEqual(differing, 0, "final weights differ from the uninterrupted run's in \(differing) of \(final.count) elements")
    }
}
