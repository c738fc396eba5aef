import CSystem
import Dispatch
import Foundation
import Synchronization

/// The plugin runner of the daemon (the contract's section 7): every executable in
/// `HOME/plugins/` becomes a subscriber of the same name, and a `PluginWorker` runs it once
/// per event delivered to that subscriber.
///
/// One watcher thread owns an inotify instance on the plugins folder and on each plugin's
/// `new/` folder: a plugin added, changed or removed is picked up without a restart, and a
/// delivered event wakes its worker at once. A slow rescan is the safety net for anything
/// inotify did not report.
///
/// `@unchecked Sendable`: `watch`, `watches` and `refused` are touched only by the watcher
/// thread (and by `start` before that thread exists); `workers` is behind a mutex.
public final class PluginRunner: @unchecked Sendable {
    /// How the runner is tuned; `init(configuration:)` takes the `[plugins]` table.
    public struct Settings: Sendable {
        public var timeout: Duration = .seconds(60)
        public var maxAttempts = 5
        /// Plugins running at the same time, across all plugins.
        public var concurrency = 4
        public var backoffBase: Duration = .seconds(2)
        public var backoffMax: Duration = .seconds(600)
        /// Time between SIGTERM and SIGKILL when a plugin is killed.
        public var killGrace: Duration = .seconds(2)
        /// Output of one run written to the log.
        public var outputLogBytes = 16 * 1024
        /// Output of the last run kept in a `failed/` event's `.error` file.
        public var outputErrorBytes = 4 * 1024
        /// How often the plugins folder is rescanned and idle workers look at `new/` anyway.
        public var idleRecheck: Duration = .seconds(30)

        public init() {}

        public init(configuration: Configuration) {
            timeout = .seconds(configuration.plugins.timeoutSeconds)
            maxAttempts = configuration.plugins.maxAttempts
            concurrency = configuration.plugins.concurrency
        }
    }

