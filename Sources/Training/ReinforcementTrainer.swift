import ChatFormat
import Foundation
import Generation
import MiniMax
import Tensors
import Tokenization

/// The settings of an RL run (saved in its checkpoints).
public struct ReinforcementOptions: Codable, Sendable, Equatable {
    public enum Algorithm: String, Codable, Sendable, CaseIterable { case cispo, dapo, grpo }

    public var algorithm: Algorithm
    public var steps: Int
    /// Prompts per rollout batch, and samples per prompt (G).
    public var promptsPerStep: Int
    public var groupSize: Int
    /// Optimizer updates per rollout batch: the batch's responses are split into this many minibatches,
    /// so from the second one on the policy differs from the sampler's and importance weights matter.
    public var updatesPerStep: Int
    public var maxResponseTokens: Int
    public var learningRate: Float
    public var optimizer: AdamWSettings
    /// CISPO: ratio cap 1 + ε_high (TRL's epsilon_high = 1 + this). DAPO: clip-higher bound. GRPO: the symmetric ε.
    public var epsilonHigh: Float
    /// DAPO's lower clip bound.
    public var epsilonLow: Float
    /// GRPO's KL coefficient β (0: no reference model).
    public var klCoefficient: Float
    /// Stop a rollout after this many consecutive tokens with p > 0.99 (the M1 report's guard; 0: off).
    public var repetitionGuard: Int
    public var seed: UInt64
    public var checkpointEvery: Int
    /// Greedy accuracy on `evaluationProblems` held-out problems every this many steps (0: start and end only).
    public var evaluateEvery: Int
    public var evaluationProblems: Int

    public init(
        algorithm: Algorithm, steps: Int, promptsPerStep: Int = 8, groupSize: Int = 8, updatesPerStep: Int = 16,
        maxResponseTokens: Int = 64, learningRate: Float = 1e-4, seed: UInt64 = 0
    ) {
        self.algorithm = algorithm
        self.steps = steps
        self.promptsPerStep = promptsPerStep
        self.groupSize = groupSize
        self.updatesPerStep = updatesPerStep
        self.maxResponseTokens = maxResponseTokens
        self.learningRate = learningRate
        var optimizer = AdamWSettings()
        optimizer.weightDecay = 0
        self.optimizer = optimizer
        switch algorithm {
        case .cispo: epsilonHigh = 4; epsilonLow = 0
        case .dapo: epsilonHigh = 0.28; epsilonLow = 0.2
        case .grpo: epsilonHigh = 0.2; epsilonLow = 0.2
        }
        klCoefficient = 0
        repetitionGuard = 64
        self.seed = seed
        checkpointEvery = 0
        evaluateEvery = 0
        evaluationProblems = 64
    }

    public var objective: PolicyObjective {
        switch algorithm {
        case .cispo: return .cispo(epsilonHigh: epsilonHigh)
        case .dapo: return .dapo(epsilonLow: epsilonLow, epsilonHigh: epsilonHigh)
        case .grpo: return .grpo(epsilon: epsilonHigh, klCoefficient: klCoefficient)
        }
    }
}

public struct ReinforcementState: Codable, Sendable, Equatable, StepCounting {
    /// RL steps (rollout batches) done.
    public var step: Int
    /// Optimizer updates done.
    public var updates: Int
    public var options: ReinforcementOptions
    public var optimizerSteps: Int { updates }
}

/// One line of an RL run's `metrics.jsonl`.
public struct ReinforcementMetrics: Codable, Sendable, Equatable {
    public var step: Int
    public var reward: Double
    public var accuracy: Double
    public var response_length: Double
    /// Mean entropy (nats) of the policy at the response tokens, as the trainer's forward pass saw it.
    public var entropy: Double
    public var clipped_fraction: Double
    public var masked_fraction: Double
    public var importance_weight_mean: Double
    public var importance_weight_max: Double
    /// Pearson correlation of the sampler's and the trainer's token probabilities before the step's
    /// first update (1 up to rounding with the batch-invariant engine).
    public var sampler_trainer_prob_corr: Double
    public var loss: Double
    public var gradient_norm: Double
    /// Groups with a non-zero advantage (the rest carry no gradient; DAPO drops them and samples more).
    public var groups_kept: Int
    public var rollouts: Int
    public var repetition_stops: Int
    public var reward_failures: Int
    public var eval_accuracy: Double?
    public var rollout_seconds: Double
    public var update_seconds: Double
}

