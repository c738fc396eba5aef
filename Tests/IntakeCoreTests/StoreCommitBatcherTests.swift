import Foundation
import Testing

@testable import IntakeCore

/// Storing finished bodies in rounds: unnamed files linked into place, one file-system sync
/// for many bodies, and the downloader's small bodies kept in memory until then.
@Suite struct StoreCommitBatcherTests {
    /// Distinct bodies: `count` JPEG-looking byte strings, the `index`th with a different tail.
    private func bodies(_ count: Int, bytes: Int = 10_000) -> [[UInt8]] {
        (0..<count).map { index in
            var body = [UInt8](repeating: 0x41, count: bytes)
            body.replaceSubrange(0..<4, with: [0xFF, 0xD8, 0xFF, 0xE0])
            withUnsafeBytes(of: UInt64(index).littleEndian) { raw in
                body.replaceSubrange((bytes - 8)..<bytes, with: raw)
            }
            return body
        }
    }

    private func digest(_ bytes: [UInt8]) -> String {
        let hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update($0) }
        return hasher.finish()
    }

    private func links(_ path: String) -> Int {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_nlink) : -1
    }

    private func pending(_ body: [UInt8]) -> PendingOriginal {
        PendingOriginal(
            content: .memory(body), sha256: digest(body), bytes: Int64(body.count),
            mimeType: "image/jpeg")
    }

    @Test func manyBodiesAtOnceShareRoundsAndLandWhole() async throws {
        let fixture = try DownloadFixture()
        try fixture.store.prepare()
        let batcher = try CommitBatcher(store: fixture.store)
        let bodies = bodies(200)

        let results = await withTaskGroup(of: (Int, Result<StoredOriginal, StoreError>).self) {
            group in
            for (index, body) in bodies.enumerated() {
                group.addTask { (index, await batcher.commit(pending(body))) }
            }
            var results: [Int: Result<StoredOriginal, StoreError>] = [:]
            for await (index, result) in group { results[index] = result }
            return results
        }

        #expect(results.count == 200)
        for (index, result) in results {
            let original = try result.get()
            #expect(!original.wasAlreadyStored)
            #expect(original.sha256 == digest(bodies[index]))
            let stored = try Data(contentsOf: URL(fileURLWithPath: original.storePath))
            #expect(Array(stored) == bodies[index])
            // One name only: the body was written to an unnamed file and linked into place.
            #expect(links(original.storePath) == 1)
            var status = stat()
            #expect(stat(original.storePath, &status) == 0 && status.st_mode & 0o777 == 0o600)
        }
        #expect(batcher.roundsRun >= 1 && batcher.roundsRun < 200)
        // Bodies that arrive while a round syncs wait for the next one, which then syncs
        // the whole file system once for all of them.
        #expect(batcher.fileSystemRoundsRun >= 1)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func equalBodiesInOneRoundAreStoredOnce() async throws {
        let fixture = try DownloadFixture()
        try fixture.store.prepare()
        let batcher = try CommitBatcher(store: fixture.store)
        let body = bodies(1)[0]

        let results = await withTaskGroup(of: StoredOriginal?.self) { group in
            for _ in 0..<20 {
                group.addTask { try? await batcher.commit(pending(body)).get() }
            }
            var results: [StoredOriginal] = []
            for await case let original? in group { results.append(original) }
            return results
        }

        #expect(results.count == 20)
        #expect(results.filter { !$0.wasAlreadyStored }.count == 1)
        #expect(Set(results.map(\.storePath)).count == 1)
        #expect(links(results[0].storePath) == 1)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func aNamedFileIsRenamedIntoPlace() async throws {
        let fixture = try DownloadFixture()
        try fixture.store.prepare()
        let batcher = try CommitBatcher(store: fixture.store)
        let body = bodies(1, bytes: 3 << 20)[0]
        let path = fixture.store.temporary + "/download-named.part"
        let descriptor = try FileIO.open(path, O_WRONLY | O_CREAT | O_EXCL)
        try FileIO.write(descriptor, body, path: path)

        let original = try await batcher.commit(
            PendingOriginal(
                content: .file(descriptor: descriptor, path: path), sha256: digest(body),
                bytes: Int64(body.count), mimeType: "image/jpeg")
        ).get()

        #expect(!original.wasAlreadyStored)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: original.storePath))) == body)
        #expect(fixture.temporaryEntries().isEmpty)
        // One body alone syncs its own file and folders, not the whole file system.
        #expect(batcher.roundsRun == 1 && batcher.fileSystemRoundsRun == 0)
    }

    @Test func aStoreWithoutSyncStoresTheSameWay() async throws {
        let fixture = try DownloadFixture()
        let store = try Store(home: fixture.home, syncs: false)
        try store.prepare()
        let batcher = try CommitBatcher(store: store)
        let body = bodies(1)[0]

        let original = try await batcher.commit(pending(body)).get()

        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: original.storePath))) == body)
    }

    @Test func manySmallDownloadsAtOnceAreStoredAndGiveTheirMemoryBack() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader {
            $0.download.concurrency = 8
            $0.download.perHost = 8
        }
        // Bodies of different lengths are different content; all stay below the size held in
        // memory, except the last, which goes to a file and is handed to the disk in steps.
        var sizes = (0..<60).map { 20_000 + $0 }
        sizes.append(Int(Transfer.memoryBodyBytes) + 3 * Int(Transfer.writebackStepBytes))

        let outcomes = await withTaskGroup(of: (Int, DownloadOutcome).self) { group in
            for size in sizes {
                let url = server.url("/big?bytes=\(size)")
                group.addTask { (size, await downloader.fetch(url: url, taskID: "t-\(size)")) }
            }
            var outcomes: [(Int, DownloadOutcome)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }

        #expect(outcomes.count == sizes.count)
        for (size, outcome) in outcomes {
            guard case .stored(let downloaded) = outcome else {
                Issue.record("\(size): \(outcome)")
                continue
            }
            let path = downloaded.original.storePath
            #expect(downloaded.original.bytes == Int64(size))
            #expect(FileIO.regularFileSize(path) == Int64(size))
            #expect(links(path) == 1)
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(digest(Array(data)) == downloaded.original.sha256)
        }
        #expect(downloader.bytesHeldInMemory == 0)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func theMemoryBudgetRefusesWhatDoesNotFit() {
        let budget = MemoryBudget(limit: 100)
        #expect(budget.reserve(60))
        #expect(!budget.reserve(41))
        #expect(budget.reserve(40))
        budget.release(60)
        #expect(budget.inUse == 40)
        #expect(budget.reserve(60))
    }
}
