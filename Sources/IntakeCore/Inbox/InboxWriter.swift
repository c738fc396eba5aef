import Foundation

/// Writes drops into the inbox the way a careful program should: under a hidden name the inbox
/// ignores, synced, then renamed into place, so the inbox only ever sees complete drops.
public struct InboxWriter: Sendable {
    public let inbox: String
    public let fileMode: UInt32

    public init(inbox: String, fileMode: UInt32) {
        self.inbox = inbox
        self.fileMode = fileMode
    }

    /// Writes `urls` and the lines of every file in `lists` (`-` is standard input) as one URL
    /// list drop; returns its path, trace id and how many URL lines it holds (blank lines are
    /// left out, comments kept but not counted). `progress` is called now and then with the
    /// count so far.
    public func writeList(
        urls: [String], lists: [String], progress: ((Int) -> Void)? = nil
    ) throws -> (path: String, traceID: String, count: Int) {
        let traceID = Identifier.traceID()
        let temporary = "\(inbox)/.\(AddedDropName.make(traceID: traceID, suffix: ".tmp"))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(fileMode))
        guard descriptor >= 0 else {
            throw HomeError.system(function: "open", path: temporary, errno: errno)
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var count = 0
        do {
            var buffer = Data()
            func append(_ line: Substring) throws {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard !trimmed.isEmpty else { return }
                buffer.append(contentsOf: trimmed.utf8)
                buffer.append(0x0A)
                if !trimmed.hasPrefix("#") { count += 1 }
                if buffer.count >= 1 << 20 {
                    try handle.write(contentsOf: buffer)
                    buffer.removeAll(keepingCapacity: true)
                    progress?(count)
                }
            }
            for url in urls { try append(Substring(url)) }
            for list in lists {
                let data: Data
                if list == "-" {
                    data = FileHandle.standardInput.readDataToEndOfFile()
                } else {
                    guard let contents = FileManager.default.contents(atPath: list) else {
                        throw HomeError.system(function: "read", path: list, errno: errno)
                    }
                    data = contents
                }
                let text = String(decoding: data, as: UTF8.self)
                for line in text.split(whereSeparator: \.isNewline) {
                    try append(line)
                }
            }
            try handle.write(contentsOf: buffer)
            guard fsync(descriptor) == 0 else {
                throw HomeError.system(function: "fsync", path: temporary, errno: errno)
            }
            try handle.close()
            let path = "\(inbox)/\(AddedDropName.make(traceID: traceID, suffix: ".urls.txt"))"
            try place(temporary, at: path)
            return (path, traceID, count)
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// Puts a synced copy of the file at `source` into the inbox as a drop of its own, leaving
    /// `source` as it is. A copy, not a hard link: the store takes in the inode it is given
    /// (changing its mode), and a user editing the original later must not change stored
    /// content.
    public func writeFile(_ source: String) throws -> (path: String, traceID: String) {
        let traceID = Identifier.traceID()
        let name = (source as NSString).lastPathComponent
        let path = "\(inbox)/\(AddedDropName.make(traceID: traceID, suffix: "-" + name))"
        let temporary = "\(inbox)/.\(AddedDropName.make(traceID: traceID, suffix: ".tmp"))"
        do {
            try FileManager.default.copyItem(atPath: source, toPath: temporary)
            chmod(temporary, mode_t(fileMode))
            let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
            defer { if descriptor >= 0 { close(descriptor) } }
            guard descriptor >= 0, fsync(descriptor) == 0 else {
                throw HomeError.system(function: "fsync", path: temporary, errno: errno)
            }
            try place(temporary, at: path)
        } catch {
            unlink(temporary)
            throw error
        }
        return (path, traceID)
    }

    /// Renames a complete file into the inbox and syncs the inbox folder.
    private func place(_ temporary: String, at path: String) throws(HomeError) {
        guard rename(temporary, path) == 0 else {
            throw HomeError.system(function: "rename", path: path, errno: errno)
        }
        let folder = open(inbox, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }
}
