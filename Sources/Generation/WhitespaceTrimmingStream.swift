/// Streams text without its leading and trailing whitespace: leading whitespace is dropped,
/// inner whitespace is released when the next non-whitespace arrives, trailing whitespace never is.
/// The result does not depend on how the text was split.
struct WhitespaceTrimmingStream: Sendable {
    private var hasEmitted = false
    private var pendingWhitespace: [Unicode.Scalar] = []

    mutating func append(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var out: [Unicode.Scalar] = []
        for scalar in scalars {
            if scalar.properties.isWhitespace {
                if hasEmitted { pendingWhitespace.append(scalar) }
            } else {
                out += pendingWhitespace
                pendingWhitespace = []
                out.append(scalar)
                hasEmitted = true
            }
        }
        return String(scalars: out)
    }
}
