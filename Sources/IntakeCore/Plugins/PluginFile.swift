import Foundation

/// A plugin found in `HOME/plugins/`: its name, path, the event patterns it asked for, and the
/// file identity by which a change is noticed.
struct PluginFile: Sendable, Equatable {
    /// The file name, which is also its subscriber's name.
    let name: String
    let path: String
    let patterns: [EventPattern]
    /// Inode, size, modification time, mode and owner of the file, plus the sidecar's text:
    /// when any of them changes, the plugin is read again.
    let identity: String
}

/// What discovery decided about one file of the plugins folder.
enum PluginCandidate: Sendable, Equatable {
    /// A plugin to run.
    case usable(PluginFile)
    /// An executable that will not be run, and why (logged once per change of the file).
    case refused(name: String, identity: String, reason: String)
}
