/// The post-processors of `tokenizer.json`, used when `encode(_:addSpecialTokens: true)`.
indirect enum PostProcessor: Sendable {
    /// Only adjusts offsets in `tokenizers`; ids pass unchanged.
    case byteLevel
    /// The `single` template: special-token ids around the sequence.
    case template(prefix: [Int], suffix: [Int])
    case sequence([PostProcessor])

    func apply(_ ids: [Int]) -> [Int] {
        switch self {
        case .byteLevel: return ids
        case .template(let prefix, let suffix): return prefix + ids + suffix
        case .sequence(let steps): return steps.reduce(ids) { $1.apply($0) }
        }
    }
}
