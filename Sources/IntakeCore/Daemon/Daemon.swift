import Foundation

/// The running daemon: it holds the home's lock and the database, and stops on SIGTERM or
/// SIGINT with exit status 0.
public final class Daemon {
    public let home: Home
    public let configuration: Configuration
    public let logger: Logger

    public init(home: Home, configuration: Configuration, logger: Logger) {
        self.home = home
        self.configuration = configuration
        self.logger = logger
    }

    /// Starts, reports readiness, and blocks until a stop signal.
    public func run() throws -> ExitStatus {
        SignalWaiter.block()
        try home.createLayout(folderMode: configuration.files.folderMode)
        let lock = try HomeLock(path: home.lock, fileMode: configuration.files.fileMode)
        let database = try Database(path: home.database)
        chmod(home.database, mode_t(configuration.files.fileMode))
        let version = try Schema.apply(to: database)
        logger.info(
            "daemon starting", ("home", home.root), ("pid", "\(getpid())"),
            ("version", Version.current), ("schema", "\(version)"))
        if let kind = FileSystemKind.of(path: home.inbox), !kind.inotifySeesAllChanges {
            logger.warning(
                "inbox is on a file system where inotify misses changes; only the rescan finds drops",
                ("path", home.inbox), ("fs", kind.name),
                ("rescan_s", "\(configuration.inbox.rescanSeconds)"))
        }
        lock.markReady()
        logger.info("daemon ready", ("home", home.root))
        while true {
            let signal = SignalWaiter.wait()
            if signal == SIGHUP {
                logger.info("configuration reload is not supported yet; restart to apply changes")
                continue
            }
            logger.info("daemon stopping", ("signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"))
            break
        }
        withExtendedLifetime(database) {}
        withExtendedLifetime(lock) {}
        logger.info("daemon stopped")
        return .success
    }
}
