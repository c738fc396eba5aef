import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Configuration reload")
struct ConfigurationReloadTests {
    @Test("changed keys are named as table.key, in the file's order")
    func changedKeys() {
        var new = Configuration()
        new.download.concurrency = 3
        new.log.level = .debug
        new.inbox.ignore = ["*.part"]
        #expect(
            ConfigurationLoader.changedKeys(from: Configuration(), to: new)
                == ["inbox.ignore", "download.concurrency", "log.level"])
        #expect(ConfigurationLoader.changedKeys(from: new, to: new).isEmpty)
    }

    @Test("live keys apply to the running parts; the others wait for a restart, at every reload")
    func applies() throws {
        let folder = TemporaryFolder()
        let log = CapturedLog()
        log.logger.setLevel(.info)
        let inspector = try ImageInspector(settings: Configuration().analysis)
        let runner = PluginRunner(
            home: Home(root: folder.path), spool: Spool(home: Home(root: folder.path)),
            settings: .init())
        let file = folder.file("intake.toml")
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        let reload = reloading(file, log: log, inspector: inspector, plugins: runner)

        #expect(reload.reload() == .init(applied: [], needRestart: []))
        try """
        [download]
        concurrency = 3
        [analysis]
        command = ["/bin/true"]
        command_timeout_s = 5
        max_pixels = 1000
        thumbnail_px = 128
        [plugins]
        timeout_s = 7
        max_attempts = 2
        [log]
        level = "debug"
        """.write(toFile: file, atomically: true, encoding: .utf8)
        let outcome = try #require(reload.reload())
        #expect(outcome.applied.sorted() == ConfigurationReload.liveKeys.sorted())
        #expect(outcome.needRestart == ["download.concurrency"])
        #expect(log.logger.level == .debug)
        #expect(inspector.settings.command == ["/bin/true"])
        #expect(inspector.settings.commandTimeoutSeconds == 5)
        #expect(inspector.settings.maxPixels == 1000)
        #expect(inspector.settings.thumbnailPixels == 128)
        #expect(reload.current.plugins.timeoutSeconds == 7)
        #expect(reload.current.download.concurrency == 8, "a restart key is not applied")

        // Read again unchanged: nothing more to apply, the restart key still waits.
        #expect(reload.reload() == .init(applied: [], needRestart: ["download.concurrency"]))
        let text = log.text
        #expect(text.contains("configuration reloaded: nothing changed"), "\(text)")
        let applied = "configuration reloaded applied=analysis.thumbnail_px,analysis.max_pixels"
        #expect(text.contains(applied), "\(text)")
        #expect(text.contains("configuration changes wait for a restart keys=download.concurrency"))
    }

    /// A reload that starts from the defaults and reads `file` each time.
    private func reloading(
        _ file: String, log: CapturedLog, inspector: ImageInspector?, plugins: PluginRunner?
    ) -> ConfigurationReload {
        ConfigurationReload(
            current: Configuration(),
            read: { try ConfigurationLoader.load(file: file, mustExist: true) }, logger: log.logger,
            inspector: inspector, plugins: plugins)
    }

    @Test("a file with an error changes nothing and says why")
    func badFile() throws {
        let folder = TemporaryFolder()
        let log = CapturedLog()
        let file = folder.file("intake.toml")
        try "[log]\nlevel = \"loud\"\n".write(toFile: file, atomically: true, encoding: .utf8)
        let reload = reloading(file, log: log, inspector: nil, plugins: nil)
        #expect(reload.reload() == nil)
        #expect(reload.current == Configuration())
        #expect(log.logger.level == .debug)
        let text = log.text
        #expect(text.contains("configuration not reloaded"), "\(text)")
        #expect(text.contains("log.level"), "\(text)")
    }
}
