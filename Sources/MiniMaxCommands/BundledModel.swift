import ArgumentParser
import Foundation

/// The small model that ships with the repository (`models/tiny-arithmetic`): trained by this
/// project's own pipeline (`scripts/experiments/cispo.sh`) to reason in the M1 format and do two-
/// and three-digit arithmetic. Commands that load a model use it when `--model` is not given.
enum BundledModel {
    /// The directory's path inside the repository.
    static let relativePath = "models/tiny-arithmetic"

    /// Where to look: `MINIMAX_DEFAULT_MODEL` alone when it is set; else the checkout this binary
    /// was built from, then `models/tiny-arithmetic` under the current directory.
    static var candidates: [String] {
        if let override = ProcessInfo.processInfo.environment["MINIMAX_DEFAULT_MODEL"], !override.isEmpty {
            return [override]
        }
        // This file is Sources/MiniMaxCommands/BundledModel.swift: the checkout is three levels up.
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return [
            checkout.appendingPathComponent(relativePath).path,
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relativePath).path,
        ]
    }

    /// The first candidate that holds a `config.json`.
    static func directory() throws -> String {
        for path in candidates where FileManager.default.fileExists(atPath: path + "/config.json") {
            return path
        }
        throw ValidationError(
            "no --model given and no bundled model with a config.json in \(candidates.joined(separator: ", ")); "
                + "pass --model DIR (or set MINIMAX_DEFAULT_MODEL to a model directory)")
    }
}
