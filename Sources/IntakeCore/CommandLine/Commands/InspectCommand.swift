import Dispatch
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
            with an error object {code, message} for a failed file.
            """,
        options: [.json, .flag("no-analysis", "metadata only: no decoding, hashes or analyzer")],
        positionals: 1...Int.max)

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let configuration = try invocation.loadConfiguration()
        let inspector = try ImageInspector(settings: configuration.analysis)
        let paths = invocation.arguments.positionals
        let analyse = !invocation.arguments.flag("no-analysis")
        let reports = inspect(paths, inspector: inspector, analyse: analyse)
        if invocation.json {
            try invocation.output.json(reports)
        } else {
            invocation.output.write(reports.map(\.text).joined(separator: "\n"))
        }
        return reports.contains { $0.error != nil } ? .failure : .success
    }

    /// The reports of `paths`, in their order, made on every core.
    static func inspect(
        _ paths: [String], inspector: ImageInspector, analyse: Bool
    ) -> [InspectionReport] {
        let results = Mutex([InspectionReport?](repeating: nil, count: paths.count))
        DispatchQueue.concurrentPerform(iterations: paths.count) { index in
            let report = InspectionReport.make(paths[index], inspector: inspector, analyse: analyse)
            results.withLock { $0[index] = report }
        }
        return results.withLock { $0.map { $0! } }
    }
}
