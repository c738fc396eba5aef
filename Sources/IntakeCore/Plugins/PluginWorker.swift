import Dispatch
import Foundation
import Synchronization

/// Runs one plugin on its subscriber's events, one at a time, in publication order, on a
/// thread of its own, so that a plugin that hangs or fails delays no other plugin.
///
/// The loop: take the oldest file in `new/`; if it is waiting for a retry, sleep until then
/// (later events wait behind it, keeping the order); claim it by renaming it into `cur/`; run
/// the plugin; on exit 0 remove it, otherwise put it back into `new/` with a backoff, or after
/// `maxAttempts` runs move it to `failed/` with an `.error` file. The attempts and due times of
/// waiting events survive a restart (`PluginRetries`).
final class PluginWorker: Sendable {
    let name: String
    private let plugin: Mutex<PluginFile>
    private let subscriber: Subscriber
    private let home: Home
    private let settings: LiveValue<PluginRunner.Settings>
    private let spool: Spool
    private let logger: Logger
    private let slots: DispatchSemaphore
    private let wakeUps = DispatchSemaphore(value: 0)
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(
        plugin: PluginFile, subscriber: Subscriber, home: Home, spool: Spool,
        settings: LiveValue<PluginRunner.Settings>, slots: DispatchSemaphore, logger: Logger
    ) {
        self.name = plugin.name
        self.plugin = Mutex(plugin)
        self.subscriber = subscriber
        self.home = home
        self.spool = spool
        self.settings = settings
        self.slots = slots
        self.logger = logger
    }

    /// Puts files a crashed run left in `cur/` back into `new/`, then starts the thread.
    func start() {
        for file in (try? SpoolFiles.names(in: subscriber.cur)) ?? [] where file.hasSuffix(".json")
        {
            _ = try? SpoolFiles.rename(subscriber.cur + "/" + file, to: subscriber.new + "/" + file)
        }
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "intake.plugin.\(name)"
        thread.start()
    }

    /// Something may have arrived in `new/`.
    func wake() {
        wakeUps.signal()
    }

    /// The plugin file was changed: later runs use its new patterns and identity.
    func update(_ file: PluginFile) {
        plugin.withLock { $0 = file }
    }

    /// The identity of the plugin file this worker runs.
    var knownIdentity: String? { plugin.withLock { $0.identity } }

