import Foundation
import TestSupport

/// The scripted HTTP server of `fault_server.py`, started for one test on 127.0.0.1 and an
/// ephemeral port. It serves the files of `root` and misbehaves as each path asks. Closing its
/// standard input (or `stop()`) ends it, so it never outlives the test process.
final class FaultServer {
    let port: Int
    private let process: Process
    private let input: Pipe

    /// Starts the server over the files in `root` and waits for the port it reports.
    init(root: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("fault_server.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, root]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = output.fileHandleForReading.readLine()
        guard let port = line.flatMap({ Int($0) }) else {
            process.terminate()
            throw ServerStartError(message: "fault_server.py printed no port: \(line ?? "")")
        }
        self.port = port
        self.process = process
        self.input = input
    }

    deinit {
        stop()
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    func url(_ path: String) -> String {
        "http://127.0.0.1:\(port)\(path)"
    }

    /// What the server measured, from `/stats`.
    func stats() throws -> [String: Int] {
        let data = try get("/stats")
        return try JSONSerialization.jsonObject(with: data) as? [String: Int] ?? [:]
    }

    /// The `Range` and `If-Range` headers of every request counted under `key`.
    func rangeHeaders(key: String) throws -> [[String: String]] {
        let data = try get("/headers?key=\(key)")
        let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] ?? []
        return list.map { entry in entry.compactMapValues { $0 as? String } }
    }

    /// The body of `path`, fetched with the curl command (Foundation on Linux has no
    /// synchronous HTTP loading).
    private func get(_ path: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["--silent", "--fail", url(path)]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

extension FileHandle {
    /// Reads up to the next newline, byte by byte so nothing after it is consumed.
    func readLine() -> String? {
        var bytes: [UInt8] = []
        while let byte = try? read(upToCount: 1), let first = byte.first {
            if first == UInt8(ascii: "\n") { break }
            bytes.append(first)
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
