import Dispatch
import Foundation
import Synchronization

/// `intake inspect FILE...`: what the metadata and analysis stages would record for each file,
/// without the daemon and without touching the home.
enum InspectCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "inspect", synopsis: "FILE...",
        summary: "show metadata and analysis of files, without the daemon",
        discussion: """
            Prints, per file, what the metadata and analysis stages would record. A file that \
            fails (not_an_image, corrupt_image, too_large, unreadable) does not stop the others; \
            the exit status is 1 if any failed. --json prints one array, one object per file, \
            with an error object {code, message} for a failed file. --thumbnails DIR also \
            writes each file's WebP thumbnail there as the analysis stage would, named \
            <sha256>.webp (DIR is created if missing).
            """,
        options: [
            .json, .flag("no-analysis", "metadata only: no decoding, hashes or analyzer"),
            .value("thumbnails", "DIR", "also write each file's thumbnail into DIR"),
        ],
        positionals: 1...Int.max)

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let configuration = try invocation.loadConfiguration()
        let inspector = try ImageInspector(settings: configuration.analysis)
        let paths = invocation.arguments.positionals
        let analyse = !invocation.arguments.flag("no-analysis")
        let thumbnails = invocation.arguments.value("thumbnails")
        if let thumbnails {
            guard analyse else {
                throw UsageError("--thumbnails needs the analysis that --no-analysis leaves out")
            }
            try makeFolder(thumbnails, mode: configuration.files.folderMode)
        }
        let reports = inspect(
            paths, inspector: inspector, analyse: analyse, thumbnails: thumbnails)
        if invocation.json {
            try invocation.output.json(reports)
        } else {
            invocation.output.write(reports.map(\.text).joined(separator: "\n"))
        }
        return reports.contains { $0.error != nil } ? .failure : .success
    }

    /// The reports of `paths`, in their order, made on every core; with `thumbnails`, each
    /// file's thumbnail is written into that folder.
    static func inspect(
        _ paths: [String], inspector: ImageInspector, analyse: Bool, thumbnails: String? = nil
    ) -> [InspectionReport] {
        let results = Mutex([InspectionReport?](repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let report = InspectionReport.make(
                paths[index], inspector: inspector, analyse: analyse, thumbnails: thumbnails)
            results.withLock { $0[index] = report }
        }
        return results.withLock { $0.map { $0! } }
    }

    /// Creates `path` and its missing parents, or throws the system's reason (exit status 1,
    /// as for any other failure to write).
    private static func makeFolder(_ path: String, mode: UInt32) throws {
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            try? FileManager.default.createDirectory(
                atPath: parent, withIntermediateDirectories: true,
                attributes: [.posixPermissions: Int(mode)])
        }
        try FileIO.makeFolder(path, mode: mode)
    }
}
