import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("etc/: systemd unit and sysctl settings")
struct UnitFileTests {
    static let unit = Paths.repository + "/etc/intake.service"
    static let sysctl = Paths.repository + "/etc/sysctl.d/60-intake.conf"
    static let analyze = "/usr/bin/systemd-analyze"

    @Test(
        "systemd-analyze verify accepts the unit, with ExecStart pointing at the built intake",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: UnitFileTests.analyze),
            "needs systemd-analyze (Debian package systemd, in the Makefile's DEB_PACKAGES)"))
    func verify() throws {
        // verify(1) checks that ExecStart's program exists and is executable, so the copy
        // points at the intake this build made; every other line is the unit as shipped.
        let binary = Paths.intake
        try #require(
            FileManager.default.isExecutableFile(atPath: binary),
            "build intake first (swift build --build-tests builds it)")
        let folder = TemporaryFolder("intake-unit")
        let shipped = try String(contentsOfFile: UnitFileTests.unit, encoding: .utf8)
        #expect(shipped.contains("\nExecStart=/usr/local/bin/intake run\n"))
        let copy = shipped.replacingOccurrences(
            of: "\nExecStart=/usr/local/bin/intake run\n", with: "\nExecStart=\(binary) run\n")
        let path = try folder.write("intake.service", copy)

        let result = try run(UnitFileTests.analyze, ["verify", path], in: folder.path)

        #expect(result.status == 0, "\(result.stderr)")
        // verify only warns (exit 0) about unknown keys and bad values: any line is a defect.
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        #expect(result.stdout.isEmpty, "\(result.stdout)")
    }

    @Test(
        "systemd-analyze verify would catch a bad line: the check is not vacuous",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: UnitFileTests.analyze),
            "needs systemd-analyze (Debian package systemd, in the Makefile's DEB_PACKAGES)"))
    func verifyCatchesDefects() throws {
        let folder = TemporaryFolder("intake-unit")
        let shipped = try String(contentsOfFile: UnitFileTests.unit, encoding: .utf8)
        let broken = shipped.replacingOccurrences(
            of: "ProtectSystem=strict", with: "ProtectSystem=very")
        let path = try folder.write("intake.service", broken)

        let result = try run(UnitFileTests.analyze, ["verify", path], in: folder.path)

        #expect(result.stderr.contains("ProtectSystem") || result.stderr.contains("protect system"))
        #expect(result.stderr.contains("/usr/local/bin/intake") || result.status != 0)
    }

    @Test("the unit is Type=notify, runs as intake in /var/lib/intake, and is hardened")
    func settings() throws {
        let lines = try String(contentsOfFile: UnitFileTests.unit, encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
        for expected in [
            "Type=notify", "User=intake", "DynamicUser=no", "NoNewPrivileges=yes",
            "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
            "ReadWritePaths=/var/lib/intake", "StateDirectory=intake",
            "Environment=INTAKE_HOME=/var/lib/intake", "ExecStart=/usr/local/bin/intake run",
            "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure",
        ] {
            #expect(lines.contains(expected), "missing \(expected)")
        }
        #expect(lines.contains { $0.hasPrefix("RestartSec=") })
        #expect(lines.contains { $0.hasPrefix("TimeoutStopSec=") })
    }

    @Test("every sysctl key exists on this kernel, and each value raises the usual default")
    func sysctlSettings() throws {
        let text = try String(contentsOfFile: UnitFileTests.sysctl, encoding: .utf8)
        var settings: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "=").map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(parts.count == 2, "\(line)")
            settings[parts[0]] = Int(parts[1])
        }
        #expect(
            settings == [
                "fs.inotify.max_user_watches": 524_288, "fs.inotify.max_queued_events": 131_072,
                "fs.inotify.max_user_instances": 1_024,
            ])
        for key in settings.keys {
            let file = "/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")
            let current = try String(contentsOfFile: file, encoding: .utf8)
            #expect(Int(current.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "\(key)")
        }
    }
}
