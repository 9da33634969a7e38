import ArgumentParser
import Foundation
@testable import MiniMaxCommands
import XCTest

/// What one in-process run of `minimax` printed and how it ended.
struct CommandRun {
    /// The exit code `MiniMaxCommand.main()` would use.
    var code: Int32
    var output: String
    var errorOutput: String
    /// The error line `main()` prints, and the whole text (usage included) it prints.
    var message: String
    var fullMessage: String
}

/// `runCommand` for tests that look only at the exit code and the error line; output that cannot
/// be captured fails the calling test.
func runForExitCode(
    _ arguments: [String], in directory: URL, file: StaticString = #filePath, line: UInt = #line
) -> (code: Int32, message: String) {
    do {
        let result = try runCommand(arguments, in: directory)
        return (result.code, result.message)
    } catch {
        XCTFail("could not capture the output of \(arguments): \(error)", file: file, line: line)
        return (-1, "")
    }
}

/// Runs `minimax` in process the way `main()` does, with stdout and stderr captured in files under
/// `directory` and stdin read from `input` when given.
func runCommand(_ arguments: [String], in directory: URL, input: String? = nil) throws -> CommandRun {
    let id = UUID().uuidString
    func redirect(_ fd: Int32, _ url: URL, writing: Bool) throws -> Int32 {
        if writing { _ = FileManager.default.createFile(atPath: url.path, contents: nil) }
        let file = open(url.path, writing ? O_WRONLY : O_RDONLY)
        guard file >= 0 else { throw CocoaError(.fileNoSuchFile) }
        let saved = dup(fd)
        dup2(file, fd)
        close(file)
        return saved
    }
    let outURL = directory.appendingPathComponent("stdout-\(id)"), errURL = directory.appendingPathComponent("stderr-\(id)")
    fflush(stdout)
    fflush(stderr)
    let savedOut = try redirect(STDOUT_FILENO, outURL, writing: true)
    let savedErr = try redirect(STDERR_FILENO, errURL, writing: true)
    var savedIn: Int32?
    if let input {
        let inURL = directory.appendingPathComponent("stdin-\(id)")
        try Data(input.utf8).write(to: inURL)
        savedIn = try redirect(STDIN_FILENO, inURL, writing: false)
    }
    var run = CommandRun(code: 0, output: "", errorOutput: "", message: "", fullMessage: "")
    do {
        var command = try MiniMaxCommand.parseAsRoot(arguments)
        try command.run()
    } catch {
        run.code = MiniMaxCommand.exitCode(for: error).rawValue
        run.message = MiniMaxCommand.message(for: error)
        run.fullMessage = MiniMaxCommand.fullMessage(for: error)
    }
    fflush(stdout)
    fflush(stderr)
    dup2(savedOut, STDOUT_FILENO)
    dup2(savedErr, STDERR_FILENO)
    close(savedOut)
    close(savedErr)
    if let savedIn {
        dup2(savedIn, STDIN_FILENO)
        close(savedIn)
        clearerr(stdin)
    }
    run.output = try String(contentsOf: outURL, encoding: .utf8)
    run.errorOutput = try String(contentsOf: errURL, encoding: .utf8)
    return run
}
