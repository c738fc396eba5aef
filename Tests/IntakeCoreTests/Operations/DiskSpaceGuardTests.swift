import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Disk space guard")
struct DiskSpaceGuardTests {
    @Test("the gate closes below the minimum free space and reopens once there is room")
    func threshold() throws {
        let folder = TemporaryFolder("intake-guard")
        let gate = PauseGate()
        let free = try DiskSpace.freeBytes(at: folder.path)
        // More than this file system has: as good as full.
        let full = DiskSpaceGuard(path: folder.path, minimumFreeBytes: free * 2 + 1, gate: gate)
        try full.check()
        #expect(gate.reason?.hasPrefix("disk full: ") == true)
        #expect(gate.reason?.contains(folder.path) == true)

        let roomy = DiskSpaceGuard(path: folder.path, minimumFreeBytes: 1, gate: gate)
        #expect(try roomy.check() > 0)
        #expect(!gate.isPaused)
    }

    @Test("a disk-full failure pauses at once; other failures and other pauses are left alone")
    func failures() throws {
        let folder = TemporaryFolder("intake-guard")
        let gate = PauseGate()
        let guarding = DiskSpaceGuard(path: folder.path, minimumFreeBytes: 1, gate: gate)
        #expect(!guarding.noteFailure(POSIXError(.EIO)))
        #expect(!gate.isPaused)
        #expect(
            guarding.noteFailure(
                StoreError.system(function: "write", path: "/srv/store/x", errno: ENOSPC)))
        #expect(gate.reason?.contains("/srv/store/x") == true)
        try guarding.check()
        #expect(!gate.isPaused)

        gate.pause(reason: "operator asked")
        try guarding.check()
        #expect(gate.reason == "operator asked")
    }
}
