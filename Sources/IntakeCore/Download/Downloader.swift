import Foundation
import Synchronization

/// The download stage's engine: brings a task's remote original into the content-addressed
/// store over HTTP(S), politely (`download.concurrency` transfers at once, `download.per_host`
/// per host, connections reused) and safely (only `http` and `https`, the address policy on
/// every connection, size and time limits, TLS always verified).
///
/// A queue worker calls `fetch(url:taskID:)` once per attempt. A body cut off by a transient
/// failure stays in `store/tmp`, found again by the task id, and the next attempt asks only
/// for the rest; when the queue gives up on a task it calls `discardPartial(taskID:)`.
public final class Downloader: Sendable {
    private let store: Store
    private let settings: DownloadSettings
    private let engine: TransferEngine
    private let nextID = Atomic<UInt64>(1)
    /// Writes, syncs and names finished bodies in rounds, off the engine's thread and off the
    /// cooperative pool.
    private let batcher: CommitBatcher
    private let budget: MemoryBudget

    /// Small bodies held in memory between their transfer and their round in the store, at
    /// most: 64 MiB, whatever the concurrency.
    static let memoryBudgetBytes = 64 << 20

    /// A downloader writing into `store` (whose folders it creates), driven by its own thread.
    public init(store: Store, settings: DownloadSettings, logger: Logger = .silent)
        throws(StoreError)
    {
        try store.prepare()
        let magic: Magic
        do {
            magic = try Magic()
        } catch {
            throw StoreError.unclassifiable(error)
        }
        self.store = store
        self.settings = settings
        self.batcher = try CommitBatcher(store: store)
        self.budget = MemoryBudget(limit: Downloader.memoryBudgetBytes)
        self.engine = TransferEngine(
            settings: settings, magic: magic, logger: logger, budget: budget,
            startsWriteback: store.syncs)
        engine.start()
    }

    deinit {
        engine.stop()
    }

    /// Downloads `url` for task `taskID` into the store. Never throws: every way it can end
    /// is a `DownloadOutcome`, failures classified as transient or permanent.
    public func fetch(url: String, taskID: String) async -> DownloadOutcome {
        guard let hostKey = Downloader.hostKey(of: url) else {
            return .failed(.invalidURL(url, "not an absolute http or https URL"))
        }
        if Task.isCancelled {
            return .failed(
                DownloadFailure(
                    code: "cancelled", message: "the download was cancelled", transient: true))
        }
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let partial = PartialDownload(folder: store.temporary, taskID: taskID)
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                engine.submit(
                    TransferRequest(
                        id: id, url: url, hostKey: hostKey, partial: partial,
                        continuation: continuation))
            }
        } onCancel: {
            engine.cancel(id: id)
        }
        switch result {
        case .failed(let failure):
            return .failed(failure)
        case .body(let body):
            return await commit(body, url: url, partial: partial)
        }
    }

    /// Removes what earlier attempts of `taskID` left in `store/tmp`: the queue calls this
    /// when a task has failed for good.
    public func discardPartial(taskID: String) {
        PartialDownload(folder: store.temporary, taskID: taskID).discard()
    }

    /// Stores a complete body: returns once its bytes and its name are synced.
    private func commit(_ body: CompletedBody, url: String, partial: PartialDownload) async
        -> DownloadOutcome
    {
        let pending = PendingOriginal(
            content: body.content, sha256: body.sha256, bytes: body.bytes,
            mimeType: body.mimeType)
        let result = await batcher.commit(pending)
        budget.release(body.reservedBytes)
        switch result {
        case .success(let original):
            if body.hasValidator { FileIO.remove(partial.validator) }
            return .stored(
                DownloadedOriginal(
                    original: original, finalURL: body.finalURL, httpStatus: body.httpStatus,
                    resumedFromBytes: body.resumedFromBytes))
        case .failure(let error):
            partial.discard()
            return .failed(.store(url, error))
        }
    }

    /// Body bytes held in memory now (for tests: all are given back once fetches end).
    var bytesHeldInMemory: Int { budget.inUse }

    /// `host:port` of an absolute http or https URL, or nil for anything else.
    static func hostKey(of url: String) -> String? {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        return "\(host):\(port)"
    }
}