/// Rollouts on the batched engine → verifier rewards → group advantages → `updatesPerStep` minibatch
/// updates with a policy objective (CISPO, DAPO or GRPO) → metrics, checkpoints.
public final class ReinforcementTrainer {
    public let parameters: ParameterStore
    public let optimizer: AdamW
    public let task: RewardTask
    public let verifier: ((Problem, String) -> Score?)?
    public let tokenizer: Tokenizer
    public let options: ReinforcementOptions
    public let output: URL
    public let modelFiles: ModelFiles
    public private(set) var state: ReinforcementState
    private let gradients: ParameterStore
    private let reference: ParameterStore?
    private let endOfSequence: Set<Int>
    private let prompt: TaskPrompt

    /// `verifier` replaces the task's own scoring (an external reward command); nil from it means the
    /// sample could not be scored and is skipped.
    public init(
        parameters: ParameterStore, optimizer: AdamW, task: RewardTask, verifier: ((Problem, String) -> Score?)? = nil,
        tokenizer: Tokenizer, options: ReinforcementOptions, output: URL, modelFiles: ModelFiles,
        state: ReinforcementState? = nil
    ) throws {
        self.parameters = parameters
        self.optimizer = optimizer
        self.task = task
        self.verifier = verifier
        self.tokenizer = tokenizer
        self.options = options
        self.output = output
        self.modelFiles = modelFiles
        self.state = state ?? ReinforcementState(step: 0, updates: 0, options: options)
        gradients = ParameterStore(tree: parameters.tree)
        reference = options.objective.needsReference ? parameters.copy() : nil
        prompt = TaskPrompt(tokenizer: tokenizer, vocabularySize: parameters.tree.configuration.vocabularySize)
        endOfSequence = prompt.endOfSequence(parameters.tree.configuration)
    }

    public var metricsURL: URL { output.appendingPathComponent("metrics.jsonl") }

    /// The prompt as the model sees it: the user's message in the M1 chat format, then the
    /// opening of the assistant's turn.
    public func promptTokens(_ problem: Problem) throws -> [Int] { try prompt.tokens(problem) }

    /// Greedy accuracy on held-out problems (`TaskEvaluation.heldOutSeed` + the run's seed).
    public func evaluate(count: Int? = nil) throws -> Double {
        let problems = task.problems(count: count ?? options.evaluationProblems, seed: TaskEvaluation.heldOutSeed &+ options.seed)
        return try TaskEvaluation(
            model: try model(), prompt: prompt, problems: problems, maxNewTokens: options.maxResponseTokens,
            score: { problem, text in self.score(problem, text) }
        ).accuracy
    }

    public func run(report: (ReinforcementMetrics) -> Void = { _ in }) throws {
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try MetricsLog.truncate(metricsURL, keepingThrough: state.step)
        if state.step == 0 {
            let start = try evaluate()
            try MetricsLog.append(ReinforcementMetrics.start(evalAccuracy: start), to: metricsURL)
        }
        while state.step < options.steps {
            var metrics = try step()
            let final = state.step == options.steps
            if final || (options.evaluateEvery > 0 && state.step % options.evaluateEvery == 0) {
                metrics.eval_accuracy = try evaluate()
            }
            try MetricsLog.append(metrics, to: metricsURL)
            if final || (options.checkpointEvery > 0 && state.step % options.checkpointEvery == 0) {
                let checkpoints = CheckpointDirectory(output: output)
                try checkpoints.write(step: state.step, parameters: parameters, optimizer: optimizer, state: state, modelFiles: modelFiles)
                checkpoints.removeOlder(keeping: 3)
            }
            report(metrics)
        }
        if state.step == options.steps { try modelFiles.write(parameters, to: output) }
    }

    private func model() throws -> MiniMaxModel {
        MiniMaxModel(configuration: parameters.tree.configuration, weights: try parameters.modelWeights())
    }

