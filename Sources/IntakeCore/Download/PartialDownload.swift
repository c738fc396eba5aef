import Foundation

/// The body an interrupted attempt left in `store/tmp`, found again by the task's id, and the
/// validator (`ETag` or `Last-Modified`) that lets the next attempt ask for the rest with
/// `Range` and `If-Range`.
///
/// The validator file holds three lines: the URL, the `If-Range` value, and the number of body
/// bytes known to be synced (empty while the transfer runs).
struct PartialDownload: Sendable {
    /// The partial body.
    let body: String
    /// The validator file beside it.
    let validator: String

    /// The partial download of task `taskID` under `folder`. An id with characters unsafe in
    /// a file name is replaced by its hash.
    init(folder: String, taskID: String) {
        let safe =
            !taskID.isEmpty && taskID.count <= 100 && !taskID.hasPrefix(".")
            && taskID.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                    UInt8(ascii: "."):
                    return true
                default:
                    return false
                }
            }
        let key: String
        if safe {
            key = taskID
        } else {
            let hasher = SHA256()
            Array(taskID.utf8).withUnsafeBytes { hasher.update($0) }
            key = hasher.finish()
        }
        body = "\(folder)/download-\(key).part"
        validator = "\(folder)/download-\(key).resume"
    }

    /// What an earlier attempt of the same URL left: the bytes to keep and the `If-Range`
    /// value. Anything unusable is removed and nil returned.
    func resumable(url: String) -> (bytes: Int64, ifRange: String)? {
        // A validator without a body is left alone: the next one written replaces it.
        guard let size = FileIO.regularFileSize(body) else { return nil }
        guard size > 0, let text = try? String(contentsOfFile: validator, encoding: .utf8) else {
            discard()
            return nil
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 2, lines[0] == url, !lines[1].isEmpty else {
            discard()
            return nil
        }
        // Bytes past the synced count may not have reached the disk before a crash.
        var bytes = size
        if lines.count >= 3, let synced = Int64(lines[2]), synced < size {
            guard truncate(body, off_t(synced)) == 0 else {
                discard()
                return nil
            }
            bytes = synced
        }
        guard bytes > 0 else {
            discard()
            return nil
        }
        return (bytes, lines[1])
    }

    /// Records the validator of a body being written (no synced bytes yet).
    func begin(url: String, ifRange: String) {
        write("\(url)\n\(ifRange)\n")
    }

    /// Records that `bytes` bytes of the body are synced and may be resumed from.
    func keep(url: String, ifRange: String, bytes: Int64) {
        write("\(url)\n\(ifRange)\n\(bytes)\n")
    }

    /// Removes the body and its validator.
    func discard() {
        FileIO.remove(body)
        FileIO.remove(validator)
    }

    private func write(_ text: String) {
        // The validator is an optimisation: when it cannot be written the next attempt
        // downloads the whole body again, so a failure here is not an error.
        guard let descriptor = try? FileIO.open(validator, O_WRONLY | O_CREAT | O_TRUNC) else {
            return
        }
        defer { close(descriptor) }
        Array(text.utf8).withUnsafeBytes { bytes in
            try? FileIO.write(descriptor, bytes, path: validator)
        }
    }
}
