import Foundation

/// A problem of the plugin runner: watching the plugins folder or starting a plugin.
public enum PluginError: CodedError {
    /// A system call failed on a path.
    case system(function: String, path: String, errno: Int32)

    public var code: String {
        switch self {
        case .system(_, _, let number) where number == ENOSPC: "disk_full"
        case .system: "plugin_runner_failed"
        }
    }

    public var message: String {
        switch self {
        case .system(let function, let path, let number):
            "\(function) \(path): \(String(cString: strerror(number)))"
        }
    }
}