    private func score(_ problem: Problem, _ rollout: Rollout) -> Score? {
        score(problem, (try? tokenizer.decode(rollout.response)) ?? "")
    }

    private func score(_ problem: Problem, _ text: String) -> Score? {
        if let verifier { return verifier(problem, text) }
        return task.score(problem, response: text)
    }

    /// One rollout batch and its updates.
    func step() throws -> ReinforcementMetrics {
        let rolloutStart = Date()
        let sampler = RolloutSampler(
            model: try model(), maxNewTokens: options.maxResponseTokens, endOfSequence: endOfSequence,
            repetitionGuard: options.repetitionGuard > 0 ? RepetitionGuard(consecutiveTokens: options.repetitionGuard) : nil)
        let g = options.groupSize
        var kept: [(rollout: Rollout, advantage: Float)] = []
        var rewards: [Double] = [], correct = 0, scored = 0, lengths = 0, rollouts = 0, repetitionStops = 0, failures = 0
        var groupsKept = 0
        // DAPO's dynamic sampling: groups whose rewards are all equal carry no gradient; draw more
        // prompts (up to three rounds) until the batch holds `promptsPerStep` useful groups.
        let rounds = options.algorithm == .dapo ? 3 : 1
        for round in 0..<rounds where groupsKept < options.promptsPerStep {
            let problemSeed = options.seed &+ UInt64(state.step) &* 1_000_003 &+ UInt64(round) &* 7919
            let problems = task.problems(count: options.promptsPerStep - groupsKept, seed: problemSeed)
            let batch = try sampler.sample(prompts: try problems.map(promptTokens), samplesPerPrompt: g, seed: problemSeed)
            rollouts += batch.count
            let overlong = OverlongPenalty(maximumLength: options.maxResponseTokens, cacheLength: max(options.maxResponseTokens / 4, 1))
            for (p, problem) in problems.enumerated() {
                let group = Array(batch[(p * g)..<((p + 1) * g)])
                var groupRewards: [Double] = []
                for rollout in group {
                    lengths += rollout.response.count
                    if rollout.finish == .repetition { repetitionStops += 1 }
                    guard let s = score(problem, rollout) else {
                        failures += 1
                        groupRewards.append(.nan)
                        continue
                    }
                    scored += 1
                    if s.correct { correct += 1 }
                    rewards.append(s.reward)
                    let shaped = options.algorithm == .dapo ? s.reward + overlong.penalty(length: rollout.response.count) : s.reward
                    groupRewards.append(shaped)
                }
                let advantage = GroupAdvantage(rewards: groupRewards)
                if advantage.isDegenerate && options.algorithm == .dapo { continue }
                if !advantage.isDegenerate { groupsKept += 1 }
                for (rollout, a) in zip(group, advantage.advantages) { kept.append((rollout, a)) }
            }
        }
        let rolloutSeconds = Date().timeIntervalSince(rolloutStart)

        // Updates: the kept responses in a seeded order, split into minibatches.
        let updateStart = Date()
        var order = Array(kept.indices)
        var random = SplitMix64(seed: options.seed &+ UInt64(state.step) &* 31)
        order.shuffle(using: &random)
        let minibatches = max(1, min(options.updatesPerStep, order.count))
        var statistics = ObjectiveStatistics()
        var correlation = PearsonCorrelation()
        var lastNorm: Float = 0
        for m in 0..<minibatches {
            let members = stride(from: m, to: order.count, by: minibatches).map { kept[order[$0]] }
            let totalTokens = members.reduce(0) { $0 + $1.rollout.response.count }
            gradients.zero()
            for (rollout, advantage) in members {
                let sequence = rollout.prompt + rollout.response
                let first = rollout.prompt.count - 1  // the position that predicts the first response token
                let inputs = Array(sequence.dropLast()), targets = Array(sequence.dropFirst())
                let mask = (0..<inputs.count).map { $0 >= first }
                var referenceLogProbabilities: [Double]?
                if let reference {
                    let result = LanguageModelGradient.run(parameters: reference, gradients: nil, inputs: inputs, targets: targets, mask: mask)
                    referenceLogProbabilities = result.tokens[first...].map { -($0?.negativeLogProbability ?? 0) }
                }
                let result = LanguageModelGradient.run(
                    parameters: parameters, gradients: gradients, inputs: inputs, targets: targets, mask: mask,
                    tokenWeight: { t, negativeLogProbability in
                        let j = t - first
                        let term = options.objective.term(
                            newLogProbability: -negativeLogProbability, oldLogProbability: Double(rollout.logProbabilities[j]),
                            referenceLogProbability: referenceLogProbabilities?[j], advantage: Double(advantage),
                            responseLength: rollout.response.count, totalTokens: totalTokens, responseCount: members.count)
                        statistics.add(term)
                        if m == 0 {
                            correlation.add(Double(exp(rollout.logProbabilities[j])), exp(-negativeLogProbability))
                        }
                        return term.weight
                    })
                for token in result.tokens[first...] { statistics.addEntropy(token?.entropy ?? 0) }
            }
            lastNorm = optimizer.update(parameters, gradients: gradients, rate: options.learningRate)
            state.updates += 1
        }
        state.step += 1
        return ReinforcementMetrics(
            step: state.step, reward: rewards.isEmpty ? 0 : rewards.reduce(0, +) / Double(rewards.count),
            accuracy: Double(correct) / Double(max(scored, 1)), response_length: Double(lengths) / Double(max(rollouts, 1)),
            entropy: statistics.meanEntropy, clipped_fraction: statistics.clippedFraction, masked_fraction: statistics.maskedFraction,
            importance_weight_mean: statistics.meanRatio, importance_weight_max: statistics.maxRatio,
            sampler_trainer_prob_corr: correlation.value, loss: statistics.loss, gradient_norm: Double(lastNorm),
            groups_kept: groupsKept, rollouts: rollouts, repetition_stops: repetitionStops, reward_failures: failures,
            eval_accuracy: nil, rollout_seconds: rolloutSeconds, update_seconds: Date().timeIntervalSince(updateStart))
    }
}

