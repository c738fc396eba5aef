/// What SIGHUP does: reads the configuration file again, applies at once the keys that can
/// change under running work, and names every other changed key as needing a restart. A file
/// with an error changes nothing: the daemon goes on with what it has.
///
/// Used from the daemon's main thread only, which takes the signals.
final class ConfigurationReload {
    /// The keys a reload applies. The rest are read by parts at their start (queues, workers,
    /// folders, the inbox's watches, the transfer engine) and need a restart.
    static let liveKeys = [
        "log.level", "analysis.command", "analysis.command_timeout_s", "analysis.max_pixels",
        "analysis.thumbnail_px", "plugins.timeout_s", "plugins.max_attempts",
    ]

    /// What one reload did.
    struct Outcome: Equatable {
        /// Keys now in force with their new values.
        var applied: [String]
        /// Changed keys that wait for a restart.
        var needRestart: [String]
    }

    /// The configuration in force: the one the daemon started with, plus what reloads applied.
    private(set) var current: Configuration
    private let read: () throws -> Configuration
    private let logger: Logger
    private let inspector: ImageInspector?
    private let plugins: PluginRunner?

    /// `read` reads the configuration file as `intake run` did at start.
    init(
        current: Configuration, read: @escaping () throws -> Configuration, logger: Logger,
        inspector: ImageInspector?, plugins: PluginRunner?
    ) {
        self.current = current
        self.read = read
        self.logger = logger
        self.inspector = inspector
        self.plugins = plugins
    }

    /// Reads the file and applies what it can, logging what happened; nil when the file could
    /// not be read or has an error.
    @discardableResult
    func reload() -> Outcome? {
        let wanted: Configuration
        do {
            wanted = try read()
        } catch {
            logger.error(
                "configuration not reloaded; the daemon goes on with the one it has",
                ("error", "\(error)"))
            return nil
        }
        let outcome = apply(wanted)
        if outcome.applied.isEmpty && outcome.needRestart.isEmpty {
            logger.info("configuration reloaded: nothing changed")
        } else if !outcome.applied.isEmpty {
            logger.info(
                "configuration reloaded", ("applied", outcome.applied.joined(separator: ",")))
        }
        if !outcome.needRestart.isEmpty {
            logger.warning(
                "configuration changes wait for a restart",
                ("keys", outcome.needRestart.joined(separator: ",")))
        }
        return outcome
    }

    /// Applies the live keys of `wanted` to the running parts.
    func apply(_ wanted: Configuration) -> Outcome {
        var next = current
        next.log.level = wanted.log.level
        next.analysis.command = wanted.analysis.command
        next.analysis.commandTimeoutSeconds = wanted.analysis.commandTimeoutSeconds
        next.analysis.maxPixels = wanted.analysis.maxPixels
        next.analysis.thumbnailPixels = wanted.analysis.thumbnailPixels
        next.plugins.timeoutSeconds = wanted.plugins.timeoutSeconds
        next.plugins.maxAttempts = wanted.plugins.maxAttempts

        let applied = ConfigurationLoader.changedKeys(from: current, to: next)
        logger.setLevel(next.log.level)
        inspector?.update(next.analysis)
        plugins?.update(
            timeout: .seconds(next.plugins.timeoutSeconds), maxAttempts: next.plugins.maxAttempts)
        current = next
        return Outcome(
            applied: applied, needRestart: ConfigurationLoader.changedKeys(from: next, to: wanted))
    }
}
