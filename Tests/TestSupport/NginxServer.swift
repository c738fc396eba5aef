import Foundation

/// nginx from Debian, started for one test on 127.0.0.1 as a single foreground process with
/// its prefix, configuration, logs and temporary files in the test's own folder. Serves
/// `root` with ranges and keep-alive; `/throttled/` serves the same files fast for the first
/// 160 KB of a response and at 2 KB/s after that.
public final class NginxServer {
    public let port: Int
    private let process: Process

    public init(root: String, folder: String) throws {
        var lastError = ""
        for _ in 0..<5 {
            let port = try NginxServer.freePort()
            let prefix = folder + "/nginx-\(port)"
            try FileManager.default.createDirectory(
                atPath: prefix + "/logs", withIntermediateDirectories: true)
            let configuration = """
                daemon off;
                master_process off;
                worker_processes 1;
                pid \(prefix)/nginx.pid;
                error_log \(prefix)/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                    access_log off;
                    client_body_temp_path \(prefix)/body;
                    proxy_temp_path \(prefix)/proxy;
                    fastcgi_temp_path \(prefix)/fastcgi;
                    uwsgi_temp_path \(prefix)/uwsgi;
                    scgi_temp_path \(prefix)/scgi;
                    keepalive_requests 100000;
                    default_type application/octet-stream;
                    server {
                        listen 127.0.0.1:\(port);
                        root \(root);
                        location /throttled/ {
                            alias \(root)/;
                            limit_rate_after 160k;
                            limit_rate 2k;
                        }
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
            if NginxServer.waitForListener(port: port, process: process) {
                self.port = port
                self.process = process
                return
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            lastError =
                (try? String(contentsOfFile: prefix + "/logs/error.log", encoding: .utf8)) ?? ""
        }
        throw ServerStartError(message: "nginx did not start: \(lastError)")
    }

    deinit {
        stop()
    }

    public func url(_ path: String) -> String {
        "http://127.0.0.1:\(port)\(path)"
    }

    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// A port nothing listens on right now (the kernel's choice for port 0).
    public static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else { throw ServerStartError(message: "no free port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits up to five seconds for a connection to `port` to succeed.
    private static func waitForListener(port: Int, process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline && process.isRunning {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = UInt16(port).bigEndian
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
}
