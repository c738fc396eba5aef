import Foundation

/// Where the repository, the shared test corpus and the built binaries are.
public enum Paths {
    /// The package root (the folder holding Package.swift).
    public static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The read-only test corpus beside the repository: `../shared/corpus`.
    public static let corpus: String =
        URL(fileURLWithPath: repository + "/../shared/corpus").standardizedFileURL.path

    /// The folder of the running test binary, where SwiftPM also puts `intake`.
    public static let buildProducts: String = {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.path + "/intake")
            && folder.path != "/"
        {
            folder.deleteLastPathComponent()
        }
        return folder.path
    }()

    /// The built `intake` executable.
    public static var intake: String { buildProducts + "/intake" }

    /// The built queue benchmark driver (bench/queue/driver).
    public static var queueDriver: String { buildProducts + "/queue-driver" }
}
