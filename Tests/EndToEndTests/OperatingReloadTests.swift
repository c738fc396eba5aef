import Foundation
import Testing
import TestSupport

/// SIGHUP against the running binary: what applies at once, what waits for a restart, and a
/// broken file that changes nothing.
@Suite("End to end: SIGHUP reloads the configuration")
struct OperatingReloadTests {
    @Test("log.level applies at once, other keys are named, a broken file is refused")
    func reload() throws {
        let operating = try OperatingHome(configuration: "[log]\nlevel = \"info\"")
        try operating.start()
        let daemon = try #require(operating.process)
        let file = operating.home + "/intake.toml"
        let original = try String(contentsOfFile: file, encoding: .utf8)

        // At info, the wake-up that SIGUSR1 causes is not logged (it is a debug line).
        daemon.send(SIGUSR1)
        #expect(!daemon.waitForStderr(containing: "woken: another process", timeout: 2))

        try original.replacingOccurrences(of: "level = \"info\"", with: "level = \"debug\"")
            .replacingOccurrences(of: "connect_timeout_s = 2", with: "connect_timeout_s = 3")
            .write(toFile: file, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        #expect(daemon.waitForStderr(containing: "configuration reloaded applied=log.level"))
        #expect(
            daemon.waitForStderr(
                containing: "configuration changes wait for a restart "
                    + "keys=download.connect_timeout_s"))
        daemon.send(SIGUSR1)
        #expect(daemon.waitForStderr(containing: "woken: another process changed the queues"))

        try "[log]\nlevel = \"loud\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        daemon.send(SIGHUP)
        #expect(daemon.waitForStderr(containing: "configuration not reloaded"))

        let result = operating.stop()
        #expect(result?.status == 0, "\(result?.stderr ?? "")")
        #expect(result?.signaled == false)
    }
}
