import Foundation
import IntakeCore
import Testing

/// Taking local files into the content-addressed store.
@Suite struct StoreTests {
    /// Copies a corpus image to `path`.
    private func place(_ name: String, at path: String) throws {
        try FileManager.default.copyItem(atPath: DownloadFixture.corpus + "/" + name, toPath: path)
    }

    private func inode(_ path: String) -> UInt {
        var status = stat()
        return stat(path, &status) == 0 ? UInt(status.st_ino) : 0
    }

    @Test func aLocalFileIsMovedNotCopied() throws {
        let fixture = try DownloadFixture()
        try fixture.store.prepare()
        let drop = fixture.home.root + "/claimed.jpg"
        try place(DownloadFixture.smallImage, at: drop)
        let expected = try Data(contentsOf: URL(fileURLWithPath: drop))
        let before = inode(drop)

        let original = try fixture.store.ingestLocal(path: drop)

        #expect(!FileManager.default.fileExists(atPath: drop))
        #expect(inode(original.storePath) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: original.storePath)) == expected)
        #expect(original.bytes == Int64(expected.count))
        #expect(original.mimeType == "image/jpeg")
        #expect(original.storePath.hasSuffix("/\(original.sha256).jpg"))
        #expect(original.sha256.count == 64)
        #expect(!original.wasAlreadyStored)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func theSameContentTwiceIsADuplicate() throws {
        let fixture = try DownloadFixture()
        try fixture.store.prepare()
        try place(DownloadFixture.smallImage, at: fixture.home.root + "/a.jpg")
        try place(DownloadFixture.smallImage, at: fixture.home.root + "/b.jpeg")

        let first = try fixture.store.ingestLocal(path: fixture.home.root + "/a.jpg")
        let second = try fixture.store.ingestLocal(path: fixture.home.root + "/b.jpeg")

        #expect(!first.wasAlreadyStored)
        #expect(second.wasAlreadyStored)
        #expect(second.storePath == first.storePath)
        #expect(!FileManager.default.fileExists(atPath: fixture.home.root + "/b.jpeg"))
    }

    @Test func aFileOnAnotherFileSystemIsCopiedAndRemoved() throws {
        // /dev/shm is a tmpfs, so a rename into the store would fail with EXDEV.
        guard FileManager.default.isWritableFile(atPath: "/dev/shm") else { return }
        let fixture = try DownloadFixture()
        try fixture.store.prepare()
        let drop = "/dev/shm/intake-store-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).jpg"
        try place(DownloadFixture.largeImage, at: drop)
        defer { try? FileManager.default.removeItem(atPath: drop) }
        let expected = try Data(contentsOf: URL(fileURLWithPath: drop))

        let original = try fixture.store.ingestLocal(path: drop)

        #expect(!FileManager.default.fileExists(atPath: drop))
        #expect(try Data(contentsOf: URL(fileURLWithPath: original.storePath)) == expected)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func contentThatIsNotAnImageStaysWhereItIs() throws {
        let fixture = try DownloadFixture()
        try fixture.store.prepare()
        let drop = fixture.home.root + "/notes.jpg"
        try "just some text, named like a photo\n".write(
            toFile: drop, atomically: true, encoding: .utf8)

        #expect {
            _ = try fixture.store.ingestLocal(path: drop)
        } throws: { error in
            (error as? StoreError)?.code == "not_an_image"
        }
        #expect(FileManager.default.fileExists(atPath: drop))
    }

    @Test func aMissingFileNamesItsPath() throws {
        let fixture = try DownloadFixture()
        try fixture.store.prepare()
        let drop = fixture.home.root + "/gone.jpg"

        #expect {
            _ = try fixture.store.ingestLocal(path: drop)
        } throws: { error in
            (error as? StoreError)?.message.contains(drop) == true
        }
    }
}
