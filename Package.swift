// swift-tools-version:6.0
import Foundation
import PackageDescription

// The numerical kernels are written with Swift SIMD types. Swift's default x86-64 target has no
// AVX, which makes them 5-8x slower, so every build targets the host CPU unless told otherwise:
//   MINIMAX_TARGET_CPU=x86-64-v3 swift build -c release   # portable AVX2 binary
//   MINIMAX_TARGET_CPU=generic   swift build -c release   # the toolchain default
let targetCPU = ProcessInfo.processInfo.environment["MINIMAX_TARGET_CPU"] ?? "native"
// The swift frontend knows CPUs by name only (no x86-64-v2/v3/v4 levels): a level becomes the
// oldest CPU that has it for Swift, and stays a level for clang's -march.
let swiftLevelCPUs = ["x86-64-v2": "nehalem", "x86-64-v3": "haswell", "x86-64-v4": "skylake-avx512"]
let hostCPUSettings: [SwiftSetting] =
    targetCPU == "generic" ? [] : [.unsafeFlags(["-target-cpu", swiftLevelCPUs[targetCPU] ?? targetCPU])]
let coreSettings: [SwiftSetting] = hostCPUSettings
// The numerical modules are optimised in debug builds too: unoptimised SIMD code is ~50x slower,
// and the test suite (a debug build) runs real forward passes.
let numericSettings: [SwiftSetting] = coreSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
let cSettings: [CSetting] =
    [.unsafeFlags(["-O3", "-ffp-contract=fast"] + (targetCPU == "generic" ? [] : ["-march=\(targetCPU)"]))]

