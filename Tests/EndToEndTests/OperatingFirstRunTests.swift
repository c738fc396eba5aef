import Foundation
import Testing
import TestSupport

/// What a new user does after cloning: `make run` (`intake run --home ./var` from the
/// repository's folder), the sample drop `Samples/drops/sample.jpg` as the README's
/// walkthrough drops it, Ctrl-C.
@Suite("End to end: operating as make run does")
struct OperatingFirstRunTests {
    @Test("intake run --home ./var takes the sample drop and stops at SIGINT with 0")
    func makeRun() throws {
        let folder = TemporaryFolder()
        let checkout = folder.file("checkout")
        try FileManager.default.createDirectory(
            atPath: checkout, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Paths.repository + "/Samples", toPath: checkout + "/Samples")
        // The same command line as the Makefile's `run` target, from the checkout's folder;
        // `exec` makes intake the process that gets the signal, as in a terminal.
        let daemon = try IntakeProcess(
            ["-c", "cd '\(checkout)' && exec '\(Paths.intake)' run --home ./var"],
            executable: "/bin/sh")
        #expect(daemon.waitForStderr(containing: "daemon ready", timeout: 60))
        let home = checkout + "/var"

        let sample = checkout + "/Samples/drops/sample.jpg"
        try FileManager.default.copyItem(atPath: sample, toPath: home + "/inbox/sample.jpg")
        let wanted = [
            "image.downloaded", "image.metadata_extracted", "image.analyzed", "task.completed",
        ]
        let deadline = Date().addingTimeInterval(60)
        var seen: Set<String> = []
        while Date() < deadline && !seen.isSuperset(of: wanted) {
            let days =
                (try? FileManager.default.contentsOfDirectory(atPath: home + "/spool/events"))
                ?? []
            for day in days {
                let names =
                    (try? FileManager.default.contentsOfDirectory(
                        atPath: home + "/spool/events/" + day)) ?? []
                for name in names {
                    for type in wanted where name.contains(".\(type).") { seen.insert(type) }
                }
            }
            usleep(50_000)
        }
        #expect(seen.isSuperset(of: wanted), "events seen: \(seen.sorted())")

        daemon.send(SIGINT)
        let result = daemon.waitForExit(timeout: 45)
        #expect(result.status == 0)
        #expect(result.signaled == false)
        #expect(result.stderr.contains("daemon stopping signal=SIGINT"))
        #expect(result.stderr.contains("daemon stopped"))
    }
}
