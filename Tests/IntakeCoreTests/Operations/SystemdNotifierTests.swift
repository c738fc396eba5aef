import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("systemd readiness notifications")
struct SystemdNotifierTests {
    @Test("each notification arrives as one datagram on a socket path")
    func pathSocket() throws {
        let folder = TemporaryFolder("intake-notify")
        let listener = try DatagramListener(path: folder.file("notify"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": folder.file("notify")])
        #expect(notifier.isEnabled)

        try notifier.ready(status: "watching /srv/inbox")
        #expect(listener.receive() == "READY=1\nSTATUS=watching /srv/inbox")
        try notifier.status("3 tasks\nrunning")
        #expect(listener.receive() == "STATUS=3 tasks running")
        try notifier.watchdog()
        #expect(listener.receive() == "WATCHDOG=1")
        try notifier.extendTimeout(by: .milliseconds(1_500))
        #expect(listener.receive() == "EXTEND_TIMEOUT_USEC=1500000")
        try notifier.stopping()
        #expect(listener.receive() == "STOPPING=1")
    }

    @Test("an address starting with @ is a name in the abstract namespace")
    func abstractSocket() throws {
        let name = "intake-test-\(getpid())-\(Identifier.traceID())"
        let listener = try DatagramListener(abstractName: name)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "@" + name])

        try notifier.ready()
        #expect(listener.receive() == "READY=1")
    }

    @Test("RELOADING=1 carries the monotonic clock in microseconds")
    func reloading() throws {
        let folder = TemporaryFolder("intake-notify")
        let listener = try DatagramListener(path: folder.file("notify"))
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": folder.file("notify")])
        let before = SystemdNotifier.monotonicMicroseconds()

        try notifier.reloading(status: "reading intake.toml")
        let lines = try #require(listener.receive()).split(separator: "\n").map(String.init)
        let after = SystemdNotifier.monotonicMicroseconds()

        #expect(lines.count == 3)
        #expect(lines.first == "RELOADING=1")
        #expect(lines.last == "STATUS=reading intake.toml")
        let stamp = try #require(UInt64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
        #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
        #expect(stamp >= before && stamp <= after)
    }

    @Test("without NOTIFY_SOCKET every call does nothing")
    func disabled() throws {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": ""])
        #expect(!notifier.isEnabled)
        try notifier.ready(status: "ignored")
        try notifier.stopping()
        #expect(SystemdNotifier(environment: [:]).socket == nil)
    }

    @Test("a socket that is gone fails with notify_failed naming sendto and the path")
    func missingSocket() throws {
        let folder = TemporaryFolder("intake-notify")
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": folder.file("gone")])
        let error = #expect(throws: OperationsError.self) { try notifier.ready() }
        #expect(error?.code == "notify_failed")
        #expect(error?.message.contains("sendto \(folder.file("gone"))") == true)
    }

    @Test("an address that is neither a path nor an abstract name is refused")
    func unsupportedAddress() throws {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "vsock:2:1234"])
        let error = #expect(throws: OperationsError.self) { try notifier.ready() }
        #expect(error?.code == "notify_failed")
        let long = SystemdNotifier(environment: [
            "NOTIFY_SOCKET": "/" + String(repeating: "x", count: 200)
        ])
        #expect(throws: OperationsError.self) { try long.ready() }
    }

    @Test("the watchdog interval comes from WATCHDOG_USEC when WATCHDOG_PID is ours")
    func watchdogInterval() {
        let ours = SystemdNotifier(
            environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(ours.watchdogInterval == .seconds(30))
        let unnamed = SystemdNotifier(environment: ["WATCHDOG_USEC": "500000"])
        #expect(unnamed.watchdogInterval == .milliseconds(500))
        let other = SystemdNotifier(
            environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid() + 1)"])
        #expect(other.watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
    }
}
