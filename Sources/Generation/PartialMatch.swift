/// Searching streamed text for markers (stop strings, tags) that may arrive split across pieces.
/// Works on Unicode scalars, like Python's string matching.
enum PartialMatch {
    /// The earliest occurrence of any needle in `text` (the longest needle wins a tie).
    static func firstOccurrence(
        of needles: [[Unicode.Scalar]], in text: [Unicode.Scalar]
    ) -> (range: Range<Int>, needle: Int)? {
        guard !text.isEmpty else { return nil }
        for start in 0..<text.count {
            var best: (range: Range<Int>, needle: Int)?
            for (n, needle) in needles.enumerated() where !needle.isEmpty && start + needle.count <= text.count {
                if text[start..<start + needle.count].elementsEqual(needle), needle.count > (best?.range.count ?? 0) {
                    best = (start..<start + needle.count, n)
                }
            }
            if let best { return best }
        }
        return nil
    }

    /// How many scalars at the end of `text` could be the start of a needle (and so must be held
    /// back until more text shows whether the needle completes).
    static func heldSuffixLength(of text: [Unicode.Scalar], needles: [[Unicode.Scalar]]) -> Int {
        var longest = 0
        for needle in needles {
            let limit = min(needle.count - 1, text.count)
            guard limit > longest else { continue }
            for length in stride(from: limit, to: longest, by: -1)
            where text[(text.count - length)...].elementsEqual(needle[..<length]) {
                longest = length
                break
            }
        }
        return longest
    }
}

extension String {
    init(scalars: some Sequence<Unicode.Scalar>) {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        self = String(view)
    }
}
