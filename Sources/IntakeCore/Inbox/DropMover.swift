import Foundation

/// Moves drop files: out of the inbox into `work/`, and out of `work/` into `rejected/`.
///
/// Within one file system a move is one `rename(2)`, which is atomic: after a crash the file is
/// at exactly one of the two paths. Across file systems it is a copy to a temporary name,
/// `fsync`, a rename onto the final name, and only then the unlink of the source; a crash
/// leaves either no final file (recovery deletes the temporary one) or a complete final file
/// beside a source that recovery removes.
enum DropMover {
    /// How a drop leaves the inbox.
    enum Method: String, Sendable {
        case rename, copy
    }

    /// Device, inode, size and modification time: tells the dropped file from a different file
    /// dropped later under the same name.
    static func identity(of status: stat) -> String {
        "\(status.st_dev):\(status.st_ino):\(status.st_size):"
            + "\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)"
    }

    /// The path in `work` for a drop: its trace id, and the dropped name's extension when it is
    /// short and plain (kept for people looking into `work/`, never used to classify).
    static func workPath(work: String, traceID: String, name: String) -> String {
        let fileExtension = (name as NSString).pathExtension.lowercased()
        let plain =
            !fileExtension.isEmpty && fileExtension.count <= 8
            && fileExtension.unicodeScalars.allSatisfy {
                $0.isASCII && $0.properties.isAlphabetic || ("0"..."9").contains($0)
            }
        return work + "/" + traceID + (plain ? "." + fileExtension : "")
    }

    /// Where a copy across file systems is written before it gets its final name.
    static func temporaryPath(for destination: String) -> String { destination + ".copying" }

    /// Moves `source` to `destination` by `method`; never follows a symbolic link.
    static func move(_ source: String, to destination: String, method: Method) throws(InboxError) {
        switch method {
        case .rename:
            guard rename(source, destination) == 0 else {
                throw InboxError.system(function: "rename", path: source, errno: errno)
            }
        case .copy:
            try copyAcross(source, to: destination)
        }
    }

