import Foundation

/// The files waiting to settle: each is taken once it has kept its size and mtime for the
/// settle time, measured on the monotonic clock.
///
/// Every event about a file (a close after writing, a move in) starts its settle time again;
/// a rescan that finds a file unchanged leaves its time running. Not `Sendable`: the inbox's
/// thread owns it.
struct SettleQueue {
    /// What was seen of a file, and when it may be taken.
    private struct Observation {
        var size: Int64
        var mtime: Int64
        var mode: mode_t
        var due: UInt64
    }

    let settleNanos: UInt64
    static let recheckNanos: UInt64 = 50_000_000
    private var files: [String: Observation] = [:]

    init(settleMillis: Int) {
        settleNanos = UInt64(max(0, settleMillis)) * 1_000_000
    }

    var count: Int { files.count }

    var isEmpty: Bool { files.isEmpty }

    /// Notes `path` as a candidate. With `restart`, its settle time starts again even when it
    /// looks unchanged. A path that is gone or is a folder is dropped.
    mutating func note(_ path: String, restart: Bool, now: UInt64 = Clock.monotonicNanos()) {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else {
            files.removeValue(forKey: path)
            return
        }
        let seen = SettleQueue.observation(status, due: now + settleNanos)
        if let known = files[path], !restart, known.size == seen.size, known.mtime == seen.mtime {
            return
        }
        files[path] = seen
    }

    /// The earliest moment a file may be due, nil when none waits.
    var nextDue: UInt64? { files.values.lazy.map(\.due).min() }

    /// Takes out the files whose settle time is over and which are unchanged since they were
    /// last seen, at most `limit` of them. A file that changed starts its settle time again;
    /// a file that is gone is dropped.
    mutating func takeSettled(limit: Int, now: UInt64 = Clock.monotonicNanos()) -> [String] {
        var settled: [String] = []
        for (path, known) in files where known.due <= now {
            if settled.count >= limit { break }
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else {
                files.removeValue(forKey: path)
                continue
            }
            // A file seen changing is looked at again no sooner than `recheckNanos`, so a
            // settle time of 0 does not spin on a file that is still being written.
            let seen = SettleQueue.observation(
                status, due: now + max(settleNanos, SettleQueue.recheckNanos))
            if seen.size != known.size || seen.mtime != known.mtime || seen.mode != known.mode {
                files[path] = seen
                continue
            }
            files.removeValue(forKey: path)
            settled.append(path)
        }
        return settled
    }

    private static func observation(_ status: stat, due: UInt64) -> Observation {
        Observation(
            size: Int64(status.st_size),
            mtime: Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec),
            mode: status.st_mode & S_IFMT, due: due)
    }
}
