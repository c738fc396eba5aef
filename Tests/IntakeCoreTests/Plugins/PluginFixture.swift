import Foundation
import IntakeCore
import TestSupport

/// A home with a running outbox relay and plugin runner tuned for tests: short timeouts,
/// small backoffs, the log written to a file the test can read.
final class PluginFixture {
    let events: EventFixture
    let relay: OutboxRelay
    let runner: PluginRunner
    let logPath: String
    private let logDescriptor: Int32

    var home: Home { events.home }
    var spool: Spool { events.spool }

    static var testSettings: PluginRunner.Settings {
        var settings = PluginRunner.Settings()
        settings.timeout = .seconds(10)
        settings.killGrace = .milliseconds(300)
        settings.backoffBase = .milliseconds(50)
        settings.backoffMax = .milliseconds(200)
        settings.maxAttempts = 3
        settings.concurrency = 10
        settings.idleRecheck = .seconds(5)
        return settings
    }

    init(settings: PluginRunner.Settings = PluginFixture.testSettings) throws {
        events = try EventFixture()
        logPath = events.folder.file("daemon.log")
        logDescriptor = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        let logger = Logger(level: .debug, fileDescriptor: logDescriptor)
        relay = OutboxRelay(
            databasePath: events.home.database,
            publisher: SpoolPublisher(spool: events.spool), logger: logger)
        runner = PluginRunner(
            home: events.home, spool: events.spool, settings: settings, logger: logger)
    }

    deinit {
        runner.stop()
        relay.stop()
        close(logDescriptor)
    }

    func start() throws {
        try relay.start()
        try runner.start()
    }

    /// Installs a plugin the careful way (written beside, then renamed into place).
    @discardableResult
    func install(_ name: String, _ script: String, mode: UInt32 = 0o755) throws -> String {
        let path = home.plugins + "/" + name
        let temporary = home.plugins + "/.\(name).new"
        try Data(script.utf8).write(to: URL(fileURLWithPath: temporary))
        chmod(temporary, mode_t(mode))
        rename(temporary, path)
        return path
    }

    /// Installs a plugin that fails every run, appending its `INTAKE_ATTEMPT` to the test's
    /// file `attempts` (read it with `lines(_:)`) each time.
    func installFailing(_ name: String, attempts: String) throws {
        let output = events.folder.file(attempts)
        try install(name, "#!/bin/bash\necho \"$INTAKE_ATTEMPT\" >> \(output)\nexit 1\n")
    }

    /// Commits an event and wakes the relay, as the coordinator does.
    @discardableResult
    func publish(_ type: String, payload: [String: String] = [:]) throws -> EventEnvelope {
        let envelope = try events.append(type, payload: payload)
        relay.wake()
        return envelope
    }

    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// The lines of a text file in the test's folder (written by plugins).
    func lines(_ name: String) -> [String] {
        let text = (try? String(contentsOfFile: events.folder.file(name), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    func subscriber(_ name: String) -> Subscriber? { spool.subscriber(named: name) }

    func names(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }
}

/// True while a process with `pid` exists and is not a zombie.
func processIsAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
        return false
    }
    guard let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
