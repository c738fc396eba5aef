import Foundation

/// Everything a command needs to run: its parsed arguments, the home folder, the
/// configuration file and where to print.
public struct Invocation: Sendable {
    public let arguments: ParsedArguments
    public let home: Home
    /// The configuration file given with `--config`, or nil for `HOME/intake.toml`.
    public let configurationFile: String?
    public let environment: [String: String]
    public let output: Output

    /// True when `--json` was given.
    public var json: Bool { arguments.flag("json") }

    /// The configuration in force: `--config FILE` (which must exist), else `HOME/intake.toml`
    /// (all defaults when it does not exist).
    public func loadConfiguration() throws(ConfigurationError) -> Configuration {
        if let configurationFile {
            return try ConfigurationLoader.load(file: configurationFile, mustExist: true)
        }
        return try ConfigurationLoader.load(file: home.configuration, mustExist: false)
    }

    /// Throws `DaemonNotRunning` unless a daemon holds the home.
    @discardableResult
    public func requireDaemon() throws(DaemonNotRunning) -> HomeLock.Holder {
        guard let holder = HomeLock.holder(path: home.lock) else {
            throw DaemonNotRunning(home: home.root)
        }
        return holder
    }
}
