/// Turns ids into text one at a time, as a model generates them.
///
/// A byte-level token can end in the middle of a UTF-8 character (one emoji is often two or
/// three tokens), so text is only released once it decodes without a trailing U+FFFD; until
/// then the ids wait. The last released ids are kept as context and decoded together with the
/// new ones, so decoders that look at neighbours (strip a leading space, …) behave as in a full
/// `decode`; the new text is what the longer decode adds.
///
/// Call order: `append(_:)` for each id, then `finish()` once.
public struct StreamingDetokenizer {
    public let tokenizer: Tokenizer
    public let skipSpecialTokens: Bool
    private var context: [Int] = []
    private var contextText = ""
    private var pending: [Int] = []

    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one id; returns the text it completes (often empty while a character is unfinished).
    public mutating func append(_ id: Int) throws -> String {
        pending.append(id)
        let text = try tokenizer.decode(context + pending, skipSpecialTokens: skipSpecialTokens)
        guard text.utf8.count > contextText.utf8.count, !text.hasSuffix("\u{FFFD}") else { return "" }
        return release(text)
    }

    /// Everything still held back; a dangling partial character comes out as U+FFFD, as in
    /// `decode`. The detokenizer is empty afterwards.
    public mutating func finish() throws -> String {
        guard !pending.isEmpty else { return "" }
        let text = try tokenizer.decode(context + pending, skipSpecialTokens: skipSpecialTokens)
        let released = release(text)
        context = []
        contextText = ""
        return released
    }

    private mutating func release(_ text: String) -> String {
        // The context's text should be a prefix; if a decoder rewrote it, emit past the common part.
        let contextBytes = Array(contextText.utf8)
        var shared = 0
        for byte in text.utf8 {
            guard shared < contextBytes.count, contextBytes[shared] == byte else { break }
            shared += 1
        }
        let released = String(decoding: Array(text.utf8.dropFirst(shared)), as: UTF8.self)
        context = pending
        pending = []
        contextText = (try? tokenizer.decode(context, skipSpecialTokens: skipSpecialTokens)) ?? ""
        return released
    }
}
