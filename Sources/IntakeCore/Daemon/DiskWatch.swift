import Dispatch
import Synchronization

/// Runs the daemon's `DiskSpaceGuard`: measures the home's free space every `interval` on a
/// Dispatch timer, passes on failures the parts report, and logs once when intake pauses and
/// once when it resumes.
///
/// The inbox, the stage workers and the outbox relay get `diskGuard` through `noteFailure`,
/// so a failure that says the disk is full closes the gate at once; only a later measurement
/// that finds `minimumFreeBytes` free opens it again.
final class DiskWatch: @unchecked Sendable {
    // `timer` is only touched on `queue`, a serial queue; everything else is immutable or
    // atomic. That makes sharing this object between the daemon's threads safe.
    /// How often the free space is measured.
    static let interval: Duration = .seconds(2)

    /// The guard the parts get: its failures close the gate, and the next measurement logs it.
    let diskGuard: DiskSpaceGuard
    private let logger: Logger
    private let queue = DispatchQueue(label: "intake.disk-watch")
    /// Whether the last pause was logged and its resume was not: it makes each change of the
    /// gate logged exactly once, whichever thread saw it first.
    private let announcedPause = Atomic<Bool>(false)
    private var timer: (any DispatchSourceTimer)?
    private let changed = Mutex<(@Sendable () -> Void)?>(nil)

    init(home: Home, minimumFreeBytes: UInt64, logger: Logger) {
        self.diskGuard = DiskSpaceGuard(
            path: home.root, minimumFreeBytes: minimumFreeBytes, gate: PauseGate())
        self.logger = logger
    }

    /// The gate the inbox and the stage workers wait at.
    var gate: PauseGate { diskGuard.gate }

    /// Calls `action` after each logged change of the gate (the metrics file is rewritten).
    func onChange(_ action: @escaping @Sendable () -> Void) {
        changed.withLock { $0 = action }
    }

    /// Measures now, then every `interval`.
    func start() {
        queue.sync {
            check()
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(
                deadline: .now() + DiskWatch.interval.timeInterval,
                repeating: DiskWatch.interval.timeInterval, leeway: .milliseconds(200))
            timer.setEventHandler { [weak self] in self?.check() }
            timer.resume()
            self.timer = timer
        }
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
    }

    /// Closes the gate when `error` says the disk is full, and logs it at once.
    func noteFailure(_ error: any Error) {
        if diskGuard.noteFailure(error) { announce() }
    }

    private func check() {
        var free: UInt64?
        do {
            free = try diskGuard.check()
        } catch {
            logger.warning("cannot measure free disk space", ("error", "\(error)"))
        }
        announce(free: free)
    }

    /// Logs the gate's state if it changed since the last announcement.
    private func announce(free: UInt64? = nil) {
        let paused = gate.isPaused
        guard announcedPause.exchange(paused, ordering: .acquiringAndReleasing) != paused else {
            return
        }
        defer { changed.withLock { $0 }?() }
        let freeText = free.map { "\($0)" } ?? "unknown"
        if paused {
            logger.warning(
                "intake paused: disk full; drops wait in the inbox, jobs in their queues",
                ("reason", gate.reason ?? ""), ("path", diskGuard.path),
                ("free.bytes", freeText), ("min_free.bytes", "\(diskGuard.minimumFreeBytes)"))
        } else {
            logger.info(
                "intake resumed: disk space available", ("path", diskGuard.path),
                ("free.bytes", freeText))
        }
    }
}
