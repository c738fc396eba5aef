import Foundation

/// nginx from Debian serving one folder on 127.0.0.1 for one test: a single foreground
/// process whose prefix, configuration, logs and temporary files live in the test's folder,
/// stopped (SIGKILL) when the value is released.
final class PipelineNginx {
    let port: Int
    private let process: Process

    init(root: String, folder: String) throws {
        var lastError = ""
        for _ in 0..<5 {
            let port = try Self.freePort()
            let prefix = folder + "/nginx-\(port)"
            try FileManager.default.createDirectory(
                atPath: prefix + "/logs", withIntermediateDirectories: true)
            let temporary = ["body", "proxy", "fastcgi", "uwsgi", "scgi"].map {
                "\($0 == "body" ? "client_body" : $0)_temp_path \(prefix)/\($0);"
            }
            let configuration = """
                daemon off;
                master_process off;
                worker_processes 1;
                pid \(prefix)/nginx.pid;
                error_log \(prefix)/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    \(temporary.joined(separator: "\n    "))
                    default_type application/octet-stream;
                    server {
                        listen 127.0.0.1:\(port);
                        root \(root);
                    }
                }
                """
            try configuration.write(
                toFile: prefix + "/nginx.conf", atomically: true, encoding: .utf8)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
            process.arguments = [
                "-p", prefix, "-c", prefix + "/nginx.conf", "-e", prefix + "/logs/error.log",
            ]
            process.standardInput = FileHandle.nullDevice
            try process.run()
            if Self.waitForListener(port: port, process: process) {
                self.port = port
                self.process = process
                return
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            lastError =
                (try? String(contentsOfFile: prefix + "/logs/error.log", encoding: .utf8)) ?? ""
        }
        throw PipelineFailure("nginx did not start: \(lastError)")
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// `http://127.0.0.1:PORT/path`.
    func url(_ path: String) -> String {
        "http://127.0.0.1:\(port)/\(path)"
    }

    /// A port nothing listens on right now (the kernel's choice for port 0).
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else { throw PipelineFailure("no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits up to five seconds for a connection to `port` to succeed.
    private static func waitForListener(port: Int, process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && process.isRunning {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: port)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                    connect(descriptor, raw, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(descriptor)
            if connected { return true }
            usleep(20_000)
        }
        return false
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}

/// A setup step of the pipeline tests that could not be done, with what went wrong.
struct PipelineFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
