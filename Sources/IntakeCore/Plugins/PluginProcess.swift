import CSystem
import Foundation

/// Runs one plugin once on one event: no shell, the event file as argument 1 and as standard
/// input, the `INTAKE_*` variables added to the environment, standard output and error
/// captured through one pipe.
///
/// The plugin starts in a process group of its own (`intake_spawn`), with an empty signal mask
/// and default dispositions, so that the whole group can be signalled: on timeout SIGTERM goes
/// to the group, then SIGKILL after a grace period. When the plugin itself exits, whatever it
/// left running in its group is killed too, so nothing it started outlives its run.
///
/// Known limitation: a process that leaves the plugin's group (`setsid`, `setpgid`) escapes
/// the kill, because process groups are all a process without cgroups of its own can target.
struct PluginProcess {
    /// Limits of one run.
    struct Limits: Sendable {
        var timeout: Duration
        var killGrace: Duration
        /// Output kept for the log, from the start of the run.
        var headBytes: Int
        /// Output kept for the `.error` file, from the end of the run.
        var tailBytes: Int
    }

    /// What a run produced.
    struct Result: Sendable {
        let outcome: PluginOutcome
        let head: Data
        let tail: Data
        let outputBytes: Int
        let durationMillis: Int64
    }

    let path: String
    let arguments: [String]
    let environment: [String: String]
    let standardInput: String
    let workingDirectory: String
    let limits: Limits

    /// Runs the plugin to its end; `shouldStop` is asked between reads and ends the run early
    /// (as `.interrupted`) when it returns true.
    func run(shouldStop: () -> Bool) -> Result {
        let started = Clock.monotonicNanos()
        var pipe: [Int32] = [-1, -1]
        guard intake_pipe_cloexec(&pipe) == 0 else {
            return result(.notStarted(errno: errno), started: started)
        }
        let input = open(standardInput, O_RDONLY | O_CLOEXEC)
        let pid = spawn(input: input, output: pipe[1])
        close(pipe[1])
        if input >= 0 { close(input) }
        guard pid > 0 else {
            close(pipe[0])
            return result(.notStarted(errno: -pid), started: started)
        }
        return supervise(pid: pid, output: pipe[0], started: started, shouldStop: shouldStop)
    }

    private func spawn(input: Int32, output: Int32) -> pid_t {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        return intake_spawn(path, argv, envp, input, output, output, workingDirectory)
    }

    /// Reads output until the plugin and its group are done, enforcing the timeout.
    private func supervise(
        pid: pid_t, output: Int32, started: UInt64, shouldStop: () -> Bool
    ) -> Result {
        var capture = OutputCapture(headLimit: limits.headBytes, tailLimit: limits.tailBytes)
        let deadline = started + PluginProcess.nanos(limits.timeout)
        var pipeOpen = true
        var exitStatus: Int32?
        var termSentAt: UInt64?
        var killSent = false
        var timedOut = false
        var interrupted = false
        var exitedAt: UInt64 = 0
        while true {
            if exitStatus == nil {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    exitStatus = status
                    exitedAt = Clock.monotonicNanos()
                    // Sweep what the plugin left behind in its group: a pgid is not reused
                    // while any process of the group lives, so this reaches only its own.
                    kill(-pid, SIGKILL)
                }
            }
            if exitStatus != nil {
                // Stop reading once the pipe is closed, or shortly after the sweep if some
                // process outside the group still holds the pipe open.
                if !pipeOpen || Clock.monotonicNanos() - exitedAt > 1_000_000_000 { break }
            }
            let now = Clock.monotonicNanos()
            if exitStatus == nil && termSentAt == nil && (now >= deadline || shouldStop()) {
                timedOut = now >= deadline
                interrupted = !timedOut
                kill(-pid, SIGTERM)
                termSentAt = now
            }
            if exitStatus == nil, let sent = termSentAt, !killSent,
                now - sent >= PluginProcess.nanos(limits.killGrace)
            {
                kill(-pid, SIGKILL)
                killSent = true
            }
            if pipeOpen {
                var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
                let ready = poll(&descriptor, 1, 50)
                if ready > 0 {
                    pipeOpen = capture.read(from: output)
                }
            } else {
                usleep(20_000)
            }
        }
        close(output)
        let outcome: PluginOutcome
        if timedOut {
            outcome = .timedOut(seconds: PluginProcess.seconds(limits.timeout))
        } else if interrupted {
            outcome = .interrupted
        } else if let status = exitStatus, status & 0x7F == 0 {
            outcome = .exited((status >> 8) & 0xFF)
        } else {
            outcome = .signaled((exitStatus ?? 0) & 0x7F)
        }
        return Result(
            outcome: outcome, head: capture.head, tail: capture.tail,
            outputBytes: capture.total,
            durationMillis: Int64((Clock.monotonicNanos() - started) / 1_000_000))
    }

    private func result(_ outcome: PluginOutcome, started: UInt64) -> Result {
        Result(
            outcome: outcome, head: Data(), tail: Data(), outputBytes: 0,
            durationMillis: Int64((Clock.monotonicNanos() - started) / 1_000_000))
    }

    static func nanos(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(nanos(duration)) / 1e9
    }
}

/// A plugin's output, bounded: the first `headLimit` bytes and the last `tailLimit` bytes.
struct OutputCapture {
    let headLimit: Int
    let tailLimit: Int
    private(set) var head = Data()
    private(set) var tail = Data()
    private(set) var total = 0
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(headLimit: Int, tailLimit: Int) {
        self.headLimit = headLimit
        self.tailLimit = tailLimit
    }

    /// Reads what is available; false at end of file.
    mutating func read(from descriptor: Int32) -> Bool {
        let count = buffer.withUnsafeMutableBytes {
            Glibc.read(descriptor, $0.baseAddress, $0.count)
        }
        if count < 0 { return errno == EINTR || errno == EAGAIN }
        if count == 0 { return false }
        total += count
        let chunk = buffer[0..<count]
        if head.count < headLimit {
            head.append(contentsOf: chunk.prefix(headLimit - head.count))
        }
        tail.append(contentsOf: chunk.suffix(tailLimit))
        if tail.count > tailLimit { tail.removeFirst(tail.count - tailLimit) }
        return true
    }
}
