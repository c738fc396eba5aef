import Foundation

/// Finds the plugins in a folder: executable regular files whose names are usable subscriber
/// names, with their patterns from a `# intake-events:` line in the first 20 lines or from a
/// `NAME.events` sidecar (no patterns means every event).
enum PluginDiscovery {
    /// How many lines of a plugin are searched for its `# intake-events:` line.
    static let headerLines = 20

    /// Every executable of `folder`, usable or refused, by name. Files that are not
    /// executable (sidecars, notes), hidden files and folders are not candidates at all.
    static func scan(_ folder: String) -> [String: PluginCandidate] {
        var found: [String: PluginCandidate] = [:]
        let names = (try? SpoolFiles.names(in: folder)) ?? []
        for name in names where !name.hasPrefix(".") && !name.hasSuffix(".events") {
            let path = folder + "/" + name
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
                status.st_mode & 0o111 != 0
            else { continue }
            let sidecar = SpoolFiles.read(path + ".events").map {
                String(decoding: $0, as: UTF8.self)
            }
            let identity = [
                "\(status.st_dev)", "\(status.st_ino)", "\(status.st_size)",
                "\(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec)", "\(status.st_mode)",
                "\(status.st_uid)", "\(status.st_gid)", sidecar ?? "",
            ].joined(separator: ":")
            if let reason = refusal(name: name, status: status) {
                found[name] = .refused(name: name, identity: identity, reason: reason)
                continue
            }
            let patterns =
                sidecar.map { EventPattern.parseList($0).patterns }
                ?? headerPatterns(path) ?? []
            let all = patterns.isEmpty ? [EventPattern.everything] : patterns
            found[name] = .usable(
                PluginFile(name: name, path: path, patterns: all, identity: identity))
        }
        return found
    }

    /// Why a plugin file must not run, or nil when it may.
    static func refusal(name: String, status: stat) -> String? {
        if (try? Subscriber.validate(name: name)) == nil {
            return "its name must be 1 to 64 letters, digits, '_' and '-' (no extension)"
        }
        // Only the owner and root may be able to change what the daemon runs: anyone else who
        // can write the file could run code as the daemon's user.
        if status.st_mode & S_IWOTH != 0 {
            return "it is writable by every user"
        }
        if status.st_mode & S_IWGRP != 0 && status.st_gid != 0 {
            return "it is writable by its group (gid \(status.st_gid))"
        }
        return nil
    }

    /// The patterns of the first `# intake-events:` line among the first 20 lines, or nil.
    static func headerPatterns(_ path: String) -> [EventPattern]? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 8192)) ?? Data()
        let lines = String(decoding: head, as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false
        ).prefix(headerLines)
        for line in lines {
            var text = line.trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("#") else { continue }
            text = String(text.dropFirst()).trimmingCharacters(in: .whitespaces)
            guard text.hasPrefix("intake-events:") else { continue }
            return EventPattern.parseList(String(text.dropFirst("intake-events:".count))).patterns
        }
        return nil
    }
}
