import CSystem
import Dispatch
import Foundation
import Synchronization

/// Brings complete bodies into the store in rounds, so that many bodies share one sync of the
/// file system instead of each paying for its own file sync and folder syncs.
///
/// One round takes every body waiting and:
/// 1. writes bodies held in memory to unnamed files (`O_TMPFILE`) in `store/tmp`;
/// 2. syncs the file system once (`syncfs`): every body's bytes are on the disk;
/// 3. gives each body its content address (`linkat` for an unnamed file, `renameat2` with
///    `RENAME_NOREPLACE` for a named one), creating `aa/` and `aa/bb/` only when the name
///    cannot be made without them;
/// 4. syncs the file system once more: every new name and folder is on the disk;
/// 5. reports each body as stored.
///
/// A round of fewer than `fileSystemSyncBodies` bodies syncs each body's file
/// (`fdatasync`) in step 2 and, in step 4, each folder that got a name (and the parent of each
/// folder created, as it is created) instead of the whole file system.
///
/// So a name in the store is only made for synced bytes, and a caller only hears "stored"
/// once the name itself is synced. Bodies that arrive during a round wait for the next one, so
/// under load each round carries more bodies and costs the same two syncs. Steps 1 and 3 run
/// on several threads, because on ext4 creating a file or folder costs far more CPU than
/// writing a small body.
///
/// Known limitation: `syncfs` also flushes what other programs wrote to the same file system;
/// on a disk shared with heavy writers a large round can take longer than syncing the store's
/// own files would.
final class CommitBatcher: Sendable {
    private let store: Store
    private let state = Mutex(State())
    private let queue = DispatchQueue(label: "intake.store.commit")
    /// The store folder, open for the batcher's whole life: `syncfs` reports a writeback
    /// error only if it happened after the descriptor it is given was opened.
    private let rootDescriptor: Int32
    private let rounds = Atomic<Int>(0)
    private let fileSystemRounds = Atomic<Int>(0)

    /// A body and the caller waiting for it.
    private struct Job: Sendable {
        let pending: PendingOriginal
        let continuation: CheckedContinuation<Result<StoredOriginal, StoreError>, Never>
    }

    private struct State {
        var jobs: [Job] = []
        var running = false
    }

    /// A body with a file of its own, ready to be named.
    private struct Prepared: Sendable {
        let descriptor: Int32
        /// nil for an unnamed file.
        let path: String?
    }

    /// A batcher for `store`, whose folders must exist.
    init(store: Store) throws(StoreError) {
        self.store = store
        self.rootDescriptor = try FileIO.open(store.root, O_RDONLY | O_DIRECTORY)
    }

    deinit {
        close(rootDescriptor)
    }

    /// Stores `pending`; returns once its bytes and its name are synced (or it failed). A
    /// failed body leaves nothing behind but a named file's temporary name, which the caller
    /// removes.
    func commit(_ pending: PendingOriginal) async -> Result<StoredOriginal, StoreError> {
        await withCheckedContinuation { continuation in
            let starts = state.withLock { state in
                state.jobs.append(Job(pending: pending, continuation: continuation))
                if state.running { return false }
                state.running = true
                return true
            }
            if starts { queue.async { self.drain() } }
        }
    }

    /// Runs rounds until no body waits.
    private func drain() {
        while true {
            let jobs = state.withLock { state in
                defer { state.jobs = [] }
                if state.jobs.isEmpty { state.running = false }
                return state.jobs
            }
            if jobs.isEmpty { return }
            let results = round(jobs.map(\.pending))
            for (job, result) in zip(jobs, results) {
                job.continuation.resume(returning: result)
            }
        }
    }

    /// Rounds run so far (for tests: many bodies share a round).
    var roundsRun: Int { rounds.load(ordering: .relaxed) }
    /// Rounds that synced the whole file system (for tests).
    var fileSystemRoundsRun: Int { fileSystemRounds.load(ordering: .relaxed) }

    /// One round over `pending`, in the order given.
    private func round(_ pending: [PendingOriginal]) -> [Result<StoredOriginal, StoreError>] {
        rounds.add(1, ordering: .relaxed)
        let wholeFileSystem = pending.count >= CommitBatcher.fileSystemSyncBodies
        if wholeFileSystem { fileSystemRounds.add(1, ordering: .relaxed) }
        var prepared = parallel(pending) { body throws(StoreError) in try self.prepare(body) }
        if store.syncs && !wholeFileSystem {
            prepared = parallel(prepared) { file throws(StoreError) -> Prepared in
                let file = try file.get()
                _ = try FileIO.retrying("fdatasync", file.path ?? self.store.temporary) {
                    fdatasync(file.descriptor)
                }
                return file
            }
        } else if store.syncs, prepared.contains(where: { (try? $0.get()) != nil }) {
            do throws(StoreError) {
                try syncFileSystem()
            } catch {
                prepared = prepared.map { item in item.flatMap { _ in .failure(error) } }
            }
        }
        let ready = Array(zip(pending, prepared))
        var results = parallel(ready) { item throws(StoreError) -> StoredOriginal in
            let (body, file) = item
            let prepared = try file.get()
            return try self.place(prepared, body: body, syncingFolders: !wholeFileSystem)
        }
        for (_, file) in ready {
            if let file = try? file.get() { close(file.descriptor) }
        }
        if store.syncs, results.contains(where: { (try? $0.get()) != nil }) {
            do throws(StoreError) {
                if wholeFileSystem {
                    try syncFileSystem()
                } else {
                    try syncFolders(of: results)
                }
            } catch {
                // The names may not have reached the disk; take back the ones made here, so
                // that a name in the store never points at bytes not known to be synced.
                for case .success(let original) in results where !original.wasAlreadyStored {
                    FileIO.remove(original.storePath)
                }
                results = results.map { item in item.flatMap { _ in .failure(error) } }
            }
        }
        return results
    }