let package = Package(
    name: "MiniMaxSwift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "minimax", targets: ["MiniMaxCLI"]),
        .library(name: "MiniMax", targets: ["MiniMax"]),
        .library(name: "Tokenization", targets: ["Tokenization"]),
        .library(name: "ChatFormat", targets: ["ChatFormat"]),
        .library(name: "Generation", targets: ["Generation"]),
        .library(name: "Serving", targets: ["Serving"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    ],
    targets: [
        // Numerical core: nothing but the toolchain.
        .target(name: "Tensors", swiftSettings: numericSettings),
        .target(name: "CKernels", cSettings: cSettings),
        .target(name: "Kernels", dependencies: ["Tensors", "CKernels"], swiftSettings: numericSettings),
        .target(name: "SafeTensors", dependencies: ["Tensors"], swiftSettings: coreSettings),
        .target(
            name: "MiniMax", dependencies: ["Tensors", "Kernels", "SafeTensors"],
            swiftSettings: numericSettings),
        // Memory, traffic, FLOP and speed estimates from a configuration; the SVG line chart.
        .target(name: "Planning", dependencies: ["MiniMax"], swiftSettings: coreSettings),
        .target(name: "Tokenization", swiftSettings: coreSettings),
        .target(name: "ChatFormat", swiftSettings: coreSettings),
        .target(
            name: "Generation", dependencies: ["MiniMax", "Kernels", "Tensors", "Tokenization"], swiftSettings: coreSettings),
        // Backward passes, optimizer, trainer: gradients for every part of the model.
        .target(
            name: "Training",
            dependencies: ["Tensors", "CKernels", "Kernels", "MiniMax", "SafeTensors", "Tokenization", "ChatFormat", "Generation"],
            swiftSettings: numericSettings),
        // The batched engine and its scheduler (continuous batching); used by the server and by RL rollouts.
        .target(
            name: "Serving",
            dependencies: [
                "MiniMax", "Generation", "Tokenization", "Tensors", "Kernels",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: coreSettings),
        // The OpenAI-compatible HTTP layer around any GenerationService.
        .target(
            name: "OpenAIServer",
            dependencies: [
                "Serving", "Generation", "Tokenization", "ChatFormat", "MiniMax",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: coreSettings),
        .target(
            name: "MiniMaxCommands",
            dependencies: [
                "MiniMax", "Tokenization", "ChatFormat", "Generation", "Serving", "OpenAIServer", "Training",
                "Kernels", "SafeTensors", "Tensors", "Planning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: coreSettings),
        .executableTarget(
            name: "MiniMaxCLI", dependencies: ["MiniMaxCommands"], swiftSettings: coreSettings),

        .target(
            name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport",
            swiftSettings: coreSettings),
        .testTarget(
            name: "TensorsTests", dependencies: ["Tensors", "TestSupport"],
            swiftSettings: coreSettings),
        .testTarget(
            name: "KernelsTests", dependencies: ["Kernels", "Tensors", "TestSupport"],
            swiftSettings: coreSettings),
        .testTarget(
            name: "SafeTensorsTests", dependencies: ["SafeTensors", "Tensors", "TestSupport"],
            swiftSettings: coreSettings),
        // Counts heap allocations in the test process (interposes malloc; Linux/glibc only).
        .target(name: "AllocationCounting", path: "Tests/AllocationCounting"),
        .testTarget(
            name: "MiniMaxTests",
            dependencies: ["MiniMax", "Kernels", "SafeTensors", "Tensors", "TestSupport", "AllocationCounting"],
            exclude: ["Fixtures"], swiftSettings: coreSettings),
        .testTarget(
            name: "PlanningTests",
            dependencies: ["Planning", "MiniMax", "Kernels", "SafeTensors", "Tensors", "TestSupport"],
            swiftSettings: coreSettings),
        .testTarget(
            name: "TokenizationTests", dependencies: ["Tokenization", "TestSupport"],
            exclude: ["Fixtures"], swiftSettings: coreSettings),
        .testTarget(
            name: "ChatFormatTests", dependencies: ["ChatFormat", "TestSupport"],
            exclude: ["Fixtures"], swiftSettings: coreSettings),
        .testTarget(
            name: "GenerationTests", dependencies: ["Generation", "MiniMax", "Tokenization", "TestSupport"],
            exclude: ["Fixtures"], swiftSettings: coreSettings),
        .testTarget(
            name: "ServingTests", dependencies: ["Serving", "MiniMax", "Generation", "TestSupport"],
            swiftSettings: coreSettings),
        .testTarget(
            name: "TrainingTests",
            dependencies: [
                "Training", "MiniMax", "Kernels", "SafeTensors", "Tensors", "Tokenization", "ChatFormat", "Generation",
                "TestSupport",
            ],
            exclude: ["Fixtures"], swiftSettings: coreSettings),
        .testTarget(
            name: "OpenAIServerTests",
            dependencies: [
                "OpenAIServer", "Serving", "MiniMax", "Generation", "Tokenization", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: coreSettings),
        .testTarget(
            name: "MiniMaxCommandsTests",
            dependencies: [
                "MiniMaxCommands", "MiniMax", "SafeTensors", "Tensors", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Swift 5 mode: the in-process command harness swaps the C `stdin`/`stdout` streams,
            // globals that Swift 6 refuses to touch from a test.
            swiftSettings: coreSettings + [.swiftLanguageMode(.v5)]),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer targets (Fuzz/, run by scripts/fuzz.sh), only when MINIMAX_FUZZ is set: they link
// only with `-sanitize=fuzzer` (libFuzzer's driver), which an ordinary build does not pass. Built
// in debug, where `@testable import` reaches the internal request types.
if ProcessInfo.processInfo.environment["MINIMAX_FUZZ"] != nil {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzConfig", ["MiniMax"]), ("FuzzSafeTensors", ["SafeTensors"]), ("FuzzTokenizer", ["Tokenization"]),
        ("FuzzLegacyTokenizer", ["Tokenization"]), ("FuzzChat", ["ChatFormat"]),
        ("FuzzRequest", ["OpenAIServer", "ChatFormat"]),
    ]
    package.targets.append(.target(name: "FuzzDriver", path: "Fuzz/FuzzDriver"))
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name, dependencies: target.dependencies + ["FuzzDriver"], path: "Fuzz/\(target.name)",
            swiftSettings: coreSettings))
        package.products.append(.executable(name: target.name, targets: [target.name]))
    }
}
