import Foundation
import TestSupport

/// What a finished helper program (systemd-analyze, python) printed and how it ended.
struct CommandRun {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `executable ARGUMENTS` to its end, its output gathered in files of a temporary folder
/// so that neither pipe can fill up and block it.
func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws
    -> CommandRun
{
    let folder = TemporaryFolder("intake-command")
    let outPath = folder.file("out")
    let errPath = folder.file("err")
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    return CommandRun(
        status: process.terminationStatus,
        stdout: try String(contentsOfFile: outPath, encoding: .utf8),
        stderr: try String(contentsOfFile: errPath, encoding: .utf8))
}
