// In an optimised build SOCK_DGRAM and SOCK_CLOEXEC are only found through CCurl, whose
// header is the first in this module to include <sys/socket.h> and so owns its declarations.
import CCurl
import Foundation

/// Tells systemd how the daemon is doing, with the datagram protocol of sd_notify(3), without
/// linking libsystemd.
///
/// systemd passes the address of its notification socket in `$NOTIFY_SOCKET`: a file system
/// path, or a name in the abstract namespace when it starts with `@`. Each notification is one
/// datagram of newline-separated `KEY=VALUE` assignments. When the variable is unset (not
/// started by systemd, or a unit that is not `Type=notify`) every call does nothing, so the
/// daemon calls it unconditionally.
///
/// Known limitation: `vsock:` addresses (for virtual machines) are refused with
/// `notify_failed`, because a daemon watching a folder has no use for them.
public struct SystemdNotifier: Sendable {
    /// The socket address from `$NOTIFY_SOCKET`, nil when notifications are off.
    public let socket: String?
    private let watchdogMicroseconds: UInt64?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let socket = environment["NOTIFY_SOCKET"] ?? ""
        self.socket = socket.isEmpty ? nil : socket
        var watchdog = environment["WATCHDOG_USEC"].flatMap { UInt64($0) }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != getpid() {
            // The watchdog is meant for another process of the service (sd_watchdog_enabled(3)).
            watchdog = nil
        }
        self.watchdogMicroseconds = watchdog.flatMap { $0 > 0 ? $0 : nil }
    }

    /// True when `$NOTIFY_SOCKET` was set.
    public var isEnabled: Bool { socket != nil }

    /// How often systemd expects `WATCHDOG=1` (`WatchdogSec=`), nil when no watchdog is set.
    /// Send it at about half this interval, as sd_watchdog_enabled(3) advises.
    public var watchdogInterval: Duration? {
        watchdogMicroseconds.map { .microseconds(Int64(clamping: $0)) }
    }

    /// Start-up is complete: systemd marks the unit active (`READY=1`).
    public func ready(status: String? = nil) throws(OperationsError) {
        try send(["READY=1"] + statusLine(status))
    }

    /// A one-line status that `systemctl status` shows.
    public func status(_ text: String) throws(OperationsError) {
        try send(statusLine(text))
    }

    /// The daemon begins to stop (`STOPPING=1`).
    public func stopping(status: String? = nil) throws(OperationsError) {
        try send(["STOPPING=1"] + statusLine(status))
    }

    /// The daemon begins to reload its configuration; send `ready()` when done. Carries
    /// `MONOTONIC_USEC`, which `Type=notify-reload` units need to match the reload.
    public func reloading(status: String? = nil) throws(OperationsError) {
        try send(
            ["RELOADING=1", "MONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())"]
                + statusLine(status))
    }

    /// Keeps the service watchdog from firing (`WATCHDOG=1`).
    public func watchdog() throws(OperationsError) {
        try send(["WATCHDOG=1"])
    }

    /// Asks systemd for `duration` more before its start or stop timeout fires
    /// (`EXTEND_TIMEOUT_USEC`), for a stop that waits for running stages.
    public func extendTimeout(by duration: Duration) throws(OperationsError) {
        let micros =
            duration.components.seconds * 1_000_000
            + duration.components.attoseconds / 1_000_000_000_000
        try send(["EXTEND_TIMEOUT_USEC=\(max(micros, 0))"])
    }

    /// Sends `assignments` (`KEY=VALUE`, no newline inside) as one datagram.
    public func send(_ assignments: [String]) throws(OperationsError) {
        guard let socket, !assignments.isEmpty else { return }
        precondition(
            assignments.allSatisfy { $0.contains("=") && !$0.contains("\n") },
            "a notification is KEY=VALUE on one line")
        var address = try SystemdNotifier.address(of: socket)
        let descriptor = Glibc.socket(
            AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw .system(function: "socket", path: socket, errno: errno)
        }
        defer { close(descriptor) }
        let message = Array(assignments.joined(separator: "\n").utf8)
        var sent = -1
        repeat {
            sent = message.withUnsafeBytes { bytes in
                withUnsafePointer(to: &address.storage) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(
                            descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), $0,
                            address.length)
                    }
                }
            }
        } while sent < 0 && errno == EINTR
        guard sent == message.count else {
            throw .system(function: "sendto", path: socket, errno: sent < 0 ? errno : EMSGSIZE)
        }
    }

    private func statusLine(_ text: String?) -> [String] {
        guard let text else { return [] }
        return ["STATUS=" + text.replacingOccurrences(of: "\n", with: " ")]
    }

    /// The `sockaddr_un` for `socket`: a path, or with a leading `@` an abstract name whose
    /// first byte is NUL and whose length excludes any terminator (unix(7)).
    static func address(of socket: String) throws(OperationsError) -> (
        storage: sockaddr_un, length: socklen_t
    ) {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socket.utf8)
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        guard socket.hasPrefix("/") || socket.hasPrefix("@"), bytes.count < capacity else {
            throw .unsupportedNotifySocket(socket)
        }
        withUnsafeMutableBytes(of: &storage.sun_path) { path in
            path.copyBytes(from: bytes)
            if bytes.first == UInt8(ascii: "@") { path[0] = 0 }
        }
        let abstract = bytes.first == UInt8(ascii: "@")
        let offset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        return (storage, socklen_t(offset + bytes.count + (abstract ? 0 : 1)))
    }

    /// CLOCK_MONOTONIC in microseconds, the clock systemd compares `MONOTONIC_USEC` with.
    static func monotonicMicroseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1_000
    }
}
