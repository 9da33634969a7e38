import Foundation
import FuzzDriver
@testable import MiniMax

/// libFuzzer entry: any bytes as a config.json. Decoding must succeed or throw a
/// `ConfigurationError`; a decoded configuration's derived sizes must be computable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    do {
        let configuration = try Configuration.decode(bytes, path: "config.json")
        let sizes = try ConfigurationSizes(configuration)
        precondition(sizes.totalParameters < ConfigurationLimits.totalParameters)
        _ = configuration.lightningSlopes(layer: configuration.layerCount - 1)
        _ = try JSONEncoder().encode(configuration)
    } catch is ConfigurationError {
    } catch {
        preconditionFailure("config.json: an error that is not a ConfigurationError: \(error)")
    }
    return 0
}

@main
enum FuzzMain {
    static func main() { exit(minimax_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv)) }
}
