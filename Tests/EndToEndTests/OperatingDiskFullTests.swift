import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// A full disk, made real with a small tmpfs as the home: intake pauses, keeps every drop,
/// and resumes once there is room.
@Suite("End to end: operating on a full disk", .serialized)
struct OperatingDiskFullTests {
    /// A tmpfs of `megabytes` mounted on a new folder, unmounted when released.
    final class SmallDisk {
        let folder = TemporaryFolder("intake-tmpfs")
        let mounted: Bool
        let refusal: String

        init(megabytes: Int) {
            let mount = Process()
            mount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            mount.arguments = [
                "mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", folder.path,
            ]
            let errors = Pipe()
            mount.standardError = errors
            do {
                try mount.run()
                mount.waitUntilExit()
                mounted = mount.terminationStatus == 0
                refusal =
                    String(data: errors.fileHandleForReading.readDataToEndOfFile(), encoding: .utf8)
                    ?? ""
            } catch {
                mounted = false
                refusal = "\(error)"
            }
        }

        deinit {
            guard mounted else { return }
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            unmount.arguments = ["umount", "-l", folder.path]
            try? unmount.run()
            unmount.waitUntilExit()
        }
    }

    @Test("a full disk pauses intake without losing a drop; freeing space resumes it")
    func pauseAndResume() throws {
        let disk = SmallDisk(megabytes: 8)
        guard disk.mounted else {
            // Mounting needs root (CAP_SYS_ADMIN); without it there is no real full disk to test.
            print("skipped: cannot mount a tmpfs as the home: \(disk.refusal)")
            return
        }
        let scratch = TemporaryFolder()
        let operating = try OperatingHome(
            folder: scratch, home: disk.folder.file("home"),
            configuration: "[files]\nmin_free_mb = 2\n")
        try operating.start()
        defer { operating.stop() }

        // Leave about 1 MB: below the 2 MB minimum, yet room for the drops to be written.
        let free = try DiskSpace.freeBytes(at: operating.home)
        let filler = disk.folder.file("filler")
        try Data(count: Int(free) - (1 << 20)).write(to: URL(fileURLWithPath: filler))
        let process = try #require(operating.process)
        #expect(process.waitForStderr(containing: "intake paused: disk full", timeout: 20))

        let total = 40
        let images = try TinyJPEG.make(total, in: scratch.file("images"))
        for (index, image) in images.enumerated() {
            let staged = operating.home + "/.drop-\(index).jpg"
            try FileManager.default.copyItem(atPath: image, toPath: staged)
            rename(staged, operating.home + "/inbox/photo-\(index).jpg")
        }
        // Paused: the drops stay where they are for a while (checked over two gate checks).
        let until = Date().addingTimeInterval(4)
        while Date() < until {
            #expect(operating.files(under: operating.home + "/inbox").count == total)
            usleep(200_000)
        }
        let metrics = try String(contentsOfFile: operating.home + "/metrics.prom", encoding: .utf8)
        #expect(metrics.contains("\nintake_paused 1\n"))
        #expect(try operating.database().scalar("SELECT count(*) FROM tasks") == 0)

        try FileManager.default.removeItem(atPath: filler)
        #expect(
            process.waitForStderr(containing: "intake resumed: disk space available", timeout: 20))
        let waited = try operating.run(["wait", "--timeout", "60"], timeout: 90)
        #expect(waited.status == 0, "\(waited.stdout)")
        let stopped = operating.stop()
        #expect(stopped?.status == 0)
        let log = stopped?.stderr ?? ""
        #expect(log.components(separatedBy: "intake paused: disk full").count == 2)
        #expect(log.components(separatedBy: "intake resumed").count == 2)
        try operating.expectFinished(tasks: total, completed: total)
    }
}
