import Foundation

/// A reward from any program: `/bin/sh -c COMMAND` gets one JSON object on stdin
/// (`{"prompt": …, "response": …, "answer": …}`) and prints a number on stdout. A command that
/// fails, prints no number, or runs past the time limit gives no score: the sample is skipped and
/// the failure reported, never fatal.
public struct ExternalReward: Sendable {
    public let command: String
    public let timeLimit: TimeInterval

    public init(command: String, timeLimit: TimeInterval = 10) {
        self.command = command
        self.timeLimit = timeLimit
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case cannotStart(String)
        case exitStatus(Int32, stderr: String)
        case notANumber(String)
        case timedOut(TimeInterval)

        public var description: String {
            switch self {
            case .cannotStart(let reason): return "reward command cannot start: \(reason)"
            case .exitStatus(let status, let stderr): return "reward command exited with status \(status)\(stderr.isEmpty ? "" : ": \(stderr)")"
            case .notANumber(let output): return "reward command printed \(output.isEmpty ? "nothing" : "'\(output.prefix(80))'"), not a number"
            case .timedOut(let limit): return "reward command ran past \(limit) s and was killed"
            }
        }
    }

    public func reward(prompt: String, response: String, answer: String) -> Result<Double, Failure> {
        let payload = (try? JSONSerialization.data(withJSONObject: ["prompt": prompt, "response": response, "answer": answer])) ?? Data()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        // A command that exits without reading its input must not take us down with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do { try process.run() } catch { return .failure(.cannotStart("\(error)")) }
        // Write and close stdin on its own thread: a command that never reads must not block us.
        let writer = Thread {
            try? input.fileHandleForWriting.write(contentsOf: payload)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let collected = OutputCollector(output.fileHandleForReading, errors.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeLimit)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning {
            kill(-process.processIdentifier, SIGKILL)
            process.terminate()
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return .failure(.timedOut(timeLimit))
        }
        process.waitUntilExit()
        let (stdout, stderr) = collected.finish()
        guard process.terminationStatus == 0 else {
            return .failure(.exitStatus(process.terminationStatus, stderr: String(stderr.suffix(200)).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        let text = stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let value = Double(text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""), value.isFinite else {
            return .failure(.notANumber(text))
        }
        return .success(value)
    }
}

/// Reads a process's stdout and stderr to the end on background threads (so a chatty command
/// never blocks on a full pipe), keeping at most 64 KiB of each.
private final class OutputCollector: @unchecked Sendable {
    private var out = Data(), err = Data()
    private let group = DispatchGroup()

    init(_ stdout: FileHandle, _ stderr: FileHandle) {
        read(stdout) { self.out = $0 }
        read(stderr) { self.err = $0 }
    }

    private func read(_ handle: FileHandle, store: @escaping @Sendable (Data) -> Void) {
        group.enter()
        DispatchQueue.global().async {
            var kept = Data()
            while let chunk = try? handle.read(upToCount: 65536), !chunk.isEmpty {
                if kept.count < 65536 { kept.append(chunk.prefix(65536 - kept.count)) }
            }
            store(kept)
            self.group.leave()
        }
    }

    func finish() -> (String, String) {
        _ = group.wait(timeout: .now() + 2)
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
