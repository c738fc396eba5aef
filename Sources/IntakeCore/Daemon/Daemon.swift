import Foundation

/// The running daemon. It takes the home's lock, recovers what a previous run left, and runs
/// the parts of the pipeline: the inbox, the stage workers over the task queues, the outbox
/// relay into the spool, and the plugin runner. SIGTERM or SIGINT stops intake (running stages
/// get `gracePeriod` to finish, the rest go back to their queues) and exits 0. The inbox and
/// the stage workers run under a `PartSupervisor`, which restarts a failed one with backoff;
/// SIGHUP reloads the configuration (`ConfigurationReload`).
public final class Daemon {
    public let home: Home
    public let configuration: Configuration
    public let logger: Logger

    /// How long running stages may take to finish after a stop signal.
    public static let gracePeriod: Duration = .seconds(30)

    /// The file given with `--config`, or nil for `HOME/intake.toml`: SIGHUP reads it again.
    public let configurationFile: String?

    public init(
        home: Home, configuration: Configuration, logger: Logger, configurationFile: String? = nil
    ) {
        self.home = home
        self.configuration = configuration
        self.logger = logger
        self.configurationFile = configurationFile
    }

    /// Starts, reports readiness once the inbox's start-up scan is done, and blocks until a
    /// stop signal.
    public func run() throws -> ExitStatus {
        // libvips starts here, before any other thread of the daemon runs: its start sets and
        // unsets an environment variable (`Vips`), and setenv(3) racing a getenv(3) on
        // another thread can crash the process. Should it fail, each image reports why.
        _ = try? Vips.start()
        SignalWaiter.block()
        let files = configuration.files
        try home.createLayout(folderMode: files.folderMode)
        let lock = try HomeLock(path: home.lock, fileMode: files.fileMode)

        let disk = DiskWatch(
            home: home, minimumFreeBytes: UInt64(files.minFreeMegabytes) << 20, logger: logger)
        let spool = Spool(home: home, configuration: configuration)
        let relay = OutboxRelay(
            databasePath: home.database,
            publisher: SpoolPublisher(
                spool: spool, retentionDays: configuration.spool.retentionDays),
            logger: logger, failed: { disk.noteFailure($0) })
        let store = try SQLiteTaskStore(
            path: home.database, settings: QueueSettings(configuration: configuration),
            afterCommit: { relay.wake() },
            abandoned: { [home, logger] paths in
                guard let database = try? Database(path: home.database, readOnly: true) else {
                    return
                }
                WorkFolderSweep(home: home, logger: logger).settleAbandoned(
                    paths, database: database)
            })
        chmod(home.database, mode_t(files.fileMode))
        let recovered = try store.recoverAtStart()
        try WorkFolderSweep(home: home, logger: logger).run(
            database: Database(path: home.database, readOnly: true))
        logger.info(
            "daemon starting", ("home", home.root), ("pid", "\(getpid())"),
            ("version", Version.current), ("schema", "\(Schema.currentVersion)"),
            ("jobs.recovered", "\(recovered)"))
        if let kind = FileSystemKind.of(path: home.inbox), !kind.inotifySeesAllChanges {
            logger.warning(
                "inbox is on a file system where inotify misses changes; only the rescan finds drops",
                ("path", home.inbox), ("fs", kind.name),
                ("rescan_s", "\(configuration.inbox.rescanSeconds)"))
        }
        try relay.start()
        let runner = PluginRunner(
            home: home, spool: spool, settings: .init(configuration: configuration),
            logger: logger)
        try runner.start()

        let originals = try Store(
            home: home, fileMode: files.fileMode, folderMode: files.folderMode)
        var downloadSettings = DownloadSettings(configuration.download)
        downloadSettings.fileMode = files.fileMode
        let downloader = try Downloader(
            store: originals, settings: downloadSettings, logger: logger)
        let downloadedBytes = MetricCounter()
        let download = DownloadStage(
            store: originals, downloader: downloader, home: home, logger: logger,
            downloaded: downloadedBytes)
        let metrics = try MetricsLoop(
            home: home, downloaded: downloadedBytes, gate: disk.gate, fileMode: files.fileMode,
            logger: logger)
        metrics.start()
        disk.onChange { metrics.refresh() }
        disk.start()
        let notifier = SystemdNotifier()
        let owner = "\(ProcessInfo.processInfo.hostName)-\(getpid())-\(Identifier.uuidV7())"
        let inspector = try ImageInspector(settings: configuration.analysis)
        let recent = RecentMetadata()
        let metadata = MetadataStage(inspector: inspector, recent: recent)
        let registry = NearDuplicateRegistry()
        try registry.load(from: Database(path: home.database, readOnly: true))
        let analysis = AnalysisStage(
            inspector: inspector, registry: registry, home: home, configuration: configuration,
            recent: recent)
        let abandoned = analysis.removeAbandonedThumbnails()
        if abandoned > 0 {
            logger.info(
                "removed thumbnails a crash left half written", ("count", "\(abandoned)"))
        }
        let analysisWorkers = configuration.analysis.workers
        let pools = [
            StageWorkerPool(
                stage: .download, concurrency: configuration.download.concurrency, store: store,
                owner: owner, logger: logger, diskGuard: disk.diskGuard,
                handler: { await download.handle($0) },
                epilogue: { download.finished($0, outcome: $1, applied: $2) }),
            StageWorkerPool(
                stage: .metadata, concurrency: configuration.metadata.concurrency, store: store,
                owner: owner, logger: logger, diskGuard: disk.diskGuard,
                handler: { await metadata.handle($0) }),
            StageWorkerPool(
                stage: .analysis, concurrency: analysisWorkers, store: store,
                owner: owner, logger: logger, diskGuard: disk.diskGuard,
                handler: { await analysis.handle($0) },
                epilogue: { analysis.finished($0, outcome: $1, applied: $2) }),
        ]
        let inbox = Inbox(
            home: home, settings: InboxSettings(configuration), logger: logger,
            diskGuard: disk.diskGuard)
        let failure = DaemonFailure()
        let logger = self.logger
        let home = self.home
        let folderMode = files.folderMode
        let supervise = { @Sendable (name: String, part: @escaping PartSupervisor.Part) in
            await Daemon.supervise(
                name, logger: logger, failure: failure,
                beforeRestart: { _ = try? home.createLayout(folderMode: folderMode) }, part)
        }
        let parts = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await supervise("inbox") {
                        try await inbox.run(sink: CoordinatorDropSink(store: store))
                    }
                }
                for pool in pools {
                    group.addTask {
                        await supervise("\(pool.stage.rawValue) workers") { await pool.run() }
                    }
                }
                group.addTask {
                    while !inbox.isReady && !Task.isCancelled {
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                    guard !Task.isCancelled else { return }
                    lock.markReady()
                    do {
                        try notifier.ready(status: "watching \(home.inbox)")
                    } catch {
                        logger.warning("cannot notify systemd", ("error", "\(error)"))
                    }
                    logger.info(
                        "daemon ready", ("home", home.root),
                        ("analysis.workers", "\(analysisWorkers)"))
                }
            }
        }

        let file = configurationFile
        let reload = ConfigurationReload(
            current: configuration,
            read: {
                try ConfigurationLoader.load(
                    file: file ?? home.configuration, mustExist: file != nil)
            },
            logger: logger, inspector: inspector, plugins: runner)
        while true {
            let signal = SignalWaiter.wait()
            if signal == SIGUSR1 {
                logger.debug("woken: another process changed the queues")
                store.wakeAll()
                continue
            }
            if signal == SIGHUP {
                reload.reload()
                continue
            }
            logger.info(
                "daemon stopping",
                ("signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"))
            break
        }
        try? notifier.stopping(status: "finishing running stages")
        parts.cancel()
        let stopped = DispatchSemaphore(value: 0)
        Task {
            await parts.value
            stopped.signal()
        }
        if stopped.wait(timeout: .now() + Daemon.gracePeriod.timeInterval) == .timedOut {
            logger.warning(
                "stages still running after the grace period; their jobs are recovered at the next start"
            )
        }
        relay.drainNow()
        relay.stop()
        runner.stop()
        disk.stop()
        metrics.stop()
        withExtendedLifetime(lock) {}
        if let error = failure.error {
            logger.error("daemon stopped after a failure", ("error", "\(error)"))
            return .failure
        }
        logger.info("daemon stopped")
        return .success
    }

    /// Runs `part` under a `PartSupervisor`; a part given up is recorded as the daemon's
    /// failure and stops the daemon, which then exits non-zero.
    private static func supervise(
        _ name: String, logger: Logger, failure: DaemonFailure,
        beforeRestart: @escaping @Sendable () -> Void, _ part: @escaping PartSupervisor.Part
    ) async {
        let supervisor = PartSupervisor(
            name: name, policy: .init(), logger: logger, beforeRestart: beforeRestart)
        do {
            try await supervisor.run(part)
        } catch {
            logger.error("a part failed for good; the daemon stops", ("error", "\(error)"))
            failure.record(error)
            kill(getpid(), SIGTERM)
        }
    }
}
