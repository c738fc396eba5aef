import Foundation

/// The inbox's loop, on its own thread: it waits in `poll(2)` for inotify events, for the next
/// settle deadline, for the next periodic rescan, or for a stop request, and claims settled
/// files in batches. Those two timers are the only reasons it wakes without an event.
///
/// Not `Sendable`: everything it owns (the inotify descriptor, the database connection, the
/// settle queue) stays on the thread that runs it.
final class InboxEngine {
    let home: Home
    let settings: InboxSettings
    let rules: IgnoreRules
    let claimer: DropClaimer
    private let logger: Logger
    private let gate: PauseGate?
    private var queue: SettleQueue
    private var rootMissingLogged = false

    /// How long the loop waits at a closed gate before it looks at its other work (inotify
    /// events, a stop request) again.
    static let pausedWait: Duration = .milliseconds(250)

    init(
        home: Home, settings: InboxSettings, sink: any DropSink, logger: Logger,
        diskGuard: DiskSpaceGuard? = nil
    ) throws {
        self.home = home
        self.settings = settings
        self.logger = logger
        self.gate = diskGuard?.gate
        rules = IgnoreRules(extra: settings.ignore)
        queue = SettleQueue(settleMillis: settings.settleMillis)
        let database = try Database(path: home.database)
        let classifier = try DropClassifier(
            maxImageBytes: settings.maxImageBytes, maxURLs: settings.maxURLs)
        claimer = try DropClaimer(
            home: home, database: database, classifier: classifier, sink: sink, logger: logger)
        if let diskGuard {
            claimer.failed = { diskGuard.noteFailure($0) }
        }
    }

    /// Finishes what an earlier run left halfway, then takes every file in the inbox once it
    /// has settled (a file that keeps changing is left), without watching. Returns the number
    /// of drops recorded.
    func scanOnce() -> Int {
        var recorded = claimer.recover()
        scan(restart: false)
        while let due = queue.nextDue {
            let now = Clock.monotonicNanos()
            if due > now {
                var ignored = timespec(
                    tv_sec: Int((due - now) / 1_000_000_000),
                    tv_nsec: Int((due - now) % 1_000_000_000))
                nanosleep(&ignored, nil)
            }
            recorded += claimSettled()
        }
        return recorded
    }

    /// Watches and claims until `control` asks to stop. `ready` is called once the start-up
    /// scan has noted every file already in the inbox.
    func run(control: InboxControl, ready: () -> Void) throws {
        let watcher = try InboxWatcher(
            root: home.inbox, rules: rules, recursive: settings.recursive, logger: logger)
        claimer.recover()
        // The watches exist before the scan, so a file landing during the scan is seen by one
        // or the other (or both: a candidate is noted once).
        scan(watcher: watcher, restart: false)
        ready()
        let rescanNanos = UInt64(settings.rescanSeconds) * 1_000_000_000
        var nextRescan = Clock.monotonicNanos() + rescanNanos
        var descriptors = [
            pollfd(fd: watcher.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: control.wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while !control.isStopped {
            let now = Clock.monotonicNanos()
            let wake = min(nextRescan, queue.nextDue ?? nextRescan)
            let timeout = wake <= now ? 0 : Int32(min((wake - now + 999_999) / 1_000_000, 60_000))
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            let count = poll(&descriptors, 2, timeout)
            if count < 0 && errno != EINTR {
                throw InboxError.system(function: "poll", path: home.inbox, errno: errno)
            }
            if descriptors[1].revents != 0 { control.drain() }
            if control.isStopped { break }
            if descriptors[0].revents != 0 {
                apply(watcher.readChanges(), watcher: watcher)
            }
            if Clock.monotonicNanos() >= nextRescan {
                if claimer.needsRecovery { claimer.recover() }
                scan(watcher: watcher, restart: false)
                nextRescan = Clock.monotonicNanos() + rescanNanos
            }
            // While paused (a full disk), settled files stay in the inbox and in the settle
            // queue; the loop keeps reading inotify so that the kernel's queue does not overflow.
            if let gate, gate.isPaused, queue.nextDue != nil {
                _ = gate.waitBlocking(timeout: InboxEngine.pausedWait)
                continue
            }
            claimSettled()
        }
    }

    private func apply(_ changes: [InboxWatcher.Change], watcher: InboxWatcher) {
        var rescan = false
        for change in changes {
            switch change {
            case .candidate(let path):
                queue.note(path, restart: true)
            case .created(let path):
                // A new regular file waits for its close after writing. Anything else is never
                // written, so it is a candidate as soon as it exists, and so is a second hard
                // link to a file (`ln`), which raises no other event.
                var status = stat()
                if lstat(path, &status) == 0,
                    status.st_mode & S_IFMT != S_IFREG || status.st_nlink > 1
                {
                    queue.note(path, restart: true)
                }
            case .rescan(let reason):
                if !rescan { logger.info("rescanning the inbox", ("reason", reason)) }
                rescan = true
            }
        }
        if rescan { scan(watcher: watcher, restart: false) }
    }

    /// Notes every file in the inbox tree (watching its folders when `watcher` is given).
    private func scan(watcher: InboxWatcher? = nil, restart: Bool) {
        var status = stat()
        guard stat(home.inbox, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else {
            if !rootMissingLogged {
                logger.warning("the inbox folder is missing", ("path", home.inbox))
                rootMissingLogged = true
            }
            return
        }
        rootMissingLogged = false
        if let watcher {
            watcher.watchTree(home.inbox) { queue.note($0, restart: restart) }
            return
        }
        var pending = [home.inbox]
        while let folder = pending.popLast() {
            InboxWatcher.forEachEntry(in: folder) { name, isFolder in
                guard !rules.ignores(name) else { return }
                let path = folder + "/" + name
                if !isFolder {
                    queue.note(path, restart: restart)
                } else if settings.recursive {
                    pending.append(path)
                }
            }
        }
    }

    /// Claims every settled file, in batches, and returns how many drops were recorded.
    @discardableResult
    private func claimSettled() -> Int {
        var recorded = 0
        while true {
            let settled = queue.takeSettled(limit: DropClaimer.batchLimit)
            if settled.isEmpty { return recorded }
            recorded += claimer.claim(settled)
        }
    }
}