    /// Rounds of at least this many bodies sync the whole file system twice; smaller ones
    /// sync each body's file and the folders of the names made, so that a few large bodies do
    /// not wait for everything other programs wrote to the same disk.
    static let fileSystemSyncBodies = 16

    /// Syncs each folder that got a name in `results`, each once, on several threads.
    private func syncFolders(of results: [Result<StoredOriginal, StoreError>])
        throws(StoreError)
    {
        var folders = Set<String>()
        for case .success(let original) in results {
            folders.insert(String(original.storePath[..<original.storePath.lastIndex(of: "/")!]))
        }
        for result in parallel(
            Array(folders),
            { folder throws(StoreError) in
                try FileIO.syncFolder(folder)
            })
        {
            try result.get()
        }
    }

    /// Runs `work` over `items` on several threads, keeping their order.
    private func parallel<Item: Sendable, Value: Sendable>(
        _ items: [Item], _ work: @escaping @Sendable (Item) throws(StoreError) -> Value
    ) -> [Result<Value, StoreError>] {
        let results = Slots<Result<Value, StoreError>>(count: items.count)
        let workers = min(items.count, CommitBatcher.workers)
        guard workers > 0 else { return [] }
        let chunk = (items.count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(
                from: worker * chunk, to: min(items.count, (worker + 1) * chunk), by: 1)
            {
                do throws(StoreError) {
                    results.set(index, .success(try work(items[index])))
                } catch {
                    results.set(index, .failure(error))
                }
            }
        }
        return results.values()
    }

    /// Threads that create files and names at once: file creation on ext4 is CPU work in
    /// the kernel, so more threads than cores only wait for each other's locks.
    static let workers = 4

    /// Result slots that several threads fill, each its own indices.
    private final class Slots<Value: Sendable>: @unchecked Sendable {
        // Safe to share: `parallel` gives each thread a disjoint range of indices, and
        // `values()` is read only after `concurrentPerform` has returned, which orders every
        // write before it.
        private let storage: UnsafeMutableBufferPointer<Value?>

        init(count: Int) {
            storage = .allocate(capacity: count)
            storage.initialize(repeating: nil)
        }

        deinit {
            storage.deinitialize()
            storage.deallocate()
        }

        func set(_ index: Int, _ value: Value) {
            storage[index] = value
        }

        func values() -> [Value] {
            storage.map { $0! }
        }
    }

    /// Gives `body` a file: bodies in memory are written to an unnamed file in `store/tmp`
    /// (to a named one where the file system has no `O_TMPFILE`).
    private func prepare(_ body: PendingOriginal) throws(StoreError) -> Prepared {
        switch body.content {
        case .file(let descriptor, let path):
            return Prepared(descriptor: descriptor, path: path)
        case .memory(let bytes):
            let file = try FileIO.openUnnamed(in: store.temporary, mode: store.fileMode)
            do throws(StoreError) {
                try FileIO.write(file.descriptor, bytes, path: file.path ?? store.temporary)
            } catch {
                close(file.descriptor)
                if let path = file.path { FileIO.remove(path) }
                throw error
            }
            return Prepared(descriptor: file.descriptor, path: file.path)
        }
    }

    /// Names a synced file by its content; the name of an equal body already there is kept.
    private func place(_ file: Prepared, body: PendingOriginal, syncingFolders: Bool)
        throws(StoreError) -> StoredOriginal
    {
        let ext = Store.imageExtensions[body.mimeType] ?? "bin"
        let destination = store.originalPath(sha256: body.sha256, ext: ext)
        var existed = try link(file, to: destination, creatingFolders: false)
        if existed == nil {
            try store.makeParents(of: destination, syncing: syncingFolders && store.syncs)
            existed = try link(file, to: destination, creatingFolders: true)
        }
        if let path = file.path, existed == true { FileIO.remove(path) }
        return StoredOriginal(
            sha256: body.sha256, bytes: body.bytes, storePath: destination,
            mimeType: body.mimeType, wasAlreadyStored: existed!)
    }

    /// Links or renames `file` to `destination`: false when it now has that name, true when
    /// an equal body already had it, nil when the folder is missing (on the first try).
    private func link(_ file: Prepared, to destination: String, creatingFolders: Bool)
        throws(StoreError) -> Bool?
    {
        let result: Int32
        let function: String
        if let path = file.path {
            result = intake_rename_noreplace(path, destination)
            function = "renameat2"
            if result == -EINVAL || result == -ENOSYS {
                // A file system without RENAME_NOREPLACE: link(2) also refuses to replace.
                if Glibc.link(path, destination) == 0 {
                    FileIO.remove(path)
                    return false
                }
                if errno == EEXIST { return true }
                if errno == ENOENT && !creatingFolders { return nil }
                throw StoreError.system(function: "link", path: destination, errno: errno)
            }
        } else {
            result = intake_link_descriptor(file.descriptor, destination)
            function = "linkat"
        }
        switch -result {
        case 0: return false
        case EEXIST: return true
        case ENOENT where !creatingFolders: return nil
        default: throw StoreError.system(function: function, path: destination, errno: -result)
        }
    }

    private func syncFileSystem() throws(StoreError) {
        let result = intake_syncfs(rootDescriptor)
        if result != 0 {
            throw StoreError.system(function: "syncfs", path: store.root, errno: -result)
        }
    }
}
