import ArgumentParser
import Foundation

/// The small model that ships with the repository (`models/tiny-arithmetic`): trained by this
/// project's own pipeline (`scripts/experiments/cispo.sh`) to reason in the M1 format and do two-
/// and three-digit arithmetic. Commands that load a model use it when `--model` is not given.
enum BundledModel {
    /// The directory's path inside the repository.
    static let relativePath = "models/tiny-arithmetic"

    /// Where to look, in order: `MINIMAX_DEFAULT_MODEL`, the checkout this binary was built from,
    /// and `models/tiny-arithmetic` under the current directory.
    static var candidates: [String] {
        var paths: [String] = []
        if let override = ProcessInfo.processInfo.environment["MINIMAX_DEFAULT_MODEL"], !override.isEmpty {
            paths.append(override)
        }
        // This file is Sources/MiniMaxCommands/BundledModel.swift: the checkout is three levels up.
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        paths.append(checkout.appendingPathComponent(relativePath).path)
        paths.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relativePath).path)
        return paths
    }

    /// The first candidate that holds a `config.json`.
    static func directory() throws -> String {
        for path in candidates where FileManager.default.fileExists(atPath: path + "/config.json") {
            return path
        }
        throw ValidationError(
            "no --model given and the bundled model was not found (looked in \(candidates.joined(separator: ", "))); "
                + "pass --model DIR or set MINIMAX_DEFAULT_MODEL")
    }
}