extension ReinforcementMetrics {
    /// The line before any step: the starting model's held-out accuracy.
    static func start(evalAccuracy: Double) -> ReinforcementMetrics {
        ReinforcementMetrics(
            step: 0, reward: 0, accuracy: 0, response_length: 0, entropy: 0, clipped_fraction: 0, masked_fraction: 0,
            importance_weight_mean: 1, importance_weight_max: 1, sampler_trainer_prob_corr: 1, loss: 0, gradient_norm: 0,
            groups_kept: 0, rollouts: 0, repetition_stops: 0, reward_failures: 0, eval_accuracy: evalAccuracy,
            rollout_seconds: 0, update_seconds: 0)
    }
}

/// Running sums of the objective's per-token statistics over a step.
struct ObjectiveStatistics {
    var tokens = 0, clipped = 0, masked = 0, entropyTokens = 0
    var ratioSum = 0.0, maxRatio = 0.0, loss = 0.0, entropySum = 0.0

    mutating func add(_ term: TokenTerm) {
        tokens += 1
        if term.clipped { clipped += 1 }
        if term.masked { masked += 1 }
        ratioSum += term.ratio
        maxRatio = max(maxRatio, term.ratio)
        loss += term.loss
    }

    mutating func addEntropy(_ entropy: Double) {
        entropyTokens += 1
        entropySum += entropy
    }

    var clippedFraction: Double { Double(clipped) / Double(max(tokens, 1)) }
    var maskedFraction: Double { Double(masked) / Double(max(tokens, 1)) }
    var meanRatio: Double { tokens > 0 ? ratioSum / Double(tokens) : 1 }
    var meanEntropy: Double { entropySum / Double(max(entropyTokens, 1)) }
}

/// Pearson's r of paired samples, accumulated in Double.
struct PearsonCorrelation {
    var n = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0

    mutating func add(_ x: Double, _ y: Double) {
        n += 1
        sx += x
        sy += y
        sxx += x * x
        syy += y * y
        sxy += x * y
    }

    var value: Double {
        let cov = sxy - sx * sy / n, vx = sxx - sx * sx / n, vy = syy - sy * sy / n
        guard n > 1, vx > 0, vy > 0 else { return 1 }
        return cov / (vx * vy).squareRoot()
    }
}
