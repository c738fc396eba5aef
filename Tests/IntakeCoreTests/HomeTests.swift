import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Home folder")
struct HomeTests {
    @Test("--home, then INTAKE_HOME, then XDG_DATA_HOME, then ~/.local/share")
    func resolution() {
        #expect(Home.resolve(option: "/a/b/", environment: ["INTAKE_HOME": "/c"]).root == "/a/b")
        #expect(Home.resolve(option: nil, environment: ["INTAKE_HOME": "/c"]).root == "/c")
        #expect(
            Home.resolve(option: nil, environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]).root
                == "/x/intake")
        #expect(
            Home.resolve(option: nil, environment: ["HOME": "/h"]).root
                == "/h/.local/share/intake")
    }

    @Test("the layout is created with the folder mode, and again without harm")
    func layout() throws {
        let folder = TemporaryFolder()
        let home = Home(root: folder.file("home"))
        let created = try home.createLayout(folderMode: 0o700)
        #expect(created == home.folders)
        for path in home.folders {
            var status = stat()
            #expect(stat(path, &status) == 0)
            #expect(status.st_mode & 0o777 == 0o700, "\(path)")
        }
        #expect(try home.createLayout(folderMode: 0o700).isEmpty)
    }

    @Test("a file where a folder belongs is an error naming it")
    func blocked() throws {
        let folder = TemporaryFolder()
        let home = Home(root: folder.file("home"))
        try FileManager.default.createDirectory(
            atPath: home.root, withIntermediateDirectories: true)
        try folder.write("home/inbox", "not a folder")
        #expect {
            try home.createLayout(folderMode: 0o700)
        } throws: { error in
            (error as? HomeError)?.message.contains(home.inbox) ?? false
        }
    }

    @Test("the lock is exclusive, names its holder, and is free again when released")
    func lock() throws {
        let folder = TemporaryFolder()
        let path = folder.file("intake.lock")
        #expect(HomeLock.holder(path: path) == nil)
        var first: HomeLock? = try HomeLock(path: path, fileMode: 0o600)
        #expect(HomeLock.holder(path: path) == .init(pid: getpid(), ready: false))
        first?.markReady()
        #expect(HomeLock.holder(path: path) == .init(pid: getpid(), ready: true))
        #expect {
            try HomeLock(path: path, fileMode: 0o600)
        } throws: { error in
            guard case .locked(_, let pid) = error as? HomeError else { return false }
            return pid == getpid()
        }
        withExtendedLifetime(first) {}
        first = nil
        #expect(HomeLock.holder(path: path) == nil)
        _ = try HomeLock(path: path, fileMode: 0o600)
    }
}