    /// Copies `source` to `destination` on another file system, then unlinks `source`.
    private static func copyAcross(_ source: String, to destination: String) throws(InboxError) {
        let temporary = temporaryPath(for: destination)
        unlink(temporary)
        var status = stat()
        guard lstat(source, &status) == 0 else {
            throw InboxError.system(function: "lstat", path: source, errno: errno)
        }
        switch status.st_mode & S_IFMT {
        case S_IFREG:
            try copyContent(source, to: temporary)
        case S_IFLNK:
            var target = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = target.withUnsafeMutableBytes {
                readlink(source, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count - 1)
            }
            guard count >= 0 else {
                throw InboxError.system(function: "readlink", path: source, errno: errno)
            }
            let text = String(decoding: target[0..<count], as: UTF8.self)
            guard symlink(text, temporary) == 0 else {
                throw InboxError.system(function: "symlink", path: temporary, errno: errno)
            }
        case S_IFIFO:
            guard mkfifo(temporary, 0o600) == 0 else {
                throw InboxError.system(function: "mkfifo", path: temporary, errno: errno)
            }
        default:
            // Known limitation: a socket or device cannot be carried across file systems
            // without privileges, so an empty regular file stands in for it in `rejected/`.
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw InboxError.system(function: "open", path: temporary, errno: errno)
            }
            close(descriptor)
        }
        guard rename(temporary, destination) == 0 else {
            throw InboxError.system(function: "rename", path: temporary, errno: errno)
        }
        syncFolder(of: destination)
        guard unlink(source) == 0 || errno == ENOENT else {
            throw InboxError.system(function: "unlink", path: source, errno: errno)
        }
    }

    private static func copyContent(_ source: String, to destination: String) throws(InboxError) {
        let input = open(source, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard input >= 0 else {
            throw InboxError.system(function: "open", path: source, errno: errno)
        }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else {
            throw InboxError.system(function: "open", path: destination, errno: errno)
        }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                throw InboxError.system(function: "read", path: source, errno: errno)
            }
            if count == 0 { break }
            var written = 0
            while written < count {
                let step = buffer.withUnsafeBytes {
                    write(output, $0.baseAddress! + written, count - written)
                }
                if step < 0 && errno == EINTR { continue }
                guard step > 0 else {
                    throw InboxError.system(function: "write", path: destination, errno: errno)
                }
                written += step
            }
        }
        guard fsync(output) == 0 else {
            throw InboxError.system(function: "fsync", path: destination, errno: errno)
        }
    }

    /// Flushes the folder holding `path`, so that a rename in it survives power loss.
    static func syncFolder(of path: String) {
        let descriptor = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// What `rejected/NAME.error.json` holds.
    struct ErrorReport: Codable, Equatable {
        let code: String
        let message: String
        /// UTC, ISO 8601.
        let time: String
        let traceId: String
        let source: String
    }

    /// Moves the file of a dropped image whose task failed for good to `folder`, named as it
    /// was dropped (the task's source is `file://` and that path).
    static func reject(
        workPath: String, source: String, traceID: String, rejection: DropRejection,
        folder: String
    ) throws(InboxError) -> String {
        let origin =
            source.hasPrefix(DropLedger.originScheme)
            ? String(source.dropFirst(DropLedger.originScheme.count)) : workPath
        return try reject(
            workPath: workPath, originPath: origin, traceID: traceID, rejection: rejection,
            folder: folder)
    }

    /// Moves the rejected file at `workPath` into `folder` under its dropped name, beside
    /// `NAME.error.json`, and returns its new path. A name already taken in `folder` is never
    /// overwritten: `a.jpg` becomes `a-1.jpg`, `a-2.jpg`, ... A report left by an earlier,
    /// interrupted attempt for the same trace id is reused.
    static func reject(
        workPath: String, originPath: String, traceID: String, rejection: DropRejection,
        folder: String
    ) throws(InboxError) -> String {
        let name = (originPath as NSString).lastPathComponent
        let target = freeName(for: name, in: folder, traceID: traceID)
        let report = ErrorReport(
            code: rejection.code, message: rejection.message, time: isoTime(Clock.nowMillis()),
            traceId: traceID, source: DropLedger.originScheme + originPath)
        try writeReport(report, to: target + ".error.json")
        guard rename(workPath, target) == 0 else {
            throw InboxError.system(function: "rename", path: workPath, errno: errno)
        }
        return target
    }

    private static func freeName(for name: String, in folder: String, traceID: String) -> String {
        let stem = (name as NSString).deletingPathExtension
        let suffix = (name as NSString).pathExtension
        var number = 0
        while true {
            let candidate =
                number == 0
                ? name : "\(stem)-\(number)" + (suffix.isEmpty ? "" : "." + suffix)
            let path = folder + "/" + candidate
            number += 1
            var status = stat()
            if lstat(path, &status) == 0 { continue }
            if lstat(path + ".error.json", &status) == 0 {
                let earlier = (try? Data(contentsOf: URL(fileURLWithPath: path + ".error.json")))
                    .flatMap { try? JSONDecoder().decode(ErrorReport.self, from: $0) }
                guard earlier?.traceId == traceID else { continue }
            }
            return path
        }
    }

    private static func writeReport(_ report: ErrorReport, to path: String) throws(InboxError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(report) else {
            preconditionFailure("an ErrorReport always encodes")
        }
        data.append(0x0A)
        let temporary =
            (path as NSString).deletingLastPathComponent + "/."
            + (path as NSString).lastPathComponent + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw InboxError.system(function: "open", path: temporary, errno: errno)
        }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let code = errno
        close(descriptor)
        guard written == data.count else {
            unlink(temporary)
            throw InboxError.system(function: "write", path: temporary, errno: code)
        }
        guard rename(temporary, path) == 0 else {
            throw InboxError.system(function: "rename", path: temporary, errno: errno)
        }
    }

    /// Unix milliseconds as UTC ISO 8601 with milliseconds.
    static func isoTime(_ millis: Int64) -> String {
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
            parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, Int(millis % 1000))
    }
}