    private let home: Home
    private let spool: Spool
    private let settings: LiveValue<Settings>
    private let logger: Logger
    private let slots: DispatchSemaphore
    private let workers = Mutex<[String: PluginWorker]>([:])
    private var watch: FolderWatch?
    private var watches: [Int32: String] = [:]
    private var refused: [String: String] = [:]
    private var stopPipe: [Int32] = [-1, -1]
    private let finished = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)

    public init(home: Home, spool: Spool, settings: Settings, logger: Logger = .silent) {
        self.home = home
        self.spool = spool
        self.settings = LiveValue(settings)
        self.logger = logger
        self.slots = DispatchSemaphore(value: settings.concurrency)
    }

    /// Replaces the settings that can change while plugins run (a reload): the timeout and
    /// the attempt limit apply from each plugin's next run. `concurrency` is fixed at start.
    public func update(timeout: Duration, maxAttempts: Int) {
        var changed = settings.value
        changed.timeout = timeout
        changed.maxAttempts = maxAttempts
        settings.replace(with: changed)
    }

    /// Names of the plugins being run now.
    public var pluginNames: [String] { workers.withLock { $0.keys.sorted() } }

    /// Finds the plugins, starts their workers and the watcher thread.
    public func start() throws {
        try spool.createLayout()
        try SpoolFiles.makeFolder(home.plugins, mode: spool.folderMode)
        let watch = try FolderWatch()
        let mask = UInt32(
            IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB
                | IN_DELETE_SELF)
        watches[try watch.add(home.plugins, mask: mask)] = ""
        self.watch = watch
        guard intake_pipe_cloexec(&stopPipe) == 0 else {
            throw PluginError.system(function: "pipe2", path: "", errno: errno)
        }
        reconcile()
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            watchLoop()
            finished.signal()
        }
        thread.name = "intake.plugin-watcher"
        thread.start()
        logger.info("plugin runner started", ("plugins", pluginNames.joined(separator: ",")))
    }

    /// Stops watching and stops every worker (running plugins are terminated; their events
    /// stay in `new/`). Returns when all threads have ended.
    public func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        _ = write(stopPipe[1], "x", 1)
        finished.wait()
        let all = workers.withLock { workers in
            defer { workers.removeAll() }
            return Array(workers.values)
        }
        for worker in all {
            worker.stop()
        }
        close(stopPipe[0])
        close(stopPipe[1])
        watch = nil
    }

    private func watchLoop() {
        guard let watch else { return }
        let idle = settings.value.idleRecheck
        let recheck = Int32(clamping: PluginProcess.nanos(idle) / 1_000_000)
        var descriptors = [
            pollfd(fd: watch.descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: stopPipe[0], events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let ready = poll(&descriptors, 2, recheck)
            if descriptors[1].revents != 0 { return }
            if ready == 0 {
                reconcile()
                continue
            }
            guard ready > 0 else { continue }
            var pluginsChanged = false
            var woken: Set<String> = []
            for change in watch.read() {
                if change.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    pluginsChanged = true
                    woken.formUnion(pluginNames)
                    continue
                }
                guard let owner = watches[change.watch] else { continue }
                if owner.isEmpty {
                    pluginsChanged = true
                } else {
                    woken.insert(owner)
                }
            }
            if pluginsChanged {
                reconcile()
            }
            let targets = workers.withLock { workers in woken.compactMap { workers[$0] } }
            for worker in targets {
                worker.wake()
            }
        }
    }

    /// Brings the running workers in line with the plugins folder.
    private func reconcile() {
        let found = PluginDiscovery.scan(home.plugins)
        var usable: [String: PluginFile] = [:]
        for (name, candidate) in found {
            switch candidate {
            case .usable(let file):
                usable[name] = file
                refused[name] = nil
            case .refused(_, let identity, let reason):
                if refused[name] != identity {
                    refused[name] = identity
                    logger.error(
                        "plugin refused", ("plugin", name),
                        ("path", home.plugins + "/" + name), ("reason", reason))
                }
            }
        }
        refused = refused.filter { found[$0.key] != nil }
        let current = workers.withLock { $0 }
        for (name, worker) in current where usable[name] == nil {
            worker.stop()
            workers.withLock { _ = $0.removeValue(forKey: name) }
            removeSubscription(name)
            logger.info("plugin removed", ("plugin", name))
        }
        for (name, file) in usable.sorted(by: { $0.key < $1.key }) {
            if let worker = current[name] {
                if let known = worker.knownIdentity, known != file.identity {
                    update(worker, with: file)
                }
                continue
            }
            add(file)
        }
    }

    private func add(_ file: PluginFile) {
        do {
            let subscriber = try spool.subscribe(name: file.name, patterns: file.patterns)
            let mask = UInt32(IN_MOVED_TO | IN_CREATE)
            watches[try watch!.add(subscriber.new, mask: mask)] = file.name
            let worker = PluginWorker(
                plugin: file, subscriber: subscriber, home: home, spool: spool,
                settings: settings, slots: slots, logger: logger)
            workers.withLock { $0[file.name] = worker }
            worker.start()
            logger.info(
                "plugin added", ("plugin", file.name),
                ("patterns", file.patterns.map(\.text).joined(separator: " ")))
        } catch {
            logger.error("plugin could not be added", ("plugin", file.name), ("error", "\(error)"))
        }
    }

    private func update(_ worker: PluginWorker, with file: PluginFile) {
        do {
            if spool.subscriber(named: file.name)?.patterns != file.patterns {
                try spool.subscribe(name: file.name, patterns: file.patterns)
            }
            worker.update(file)
            logger.info(
                "plugin changed", ("plugin", file.name),
                ("patterns", file.patterns.map(\.text).joined(separator: " ")))
        } catch {
            logger.error(
                "plugin could not be updated", ("plugin", file.name), ("error", "\(error)"))
        }
    }

    /// A removed plugin stops receiving events; its folder stays while it holds a backlog or
    /// failed events, so that putting the plugin back resumes where it was.
    private func removeSubscription(_ name: String) {
        for (watch, owner) in watches where owner == name {
            self.watch?.remove(watch)
            watches[watch] = nil
        }
        guard let folder = try? spool.folder(of: name) else { return }
        try? SpoolFiles.remove(folder + "/patterns")
        let leftovers = ["new", "cur", "failed"].flatMap {
            (try? SpoolFiles.names(in: folder + "/" + $0)) ?? []
        }
        if leftovers.isEmpty {
            try? FileManager.default.removeItem(atPath: folder)
        }
    }
}
