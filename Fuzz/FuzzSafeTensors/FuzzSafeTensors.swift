import Foundation
import FuzzDriver
import SafeTensors

/// libFuzzer entry: any bytes as a `.safetensors` file (written to a scratch file, since the
/// reader maps files). Opening must succeed or throw; every tensor it lists must be readable.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-safetensors-\(getpid()).safetensors")
    FileManager.default.createFile(atPath: url.path, contents: Data(bytes: data, count: size))
    defer { try? FileManager.default.removeItem(at: url) }
    guard let file = try? SafeTensorsFile(url: url) else { return 0 }
    for name in file.entries.keys.sorted() {
        guard let tensor = try? file.tensor(name) else { continue }
        _ = tensor.shape
    }
    return 0
}

@main
enum FuzzMain {
    static func main() { exit(minimax_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv)) }
}
