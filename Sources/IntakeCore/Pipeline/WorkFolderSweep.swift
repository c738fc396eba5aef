import Foundation

/// Finishes, at start, the clean-up of `work/` that a stopped run did not get to.
///
/// The download stage removes a dropped image's file from `work/` (or moves it to `rejected/`)
/// right after its outcome is committed. A run killed between the commit and that step, or a
/// task given up at start because it was interrupted too often, leaves the file behind, and
/// `intake wait` would count it as work for ever. The sweep looks each file up by the task
/// that took it in: once the task is past the download stage its file is removed (the content
/// is in the store), a task that failed at the download stage has its file moved to
/// `rejected/` with its report, and a task still to be downloaded keeps its file. A file no
/// task refers to (a URL list the inbox is still settling, a file put there by hand) is left
/// alone. `.ingest-TASK` links of tasks no longer downloading are removed too.
///
/// Run it holding the home's lock, before the inbox and the stage workers start.
///
/// Known shortcoming: a task given up while the daemon runs because its lease ran out too
/// often also skips the download stage's clean-up; its file stays in `work/` until the next
/// start sweeps it.
struct WorkFolderSweep {
    /// What the sweep did.
    struct Summary: Equatable {
        var removed = 0
        var rejected = 0
    }

    let home: Home
    let logger: Logger

    /// Sweeps `work/`, reading tasks from `database`.
    @discardableResult
    func run(database: Database) throws -> Summary {
        let reader = TaskReader(database: database)
        var summary = Summary()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: home.work)) ?? []
        for name in names.sorted() {
            let path = home.work + "/" + name
            if name.hasPrefix(WorkFolderSweep.ingestPrefix) {
                let id = String(name.dropFirst(WorkFolderSweep.ingestPrefix.count))
                let task = try reader.task(matching: id)
                if !(task.map(WorkFolderSweep.isDownloading) ?? false), unlink(path) == 0 {
                    summary.removed += 1
                }
                continue
            }
            guard !name.hasPrefix("."), let task = try reader.task(workPath: path),
                !WorkFolderSweep.isDownloading(task)
            else { continue }
            if task.stage != TaskStage.download.rawValue {
                if unlink(path) == 0 { summary.removed += 1 }
                continue
            }
            do {
                _ = try DropMover.reject(
                    workPath: path, source: task.source, traceID: task.traceId,
                    rejection: DropRejection(
                        code: task.error?.code ?? "failed",
                        message: task.error?.message ?? "the task failed"),
                    folder: home.rejected)
                summary.rejected += 1
            } catch {
                logger.warning(
                    "could not move a failed drop to rejected/", ("task.id", task.id),
                    ("path", path), ("error", "\(error)"))
            }
        }
        if summary != Summary() {
            logger.info(
                "work/ cleaned up after the previous run", ("removed", "\(summary.removed)"),
                ("rejected", "\(summary.rejected)"))
        }
        return summary
    }

    /// The prefix of the hard links the download stage makes while it takes a file in.
    static let ingestPrefix = ".ingest-"

    /// Whether `task` is still to be taken in by the download stage, which needs its file.
    private static func isDownloading(_ task: TaskSummary) -> Bool {
        task.stage == TaskStage.download.rawValue && task.state != TaskState.failed.rawValue
    }
}
