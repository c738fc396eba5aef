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
/// `settleAbandoned` does the same for the files of tasks given up while the daemon runs.
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
            guard !name.hasPrefix(".") else { continue }
            try settle(path, reader: reader, summary: &summary)
        }
        report(summary, "work/ cleaned up after the previous run")
        return summary
    }

    /// Settles the `work/` files of tasks given up while the daemon runs (their leases ran out
    /// too often, see `LeaseRecovery`): each is moved to `rejected/` with its report. The
    /// worker that held such a task will not clean up, since its outcome is dropped.
    @discardableResult
    func settleAbandoned(_ paths: [String], database: Database) -> Summary {
        let reader = TaskReader(database: database)
        var summary = Summary()
        for path in paths {
            do {
                // Also the link a stuck worker may have made while taking the file in.
                if let task = try settle(path, reader: reader, summary: &summary),
                    unlink(home.work + "/" + WorkFolderSweep.ingestPrefix + task.id) == 0
                {
                    summary.removed += 1
                }
            } catch {
                logger.warning(
                    "could not clean up a given-up task's file in work/", ("path", path),
                    ("error", "\(error)"))
            }
        }
        report(summary, "work/ cleaned up after tasks were given up")
        return summary
    }

    /// Logs what a sweep did, when it did anything.
    private func report(_ summary: Summary, _ message: StaticString) {
        guard summary != Summary() else { return }
        logger.info(
            message, ("removed", "\(summary.removed)"), ("rejected", "\(summary.rejected)"))
    }

    /// What one file in `work/` needs, by the latest task that took it in: nothing while the
    /// task still needs it or when no task refers to it, removal once the task is past the
    /// download stage, `rejected/` when it failed there. Returns the task when it was one of
    /// the last two cases.
    @discardableResult
    private func settle(
        _ path: String, reader: TaskReader, summary: inout Summary
    ) throws -> TaskSummary? {
        guard let task = try reader.task(workPath: path), !WorkFolderSweep.isDownloading(task)
        else { return nil }
        if task.stage != TaskStage.download.rawValue {
            if unlink(path) == 0 { summary.removed += 1 }
            return task
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
        return task
    }

    /// The prefix of the hard links the download stage makes while it takes a file in.
    static let ingestPrefix = ".ingest-"

    /// Whether `task` is still to be taken in by the download stage, which needs its file.
    private static func isDownloading(_ task: TaskSummary) -> Bool {
        task.stage == TaskStage.download.rawValue && task.state != TaskState.failed.rawValue
    }
}
