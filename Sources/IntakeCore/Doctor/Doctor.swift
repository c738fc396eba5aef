import CExif
import CMagic
import CSQLite
import Foundation

/// The checks of `intake doctor`: what on this machine could keep intake from working.
public enum Doctor {
    /// One check's outcome.
    public struct Check: Sendable, Encodable {
        /// OK, WARN or FAIL.
        public enum Verdict: String, Sendable, Encodable {
            case ok = "OK"
            case warn = "WARN"
            case fail = "FAIL"
        }

        public let name: String
        public let verdict: Verdict
        public let detail: String
    }

    /// Runs every check for `home`.
    public static func checks(home: Home) -> [Check] {
        var checks: [Check] = []
        checks.append(
            limit(
                "inotify max_user_watches", path: "/proc/sys/fs/inotify/max_user_watches",
                recommended: 524_288,
                why: "each watched inbox folder takes one watch"))
        checks.append(
            limit(
                "inotify max_queued_events", path: "/proc/sys/fs/inotify/max_queued_events",
                recommended: 16_384,
                why: "past it events are dropped and the inbox is rescanned"))
        checks.append(fileSystem(home: home))
        checks.append(writable(home: home))
        checks.append(Check(name: "sqlite", verdict: .ok, detail: Database.libraryVersion))
        checks.append(Check(name: "libmagic", verdict: .ok, detail: Magic.libraryVersion))
        checks.append(library("libexif", symbolOwner: "libexif.so"))
        return checks
    }

    static func limit(_ name: String, path: String, recommended: Int, why: String) -> Check {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let value = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            return Check(name: name, verdict: .fail, detail: "cannot read \(path)")
        }
        if value < recommended {
            return Check(
                name: name, verdict: .warn,
                detail: "\(value), below the recommended \(recommended) (\(why)); "
                    + "install etc/sysctl.d/60-intake.conf")
        }
        return Check(name: name, verdict: .ok, detail: "\(value)")
    }

    static func fileSystem(home: Home) -> Check {
        let path = FileManager.default.fileExists(atPath: home.inbox) ? home.inbox : existing(home)
        guard let kind = FileSystemKind.of(path: path) else {
            return Check(name: "inbox file system", verdict: .fail, detail: "statfs \(path) failed")
        }
        if kind.inotifySeesAllChanges {
            return Check(name: "inbox file system", verdict: .ok, detail: "\(kind.name) (\(path))")
        }
        return Check(
            name: "inbox file system", verdict: .warn,
            detail: "\(kind.name) (\(path)): inotify misses changes made elsewhere; only the "
                + "periodic rescan (inbox.rescan_s) finds drops there")
    }

    static func writable(home: Home) -> Check {
        let folder = existing(home)
        let probe = folder + "/.intake-doctor-\(getpid())"
        let descriptor = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            return Check(name: "home writable", verdict: .fail, detail: "\(folder): \(reason)")
        }
        close(descriptor)
        unlink(probe)
        let note = folder == home.root ? "" : " (home not created yet; checked \(folder))"
        return Check(name: "home writable", verdict: .ok, detail: home.root + note)
    }

    /// The version of a shared library that has no version call, from the file the dynamic
    /// loader mapped for it (`libexif.so.12.3.4`).
    static func library(_ name: String, symbolOwner: String) -> Check {
        exif_data_unref(exif_data_new())  // makes sure the library is loaded and mapped
        let maps = (try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? ""
        let path = maps.split(separator: "\n").compactMap { line -> String? in
            guard let slash = line.firstIndex(of: "/") else { return nil }
            let path = String(line[slash...])
            return path.contains(symbolOwner) ? path : nil
        }.first
        guard let path else {
            return Check(name: name, verdict: .fail, detail: "\(symbolOwner) is not loaded")
        }
        let file = URL(fileURLWithPath: path).resolvingSymlinksInPath().lastPathComponent
        return Check(name: name, verdict: .ok, detail: file)
    }

    /// The home, or its nearest existing parent.
    static func existing(_ home: Home) -> String {
        var path = home.root
        while !FileManager.default.fileExists(atPath: path) && path != "/" {
            path = (path as NSString).deletingLastPathComponent
        }
        return path
    }
}
