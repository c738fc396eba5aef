import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Disk space")
struct DiskSpaceTests {
    @Test("free bytes of a folder agree with df's available space")
    func freeBytes() throws {
        let folder = TemporaryFolder("intake-disk")
        let free = try DiskSpace.freeBytes(at: folder.path)
        let df = try run("/bin/df", ["--output=avail", "-B1", folder.path])
        let reported = try #require(UInt64(df.stdout.split(separator: "\n").last ?? ""))
        // Other processes write meanwhile: allow 64 MiB of drift.
        let drift = free > reported ? free - reported : reported - free
        #expect(drift < 64 << 20, "statvfs \(free), df \(reported)")
        #expect(free > 0)
    }

    @Test("a missing path gives disk_unreadable naming statvfs and the path")
    func missingPath() {
        let error = #expect(throws: OperationsError.self) {
            try DiskSpace.freeBytes(at: "/nonexistent/intake-disk")
        }
        #expect(error?.code == "disk_unreadable")
        #expect(error?.message.hasPrefix("statvfs /nonexistent/intake-disk") == true)
    }

    @Test("ENOSPC, EDQUOT and SQLITE_FULL count as a full disk; other failures do not")
    func classifier() {
        #expect(
            DiskSpace.isDiskFull(
                OperationsError.system(function: "write", path: "/x", errno: ENOSPC)))
        #expect(
            DiskSpace.isDiskFull(StoreError.system(function: "write", path: "/x", errno: EDQUOT)))
        #expect(
            DiskSpace.isDiskFull(
                DatabaseError(resultCode: 13, detail: "full", function: "sqlite3_step")))
        #expect(DiskSpace.isDiskFull(POSIXError(.ENOSPC)))
        #expect(DiskSpace.isDiskFull(POSIXError(.EDQUOT)))
        #expect(DiskSpace.isDiskFull(NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))))
        #expect(DiskSpace.isDiskFull(CocoaError(.fileWriteOutOfSpace)))
        #expect(DiskSpace.isDiskFull(errno: EDQUOT))

        #expect(
            !DiskSpace.isDiskFull(
                OperationsError.system(function: "write", path: "/x", errno: EACCES)))
        #expect(
            !DiskSpace.isDiskFull(
                DatabaseError(resultCode: 5, detail: "busy", function: "sqlite3_step")))
        #expect(!DiskSpace.isDiskFull(POSIXError(.EIO)))
        #expect(!DiskSpace.isDiskFull(CocoaError(.fileNoSuchFile)))
        #expect(!DiskSpace.isDiskFull(errno: ENOENT))
    }

    @Test("a real write onto a full device is classified as disk full")
    func realFullDevice() throws {
        // /dev/full answers every write with ENOSPC (null(4)).
        let descriptor = open("/dev/full", O_WRONLY | O_CLOEXEC)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let byte: [UInt8] = [1]
        #expect(write(descriptor, byte, 1) == -1)
        let error = OperationsError.system(function: "write", path: "/dev/full", errno: errno)
        #expect(error.code == "disk_full")
        #expect(DiskSpace.isDiskFull(error))
    }
}
