import Foundation

/// The names the inbox never takes and never moves: temporary files of downloaders and
/// editors, hidden files, NAS metadata folders, and the user's `inbox.ignore` globs.
///
/// A rule applies to one name (a file's or a folder's), never to a whole path; an ignored
/// folder is neither watched nor scanned. Globs follow `fnmatch(3)` without flags, so `*`
/// also matches a leading dot.
public struct IgnoreRules: Sendable, Equatable {
    /// The built-in globs of the contract.
    public static let builtIn = [
        ".*", "*.part", "*.partial", "*.tmp", "*.crdownload", "*.aria2", "*~", "@eaDir",
        "Thumbs.db",
    ]

    /// Every glob in force: the built-in ones, then the configured ones.
    public let globs: [String]

    public init(extra: [String] = []) {
        globs = IgnoreRules.builtIn + extra
    }

    /// True when a file or folder named `name` is left alone.
    public func ignores(_ name: String) -> Bool {
        globs.contains { fnmatch($0, name, 0) == 0 }
    }
}
