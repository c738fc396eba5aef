import Foundation

/// The home folder and the fixed layout beneath it (the contract's section 2).
public struct Home: Sendable, Equatable {
    /// The home folder, absolute and without a trailing slash.
    public let root: String

    public init(root: String) {
        let absolute =
            root.hasPrefix("/")
            ? root : FileManager.default.currentDirectoryPath + "/" + root
        self.root = URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// The home chosen by `--home`, else `$INTAKE_HOME`, else `$XDG_DATA_HOME/intake`, else
    /// `~/.local/share/intake`.
    public static func resolve(option: String?, environment: [String: String]) -> Home {
        if let option, !option.isEmpty { return Home(root: option) }
        if let home = environment["INTAKE_HOME"], !home.isEmpty { return Home(root: home) }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return Home(root: data + "/intake")
        }
        let user = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return Home(root: user + "/.local/share/intake")
    }

    public var configuration: String { root + "/intake.toml" }
    public var inbox: String { root + "/inbox" }
    public var rejected: String { root + "/rejected" }
    public var work: String { root + "/work" }
    public var store: String { root + "/store" }
    public var originals: String { root + "/store/originals" }
    public var thumbnails: String { root + "/store/thumbnails" }
    public var spool: String { root + "/spool" }
    public var plugins: String { root + "/plugins" }
    public var database: String { root + "/intake.db" }
    public var lock: String { root + "/intake.lock" }

    /// Every folder of the layout, parents first.
    public var folders: [String] {
        [
            root, inbox, rejected, work, store, originals, thumbnails, spool, spool + "/tmp",
            spool + "/events", spool + "/subscribers", plugins,
        ]
    }

    /// Creates whatever folders are missing with `folderMode`; existing ones are left as they
    /// are. Returns the folders it created.
    @discardableResult
    public func createLayout(folderMode: UInt32) throws(HomeError) -> [String] {
        var created: [String] = []
        for folder in folders {
            if mkdir(folder, mode_t(folderMode)) == 0 {
                chmod(folder, mode_t(folderMode))
                created.append(folder)
                continue
            }
            let code = errno
            var status = stat()
            if code == EEXIST, stat(folder, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
                continue
            }
            throw HomeError.system(function: "mkdir", path: folder, errno: code)
        }
        return created
    }
}