    /// Stops the thread: a running plugin is terminated (its event goes back to `new/` without
    /// counting as an attempt) and this returns when the thread has ended.
    func stop() {
        stopping.store(true, ordering: .releasing)
        wakeUps.signal()
        finished.wait()
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    private func loop() {
        var retries = PluginRetries.load(subscriber)
        // Due times as the monotonic clock sees them; a due time recorded by an earlier run
        // is kept, but never more than `backoffMax` away (the wall clock may have moved).
        // Whatever the file says, the next run is at most the last one allowed.
        var retryAt: [String: UInt64] = [:]
        let startedAt = (wall: Clock.nowMillis(), monotonic: Clock.monotonicNanos())
        let longest = Int64(PluginProcess.nanos(settings.value.backoffMax) / 1_000_000)
        for (file, entry) in retries.entries {
            let due = min(max(entry.dueAt, startedAt.wall), startedAt.wall + longest)
            retryAt[file] = startedAt.monotonic + UInt64(due - startedAt.wall) * 1_000_000
            retries.entries[file]?.attempts = min(
                max(entry.attempts, 0), settings.value.maxAttempts - 1)
        }
        var stats = PluginStats.load(subscriber)
        while !isStopping {
            let pending = ((try? SpoolFiles.names(in: subscriber.new)) ?? []).filter {
                $0.hasSuffix(".json") && !$0.hasPrefix(".")
            }
            guard let next = pending.first else {
                if !retries.entries.isEmpty {
                    retries.entries = [:]
                    save(retries)
                }
                retryAt = [:]
                _ = wakeUps.wait(timeout: .now() + settings.value.idleRecheck.timeInterval)
                continue
            }
            let now = Clock.monotonicNanos()
            if let due = retryAt[next], due > now {
                _ = wakeUps.wait(timeout: .now() + .nanoseconds(Int(due - now)))
                continue
            }
            guard acquireSlot() else { break }
            let used = retries.entries[next]?.attempts ?? 0
            let outcome = handle(next, attempt: used + 1, stats: &stats)
            slots.signal()
            switch outcome {
            case .interrupted:
                break
            case .handled, .gone, .gaveUp:
                retryAt[next] = nil
                if retries.entries.removeValue(forKey: next) != nil { save(retries) }
            case .retry(let attempt, let delay):
                retryAt[next] = Clock.monotonicNanos() + delay
                retries.entries[next] = PluginRetries.Entry(
                    attempts: attempt, dueAt: Clock.nowMillis() + Int64(delay / 1_000_000))
                save(retries)
            }
        }
    }

    /// Records the waiting events; a failure to write is logged, and costs only attempts
    /// forgotten at the next restart.
    private func save(_ retries: PluginRetries) {
        do {
            try retries.save(subscriber, mode: spool.fileMode)
        } catch {
            logger.warning(
                "plugin retries not recorded", ("plugin", name), ("error", "\(error)"))
        }
    }

    /// Waits for one of the runner's run slots; false when stopping meanwhile.
    private func acquireSlot() -> Bool {
        while !isStopping {
            if slots.wait(timeout: .now() + .milliseconds(200)) == .success { return true }
        }
        return false
    }

    private enum Step {
        case handled, gone, interrupted, gaveUp
        case retry(attempt: Int, delayNanos: UInt64)
    }

    private func handle(_ file: String, attempt: Int, stats: inout PluginStats) -> Step {
        let claimed = subscriber.cur + "/" + file
        guard (try? SpoolFiles.rename(subscriber.new + "/" + file, to: claimed)) == true else {
            return .gone
        }
        let current = plugin.withLock { $0 }
        let result = process(for: current, event: claimed, attempt: attempt).run {
            isStopping
        }
        logOutput(result, file: file)
        if result.outcome == .interrupted {
            _ = try? SpoolFiles.rename(claimed, to: subscriber.new + "/" + file)
            return .interrupted
        }
        stats.runs += 1
        stats.lastRunAt = Clock.nowMillis()
        defer { try? stats.save(subscriber, mode: spool.fileMode) }
        if result.outcome.succeeded {
            try? SpoolFiles.remove(claimed)
            logger.debug(
                "plugin handled event", ("plugin", name), ("event", file),
                ("duration.ms", "\(result.durationMillis)"))
            return .handled
        }
        stats.failures += 1
        stats.lastError = "\(file): \(result.outcome.reason)"
        stats.lastErrorAt = Clock.nowMillis()
        if attempt >= settings.value.maxAttempts {
            giveUp(file, claimed: claimed, attempt: attempt, result: result)
            stats.gaveUp += 1
            return .gaveUp
        }
        let delay = backoff(after: attempt)
        logger.warning(
            "plugin run failed", ("plugin", name), ("event", file), ("attempt", "\(attempt)"),
            ("reason", result.outcome.reason), ("retry.in.ms", "\(delay / 1_000_000)"))
        _ = try? SpoolFiles.rename(claimed, to: subscriber.new + "/" + file)
        return .retry(attempt: attempt, delayNanos: delay)
    }

    private func process(for plugin: PluginFile, event: String, attempt: Int) -> PluginProcess {
        var environment = ProcessInfo.processInfo.environment
        let fields = PluginWorker.envelopeFields(event)
        environment["INTAKE_EVENT_ID"] = fields["eventId"] ?? ""
        environment["INTAKE_EVENT_TYPE"] = fields["eventType"] ?? ""
        environment["INTAKE_TASK_ID"] = fields["taskId"] ?? ""
        environment["INTAKE_TRACE_ID"] = fields["traceId"] ?? ""
        environment["INTAKE_EVENT_FILE"] = event
        environment["INTAKE_ATTEMPT"] = "\(attempt)"
        environment["INTAKE_HOME"] = home.root
        let settings = settings.value
        return PluginProcess(
            path: plugin.path, arguments: [event], environment: environment,
            standardInput: event, workingDirectory: home.root,
            limits: PluginProcess.Limits(
                timeout: settings.timeout, killGrace: settings.killGrace,
                headBytes: settings.outputLogBytes, tailBytes: settings.outputErrorBytes))
    }

    /// The envelope's string fields, read from the event file.
    static func envelopeFields(_ path: String) -> [String: String] {
        guard let data = SpoolFiles.read(path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return [:] }
        return object.compactMapValues { $0 as? String }
    }

    /// Exponential backoff: base, 2 x base, 4 x base, ... capped at `backoffMax`.
    private func backoff(after attempt: Int) -> UInt64 {
        let settings = settings.value
        let base = PluginProcess.nanos(settings.backoffBase)
        let cap = PluginProcess.nanos(settings.backoffMax)
        let factor = UInt64(1) << UInt64(min(attempt - 1, 30))
        let (product, overflow) = base.multipliedReportingOverflow(by: factor)
        return overflow ? cap : min(product, cap)
    }

    private func giveUp(
        _ file: String, claimed: String, attempt: Int, result: PluginProcess.Result
    ) {
        let lastLines = String(decoding: result.tail, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).suffix(20)
            .joined(separator: "\n")
        let text = """
            plugin: \(name)
            event: \(file)
            reason: \(result.outcome.reason)
            attempts: \(attempt)
            failed at: \(Clock.nowMillis())
            last output:
            \(lastLines)

            """
        do {
            try SpoolFiles.writeAtomically(
                Data(text.utf8), to: subscriber.failed + "/" + file + ".error",
                mode: spool.fileMode)
            try SpoolFiles.rename(claimed, to: subscriber.failed + "/" + file)
        } catch {
            logger.error("plugin event could not be moved to failed", ("error", "\(error)"))
        }
        logger.error(
            "plugin gave up on event", ("plugin", name), ("event", file),
            ("attempts", "\(attempt)"), ("reason", result.outcome.reason))
    }

    /// Logs the run's output, bounded: the first `outputLogBytes`, then how much was left out.
    private func logOutput(_ result: PluginProcess.Result, file: String) {
        guard result.outputBytes > 0 else { return }
        let text = String(decoding: result.head, as: UTF8.self)
        for line in text.split(separator: "\n") {
            logger.info("plugin output", ("plugin", name), ("event", file), ("line", String(line)))
        }
        if result.outputBytes > result.head.count {
            logger.info(
                "plugin output truncated", ("plugin", name), ("event", file),
                ("bytes.total", "\(result.outputBytes)"),
                ("bytes.logged", "\(result.head.count)"))
        }
    }
}
