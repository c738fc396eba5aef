import Foundation

/// `intake status`: whether a daemon holds the home, and what the database says.
enum StatusCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "status", summary: "daemon up or not, and the state of the database",
        options: [.json])

    /// The document `intake status --json` prints.
    struct Report: Encodable {
        struct DaemonState: Encodable {
            let running: Bool
            let ready: Bool
            let pid: Int32?
        }

        struct DatabaseState: Encodable {
            let path: String
            let exists: Bool
            let schemaVersion: Int?
        }

        let home: String
        let daemon: DaemonState
        let database: DatabaseState
    }

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let home = invocation.home
        let holder = HomeLock.holder(path: home.lock)
        let exists = FileManager.default.fileExists(atPath: home.database)
        var version: Int?
        if exists {
            let database = try Database(path: home.database, readOnly: true)
            version = try Schema.version(of: database)
        }
        let report = Report(
            home: home.root,
            daemon: .init(
                running: holder != nil, ready: holder?.ready ?? false, pid: holder?.pid),
            database: .init(path: home.database, exists: exists, schemaVersion: version))
        if invocation.json {
            try invocation.output.json(report)
            return .success
        }
        let output = invocation.output
        output.line("home      \(home.root)")
        if let holder {
            let pid = holder.pid.map { "pid \($0)" } ?? "pid unknown"
            output.line("daemon    running (\(pid), \(holder.ready ? "ready" : "starting"))")
        } else {
            output.line("daemon    not running")
        }
        if let version {
            output.line("database  schema version \(version) (\(home.database))")
        } else {
            output.line("database  not created yet (\(home.database))")
        }
        return .success
    }
}
