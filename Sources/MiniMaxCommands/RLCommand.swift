import ArgumentParser
import Foundation
import Generation
import Kernels
import MiniMax
import SafeTensors
import Training

/// `minimax rl`: reinforcement learning with verifiable rewards (CISPO, DAPO or GRPO).
struct RLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rl",
        abstract: "Reinforcement learning on a verifiable task: rollouts on the batched engine, group-normalised advantages, CISPO / DAPO / GRPO updates.")

    @Option(name: .long, help: "Model directory to start from.")
    var model: String

    @Option(name: .long, help: "Built-in task: arithmetic (two- and three-digit + and −) or countdown.")
    var task: BuiltInTask = .arithmetic

    @Option(name: .long, help: "Objective: cispo (M1's), dapo or grpo.")
    var algorithm: ReinforcementOptions.Algorithm = .cispo

    @Option(name: .long, help: "Output directory: metrics.jsonl, checkpoints/, the final model.")
    var out: String

    @Option(name: .long, parsing: .unconditional, help: "Rollout batches (RL steps).")
    var steps: Int = 20

    @Option(name: .long, parsing: .unconditional, help: "Samples per prompt (G).")
    var groupSize: Int = 8

    @Option(name: .long, parsing: .unconditional, help: "Prompts per rollout batch.")
    var promptsPerStep: Int = 8

    @Option(name: .long, parsing: .unconditional, help: "Minibatch updates per rollout batch.")
    var updatesPerStep: Int = 16

    @Option(name: .long, parsing: .unconditional, help: "Longest response, in tokens.")
    var maxTokens: Int = 64

    @Option(name: .long, parsing: .unconditional, help: "Learning rate (constant).")
    var lr: Float = 1e-4

    @Option(name: .long, parsing: .unconditional, help: "CISPO: the ratio cap is 1 + this (TRL's epsilon_high = 1 + this; default 4). DAPO: upper clip (0.28). GRPO: the clip (0.2).")
    var epsilonHigh: Float?

    @Option(name: .long, parsing: .unconditional, help: "DAPO: lower clip (default 0.2).")
    var epsilonLow: Float?

    @Option(name: .long, parsing: .unconditional, help: "GRPO: KL coefficient β against the starting model (default 0).")
    var klCoef: Float = 0

    @Option(name: .long, parsing: .unconditional, help: "Stop a rollout after K consecutive tokens with p > 0.99 (0: off).")
    var repetitionGuard: Int = 64

    @Option(name: .long, help: "Score responses with this shell command instead: JSON {prompt, response, answer} on stdin, a number on stdout.")
    var rewardCommand: String?

    @Option(name: .long, parsing: .unconditional, help: "Seed of problems and samples.")
    var seed: UInt64 = 0

    @Option(name: .long, parsing: .unconditional, help: "Write a checkpoint every N steps (default: only at the end).")
    var checkpointEvery: Int = 0

    @Option(name: .long, parsing: .unconditional, help: "Greedy held-out accuracy every N steps (default: at the start and the end).")
    var evalEvery: Int = 0

    @Option(name: .long, parsing: .unconditional, help: "Held-out problems in each evaluation.")
    var evalProblems: Int = 64

    @Flag(name: .long, help: "Continue from the latest complete checkpoint in --out.")
    var resume = false

    @Option(name: .long, parsing: .unconditional, help: "Worker threads for the kernels (default: all cores).")
    var threads: Int?

    func validate() throws {
        try checkModelDirectory(model)
        for (name, value) in [("--steps", steps), ("--group-size", groupSize), ("--prompts-per-step", promptsPerStep),
                              ("--updates-per-step", updatesPerStep), ("--max-tokens", maxTokens), ("--eval-problems", evalProblems)]
        where value < 1 {
            throw ValidationError("\(name) must be at least 1, got \(value)")
        }
        let (samples, overflow) = groupSize.multipliedReportingOverflow(by: promptsPerStep)
        guard !overflow, samples <= 1 << 14 else {
            throw ValidationError("--group-size × --prompts-per-step must be at most \(1 << 14) samples per step, got \(groupSize) × \(promptsPerStep)")
        }
        for (name, value, limit) in [("--max-tokens", maxTokens, 1 << 20), ("--eval-problems", evalProblems, 1 << 16), ("--updates-per-step", updatesPerStep, 1 << 16)] where value > limit {
            throw ValidationError("\(name) must be at most \(limit), got \(value)")
        }
        if groupSize < 2 { throw ValidationError("--group-size must be at least 2 (advantages compare samples of one prompt), got \(groupSize)") }
        for (name, value) in [("--repetition-guard", repetitionGuard), ("--checkpoint-every", checkpointEvery), ("--eval-every", evalEvery)] where value < 0 {
            throw ValidationError("\(name) must not be negative, got \(value)")
        }
        guard lr.isFinite, lr > 0 else { throw ValidationError("--lr must be a positive number, got \(lr)") }
        for (name, value) in [("--epsilon-high", epsilonHigh), ("--epsilon-low", epsilonLow)] {
            if let value, !(value.isFinite && value >= 0) { throw ValidationError("\(name) must be ≥ 0, got \(value)") }
        }
        guard klCoef.isFinite, klCoef >= 0 else { throw ValidationError("--kl-coef must be ≥ 0, got \(klCoef)") }
        try checkThreadCount(threads)
    }

    func run() throws {
        if let threads { Parallel.threadCount = threads }
        let modelDirectory = URL(fileURLWithPath: model), output = URL(fileURLWithPath: out)
        let configuration = try Configuration.load(directory: modelDirectory)
        let tokenizer = try ModelBundle.loadTokenizer(directory: modelDirectory)
        var options = ReinforcementOptions(
            algorithm: algorithm, steps: steps, promptsPerStep: promptsPerStep, groupSize: groupSize,
            updatesPerStep: updatesPerStep, maxResponseTokens: maxTokens, learningRate: lr, seed: seed)
        if let epsilonHigh { options.epsilonHigh = epsilonHigh }
        if let epsilonLow { options.epsilonLow = epsilonLow }
        options.klCoefficient = klCoef
        options.repetitionGuard = repetitionGuard
        options.checkpointEvery = checkpointEvery
        options.evaluateEvery = evalEvery
        options.evaluationProblems = evalProblems
        let rewardTask = task.rewardTask
        var verifier: ((Problem, String) -> Score?)?
        if let rewardCommand {
            let external = ExternalReward(command: rewardCommand)
            verifier = { problem, response in
                switch external.reward(prompt: problem.prompt, response: response, answer: problem.answer) {
                case .success(let value): return Score(reward: value, correct: value > 0.5, wellFormed: true)
                case .failure(let failure):
                    printError("reward: \(failure); sample skipped")
                    return nil
                }
            }
        }
        let modelFiles = ModelFiles(
            configuration: configuration, source: modelDirectory, configurationFile: modelDirectory.appendingPathComponent("config.json"))
        let checkpoints = CheckpointDirectory(output: output)
        checkpoints.removeIncomplete()
        let trainer: ReinforcementTrainer
        if resume, let step = checkpoints.steps().last {
            let loaded = try checkpoints.load(step: step, configuration: configuration, optimizer: options.optimizer, state: ReinforcementState.self)
            var state = loaded.state
            state.options.steps = max(steps, state.options.steps)
            trainer = try ReinforcementTrainer(
                parameters: loaded.parameters, optimizer: loaded.optimizer, task: rewardTask, verifier: verifier,
                tokenizer: tokenizer, options: state.options, output: output, modelFiles: modelFiles, state: state)
            printError("resuming at step \(step) from \(checkpoints.url(step: step).path)")
        } else {
            let parameters = try ParameterStore.load(configuration: configuration, checkpoint: try Checkpoint(directory: modelDirectory))
            trainer = try ReinforcementTrainer(
                parameters: parameters, optimizer: AdamW(tree: parameters.tree, settings: options.optimizer), task: rewardTask,
                verifier: verifier, tokenizer: tokenizer, options: options, output: output, modelFiles: modelFiles)
        }
        printError("\(algorithm.rawValue) on \(rewardTask.name): \(trainer.options.promptsPerStep) prompts × \(trainer.options.groupSize) samples per step, \(trainer.options.updatesPerStep) updates per step")
        try trainer.run { m in
            var line = String(format: "step %d/%d  reward %.3f  accuracy %.3f  length %.1f  entropy %.3f  clipped %.3f  ratio %.3f (max %.2f)  corr %.5f  %.1f s + %.1f s",
                              m.step, trainer.options.steps, m.reward, m.accuracy, m.response_length, m.entropy, m.clipped_fraction,
                              m.importance_weight_mean, m.importance_weight_max, m.sampler_trainer_prob_corr, m.rollout_seconds, m.update_seconds)
            if let eval = m.eval_accuracy { line += String(format: "  eval %.3f", eval) }
            printError(line)
        }
        writeOutput("wrote \(out): final model, metrics.jsonl, checkpoints/\n")
    }
}

extension ReinforcementOptions.Algorithm: ExpressibleByArgument {}
