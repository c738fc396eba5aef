import Foundation

/// The download stage's worker: brings a task's original into the content-addressed store and
/// reports it for `image.downloaded`. Remote sources go through the `Downloader`; a dropped
/// file is taken from `work/` into the store.
///
/// A dropped file stays in `work/` until the coordinator has committed the stage: the store
/// takes in a second hard link to it, so if the daemon dies before the commit, the next attempt
/// finds the file again and storing it is simply repeated (the store keeps one copy of any
/// content). `finished(_:outcome:)` then removes the file from `work/`.
public struct DownloadStage: Sendable {
    let store: Store
    let downloader: Downloader
    let home: Home
    let logger: Logger
    /// Bytes downloaded, for the metrics.
    let downloaded: MetricCounter

    public init(
        store: Store, downloader: Downloader, home: Home, logger: Logger,
        downloaded: MetricCounter = MetricCounter()
    ) {
        self.store = store
        self.downloader = downloader
        self.home = home
        self.logger = logger
        self.downloaded = downloaded
    }

    /// Runs one attempt of `job`.
    public func handle(_ job: ClaimedJob) async -> StageOutcome? {
        if let workPath = job.workPath {
            let stage = self
            return await Blocking.run { stage.ingest(job, workPath: workPath) }
        }
        switch await downloader.fetch(url: job.source, taskID: job.taskID) {
        case .stored(let downloaded):
            let original = downloaded.original
            self.downloaded.add(original.bytes - downloaded.resumedFromBytes)
            return .succeeded(
                StageResult(
                    payload: [
                        "source": .string(job.source), "sha256": .string(original.sha256),
                        "bytes": .int(original.bytes), "storePath": .string(original.storePath),
                        "mimeType": .string(original.mimeType),
                        "finalUrl": .string(downloaded.finalURL),
                        "httpStatus": .int(Int64(downloaded.httpStatus)),
                    ], sha256: original.sha256, storePath: original.storePath))
        case .failed(let failure):
            if failure.code == "cancelled" { return nil }
            let retryAfter = failure.retryAfter.map { Int64($0.timeIntervalSince1970 * 1000) }
            return .failed(
                StageFailure(
                    code: failure.code, message: failure.message, transient: failure.transient,
                    retryAfterMillis: retryAfter))
        }
    }

    /// Called once the coordinator has recorded the outcome: cleans up what the task left.
    public func finished(_ job: ClaimedJob, outcome: StageOutcome, applied: Bool) {
        guard applied else { return }
        switch outcome {
        case .succeeded:
            if let workPath = job.workPath { unlink(workPath) }
        case .failed(let failure) where !failure.transient:
            if let workPath = job.workPath {
                reject(workPath, job: job, failure: failure)
            } else {
                downloader.discardPartial(taskID: job.taskID)
            }
        case .failed:
            break
        }
    }

    private func ingest(_ job: ClaimedJob, workPath: String) -> StageOutcome {
        let folder = (workPath as NSString).deletingLastPathComponent
        let link = folder + "/" + WorkFolderSweep.ingestPrefix + job.taskID
        unlink(link)
        guard Glibc.link(workPath, link) == 0 else {
            let code = errno
            let message = "cannot take in \(workPath): \(String(cString: strerror(code)))"
            if code == ENOENT {
                return .failed(.permanent("unreadable", message))
            }
            return .failed(.transient(code == ENOSPC ? "disk_full" : "store_unwritable", message))
        }
        do {
            let original = try store.ingestLocal(path: link)
            return .succeeded(
                StageResult(
                    payload: [
                        "source": .string(job.source), "sha256": .string(original.sha256),
                        "bytes": .int(original.bytes), "storePath": .string(original.storePath),
                        "mimeType": .string(original.mimeType),
                    ], sha256: original.sha256, storePath: original.storePath))
        } catch {
            unlink(link)
            return .failed(
                StageFailure(
                    code: error.code, message: error.message, transient: error.isTransient))
        }
    }

    /// Moves a dropped file that failed for good to `rejected/`, with `NAME.error.json`.
    private func reject(_ workPath: String, job: ClaimedJob, failure: StageFailure) {
        do {
            _ = try DropMover.reject(
                workPath: workPath, source: job.source, traceID: job.traceID,
                rejection: DropRejection(code: failure.code, message: failure.message),
                folder: home.rejected)
        } catch {
            logger.warning(
                "could not move a failed drop to rejected/", ("task.id", job.taskID),
                ("path", workPath), ("error", "\(error)"))
        }
    }
}
