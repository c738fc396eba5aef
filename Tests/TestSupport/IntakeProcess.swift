import Foundation

/// The built `intake` binary run as a child process, as a user would run it.
public final class IntakeProcess: @unchecked Sendable {
    // Safe to share: `process` and the pipes are only read after `waitForExit`, and Foundation's
    // Process is internally synchronised for `terminate`, `isRunning` and `processIdentifier`.
    public let process = Process()
    private let stdout = Pipe()
    private let stderr = Pipe()
    private let collected = CollectedOutput()

    /// Starts `intake ARGUMENTS` with `environment` added to the current one.
    public init(
        _ arguments: [String], environment: [String: String] = [:],
        executable: String = Paths.intake
    ) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "INTAKE_HOME")
        merged.merge(environment) { _, new in new }
        process.environment = merged
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        let collected = self.collected
        stdout.fileHandleForReading.readabilityHandler = { handle in
            collected.append(out: handle.availableData)
        }
        stderr.fileHandleForReading.readabilityHandler = { handle in
            collected.append(err: handle.availableData)
        }
        try process.run()
    }

    /// Runs `intake ARGUMENTS` to completion (at most `timeout` seconds, then SIGKILL).
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], timeout: Double = 60
    ) throws -> Result {
        let child = try IntakeProcess(arguments, environment: environment)
        return child.waitForExit(timeout: timeout)
    }

    /// What a finished run printed and how it ended.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        /// True when the process ended by a signal rather than exit().
        public let signaled: Bool
    }

    /// Sends `signal` to the process.
    public func send(_ signal: Int32) {
        kill(process.processIdentifier, signal)
    }

    /// Waits until `condition` holds for the standard error seen so far, up to `timeout`.
    public func waitForStderr(
        containing text: String, timeout: Double = 30
    ) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if collected.err.contains(text) { return true }
            if !process.isRunning { return collected.err.contains(text) }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the process to end (SIGKILL after `timeout` seconds) and returns its result.
    public func waitForExit(timeout: Double = 60) -> Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            usleep(10_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        stdout.fileHandleForReading.readabilityHandler = nil
        stderr.fileHandleForReading.readabilityHandler = nil
        collected.append(out: stdout.fileHandleForReading.readDataToEndOfFile())
        collected.append(err: stderr.fileHandleForReading.readDataToEndOfFile())
        return Result(
            status: process.terminationStatus, stdout: collected.out, stderr: collected.err,
            signaled: process.terminationReason == .uncaughtSignal)
    }
}
