import CSystem
import Foundation

/// Runs `analysis.command` for one image: the command line is an argument list (no shell),
/// the request is JSON on standard input, the answer JSON on standard output.
///
/// The child starts in its own process group with a clean signal mask (`intake_spawn`), so
/// that on timeout the whole group, children included, is killed with SIGKILL.
public struct ExternalAnalyzer: Sendable {
    public let command: [String]
    public let timeoutSeconds: Int
    /// Answers larger than this are refused (an embedding of a few thousand numbers is far
    /// below it).
    static let maximumAnswerBytes = 16 * 1024 * 1024
    /// How much of the analyzer's standard error is kept for the error message.
    static let keptErrorBytes = 4096

    public init(command: [String], timeoutSeconds: Int) {
        precondition(!command.isEmpty, "an analyzer command needs a program")
        self.command = command
        self.timeoutSeconds = timeoutSeconds
    }

    /// Labels and embedding for the image described by `request`.
    func run(_ request: AnalyzerRequest) throws(AnalysisError) -> AnalyzerAnswer {
        let path = request.path
        func failure(_ detail: String) -> AnalysisError {
            AnalysisError(kind: .analyzerFailed, path: path, detail: detail)
        }
        _ = Self.ignoringBrokenPipes
        guard let program = Self.resolve(command[0]) else {
            throw failure("\(command[0]): program not found")
        }
        let body: Data
        do { body = try JSONEncoder().encode(request) } catch {
            throw failure("request could not be encoded: \(error)")
        }
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard intake_pipe_cloexec(&input) == 0 else { throw failure("pipe: \(errnoText())") }
        guard intake_pipe_cloexec(&output) == 0 else {
            closeAll(input)
            throw failure("pipe: \(errnoText())")
        }
        guard intake_pipe_cloexec(&errors) == 0 else {
            closeAll(input + output)
            throw failure("pipe: \(errnoText())")
        }
        let pid = Self.spawn(
            program, command, stdin: input[0], stdout: output[1], stderr: errors[1])
        close(input[0])
        close(output[1])
        close(errors[1])
        guard pid > 0 else {
            closeAll([input[1], output[0], errors[0]])
            throw failure("\(program): \(String(cString: strerror(-pid)))")
        }

        let deadline = Date().addingTimeInterval(Double(timeoutSeconds))
        let collected = Self.exchange(
            body, input: input[1], output: output[0], errors: errors[0], deadline: deadline)
        if collected.timedOut { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // The group may still hold children that outlived the analyzer itself.
        kill(-pid, SIGKILL)

        if collected.timedOut {
            throw AnalysisError(
                kind: .timeout, path: path,
                detail: "\(command[0]) ran longer than \(timeoutSeconds) s and was killed")
        }
        let stderrText = String(decoding: collected.errors, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let exited = status & 0x7F == 0
        let code = (status >> 8) & 0xFF
        guard exited, code == 0 else {
            let how =
                exited ? "exited with status \(code)" : "was killed by signal \(status & 0x7F)"
            throw failure("\(command[0]) \(how)\(stderrText.isEmpty ? "" : ": \(stderrText)")")
        }
        guard !collected.overflowed else {
            throw failure("answer larger than \(Self.maximumAnswerBytes) bytes")
        }
        do {
            return try JSONDecoder().decode(AnalyzerAnswer.self, from: Data(collected.output))
        } catch {
            let start = String(decoding: collected.output.prefix(200), as: UTF8.self)
            throw failure(
                "answer is not JSON with labels (strings) and embedding (numbers): \"\(start)\"")
        }
    }

    private struct Collected {
        var output: [UInt8] = []
        var errors: [UInt8] = []
        var timedOut = false
        var overflowed = false
    }

    /// Writes the request and reads both outputs until they close or the deadline passes, with
    /// `poll` so that neither a silent nor a chatty child can block intake.
    private static func exchange(
        _ body: Data, input: Int32, output: Int32, errors: Int32, deadline: Date
    ) -> Collected {
        var result = Collected()
        let pending = [UInt8](body)
        var written = 0
        var inputOpen = true
        var open: Set<Int32> = [output, errors]
        _ = fcntl(input, F_SETFL, fcntl(input, F_GETFL) | O_NONBLOCK)
        defer {
            if inputOpen { close(input) }
            close(output)
            close(errors)
        }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                result.timedOut = true
                return result
            }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if inputOpen { fds.append(pollfd(fd: input, events: Int16(POLLOUT), revents: 0)) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining * 1000 + 1, 60_000)))
            if ready < 0 && errno == EINTR { continue }
            guard ready >= 0 else { break }
            for fd in fds where fd.revents != 0 {
                if fd.fd == input {
                    let count = pending.withUnsafeBytes { raw in
                        write(input, raw.baseAddress! + written, pending.count - written)
                    }
                    if count > 0 { written += count }
                    if count < 0 && errno != EAGAIN && errno != EINTR || written == pending.count {
                        close(input)
                        inputOpen = false
                    }
                    continue
                }
                let count = buffer.withUnsafeMutableBytes { read(fd.fd, $0.baseAddress!, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if count <= 0 {
                    open.remove(fd.fd)
                    continue
                }
                if fd.fd == output {
                    if result.output.count + count > maximumAnswerBytes {
                        result.overflowed = true
                    } else {
                        result.output.append(contentsOf: buffer[0..<count])
                    }
                } else if result.errors.count < keptErrorBytes {
                    result.errors.append(contentsOf: buffer[0..<min(count, keptErrorBytes)])
                }
            }
        }
        return result
    }

    /// An analyzer may exit without reading its request; writing to its closed pipe must then
    /// fail with EPIPE instead of killing intake with SIGPIPE. Children start with default
    /// dispositions (`intake_spawn`), so this does not leak into them.
    private static let ignoringBrokenPipes: Bool = {
        signal(SIGPIPE, SIG_IGN)
        return true
    }()

    /// `program` itself when it names a path, else the first executable of that name on PATH.
    private static func resolve(_ program: String) -> String? {
        if program.contains("/") { return program }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    private static func spawn(
        _ program: String, _ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32
    ) -> pid_t {
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        return intake_spawn(program, &argv, environ, stdin, stdout, stderr, nil)
    }
}

private func closeAll(_ descriptors: [Int32]) {
    for descriptor in descriptors where descriptor >= 0 { close(descriptor) }
}

private func errnoText() -> String { String(cString: strerror(errno)) }
