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

    /// A read-only connection to the home's database, or nil when there is none yet.
    public func openDatabaseForReading() throws -> Database? {
        guard FileManager.default.fileExists(atPath: home.database) else { return nil }
        let database = try Database(path: home.database, readOnly: true)
        let version = try Schema.version(of: database)
        guard version <= Schema.currentVersion else {
            throw DatabaseError(
                resultCode: 0,
                detail: "the database \(home.database) has schema version \(version), but this "
                    + "intake knows versions up to \(Schema.currentVersion); use a newer intake",
                function: "Schema.version")
        }
        return version == 0 ? nil : database
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
