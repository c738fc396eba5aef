import Foundation
import TestSupport
import IntakeCore
import Testing

/// The downloader against real servers on 127.0.0.1: nginx for plain files, ranges and
/// keep-alive, and the scripted fault server for everything that goes wrong.
@Suite struct DownloaderTests {
    /// The stored original of `outcome`, or a recorded test failure.
    private func expectStored(_ outcome: DownloadOutcome) -> DownloadedOriginal? {
        guard case .stored(let downloaded) = outcome else {
            Issue.record("expected a stored original, got \(outcome)")
            return nil
        }
        return downloaded
    }

    /// The failure of `outcome`, or a recorded test failure.
    private func expectFailure(_ outcome: DownloadOutcome) -> DownloadFailure? {
        guard case .failed(let failure) = outcome else {
            Issue.record("expected a failure, got \(outcome)")
            return nil
        }
        return failure
    }

    /// The SHA-256 of `path` according to coreutils' `sha256sum`.
    private func sha256sum(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        process.arguments = [path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init)
            ?? ""
    }

    @Test func storesAFileServedByNginxAndRecognisesItAgain() async throws {
        let fixture = try DownloadFixture()
        let nginx = try NginxServer(root: fixture.served, folder: fixture.folder)
        let downloader = try fixture.downloader()
        let url = nginx.url("/\(DownloadFixture.smallImage)")

        let first = expectStored(await downloader.fetch(url: url, taskID: "task-1"))
        let second = expectStored(await downloader.fetch(url: url, taskID: "task-2"))

        let expected = try fixture.servedBytes(DownloadFixture.smallImage)
        let original = try #require(first?.original)
        #expect(original.bytes == Int64(expected.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: original.storePath)) == expected)
        #expect(original.sha256 == (try sha256sum(fixture.served + "/Canon_40D.jpg")))
        let prefix =
            "\(fixture.store.originals)/\(original.sha256.prefix(2))/"
            + "\(original.sha256.dropFirst(2).prefix(2))/"
        #expect(original.storePath == prefix + original.sha256 + ".jpg")
        #expect(original.mimeType == "image/jpeg")
        #expect(!original.wasAlreadyStored)
        #expect(first?.httpStatus == 200)
        #expect(first?.finalURL == url)
        #expect(second?.original.wasAlreadyStored == true)
        #expect(second?.original.storePath == original.storePath)
        var status = stat()
        #expect(stat(original.storePath, &status) == 0 && status.st_mode & 0o777 == 0o600)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func storesABodyWithoutContentLength() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()

        let outcome = await downloader.fetch(
            url: server.url("/image-no-length?file=\(DownloadFixture.largeImage)"), taskID: "t")

        let original = try #require(expectStored(outcome)?.original)
        let expected = try fixture.servedBytes(DownloadFixture.largeImage)
        #expect(try Data(contentsOf: URL(fileURLWithPath: original.storePath)) == expected)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func aMissingFileOnNginxIsPermanent() async throws {
        let fixture = try DownloadFixture()
        let nginx = try NginxServer(root: fixture.served, folder: fixture.folder)
        let downloader = try fixture.downloader()
        let url = nginx.url("/missing.jpg")

        let failure = try #require(expectFailure(await downloader.fetch(url: url, taskID: "t")))

        #expect(failure.code == "http_404")
        #expect(!failure.transient)
        #expect(failure.message.contains(url))
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test(arguments: [
        (403, false), (404, false), (410, false), (408, true), (500, true), (502, true),
    ])
    func statusesAreClassified(status: Int, transient: Bool) async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()

        let outcome = await downloader.fetch(url: server.url("/status/\(status)"), taskID: "t")

        let failure = try #require(expectFailure(outcome))
        #expect(failure.code == "http_\(status)")
        #expect(failure.transient == transient)
        #expect(failure.retryAfter == nil)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func aServerErrorIsRetriedAndThenSucceeds() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()
        let url = server.url("/flaky?file=\(DownloadFixture.smallImage)")

        let first = try #require(expectFailure(await downloader.fetch(url: url, taskID: "t")))
        let second = expectStored(await downloader.fetch(url: url, taskID: "t"))

        #expect(first.code == "http_500" && first.transient)
        #expect(second?.original.bytes == Int64(try fixture.servedBytes("Canon_40D.jpg").count))
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test(arguments: [
        ("/retry-after-seconds", "http_503", 120.0),
        ("/retry-after-date", "http_503", 3600.0),
        ("/too-many", "http_429", 7.0),
    ])
    func retryAfterSetsTheEarliestRetry(path: String, code: String, seconds: Double)
        async throws
    {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()
        let before = Date()

        let failure = try #require(
            expectFailure(await downloader.fetch(url: server.url(path), taskID: "t")))

        let after = Date()
        #expect(failure.code == code)
        #expect(failure.transient)
        let retryAfter = try #require(failure.retryAfter)
        // An HTTP date has whole seconds, hence the one second of slack.
        #expect(retryAfter >= before.addingTimeInterval(seconds - 1))
        #expect(retryAfter <= after.addingTimeInterval(seconds + 1))
    }

    @Test func followsARedirectChainWithinTheLimit() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader { $0.download.maxRedirects = 5 }

        let outcome = await downloader.fetch(
            url: server.url("/redirect/4?file=\(DownloadFixture.smallImage)"), taskID: "t")

        let downloaded = try #require(expectStored(outcome))
        #expect(downloaded.finalURL == server.url("/redirect/0?file=Canon_40D.jpg"))
        #expect(downloaded.original.mimeType == "image/jpeg")
    }

    @Test(arguments: ["/redirect/6?file=Canon_40D.jpg", "/loop"])
    func tooManyRedirectsArePermanent(path: String) async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader { $0.download.maxRedirects = 5 }

        let failure = try #require(
            expectFailure(await downloader.fetch(url: server.url(path), taskID: "t")))

        #expect(failure.code == "too_many_redirects")
        #expect(!failure.transient)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func aRedirectToAFileURLIsRefused() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()

        let failure = try #require(
            expectFailure(await downloader.fetch(url: server.url("/to-file"), taskID: "t")))

        #expect(failure.code == "blocked_address")
        #expect(!failure.transient)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func aRedirectToABlockedAddressIsRefusedBeforeConnecting() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader {
            $0.download.allowPrivateAddresses = false
            $0.exemptAddresses = ["127.0.0.1"]
        }

        let direct = await downloader.fetch(
            url: server.url("/image?file=\(DownloadFixture.smallImage)"), taskID: "a")
        let redirected = await downloader.fetch(
            url: server.url("/to-blocked?file=\(DownloadFixture.smallImage)"), taskID: "b")

        #expect(expectStored(direct) != nil)
        let failure = try #require(expectFailure(redirected))
        #expect(failure.code == "blocked_address")
        #expect(failure.message.contains("127.0.0.2"))
        #expect(!failure.transient)
        // The server saw the direct request and the redirecting one, never one on 127.0.0.2.
        #expect(try server.stats()["requests"] == 2)
    }

    @Test(arguments: ["localhost", "127.0.0.1", "[::1]", "0.0.0.0"])
    func aHostResolvingToAPrivateAddressIsRefused(host: String) async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader { $0.download.allowPrivateAddresses = false }

        let outcome = await downloader.fetch(
            url: "http://\(host):\(server.port)/image?file=Canon_40D.jpg", taskID: "t")

        let failure = try #require(expectFailure(outcome))
        #expect(failure.code == "blocked_address")
        #expect(failure.message.contains("allow_private_addresses"))
        #expect(try server.stats()["requests"] == 0)
    }

    @Test(arguments: ["/big?bytes=300000", "/big-no-length?bytes=300000"])
    func aBodyLargerThanTheLimitIsRefused(path: String) async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader { $0.download.maxBytes = 100_000 }

        let failure = try #require(
            expectFailure(await downloader.fetch(url: server.url(path), taskID: "t")))

        #expect(failure.code == "too_large")
        #expect(!failure.transient)
        #expect(failure.message.contains("100000"))
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func aBodyCutOffHalfWayIsResumedWithRange() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()
        let url = server.url("/drop?key=resume&file=\(DownloadFixture.largeImage)")
        let expected = try fixture.servedBytes(DownloadFixture.largeImage)

        let first = try #require(expectFailure(await downloader.fetch(url: url, taskID: "task-r")))
        let kept = fixture.temporaryEntries().sorted()
        let second = try #require(expectStored(await downloader.fetch(url: url, taskID: "task-r")))

        #expect(first.code == "network_error" && first.transient)
        #expect(kept == ["download-task-r.part", "download-task-r.resume"])
        #expect(second.httpStatus == 206)
        #expect(second.resumedFromBytes == Int64(expected.count / 2))
        let storedBytes = try Data(contentsOf: URL(fileURLWithPath: second.original.storePath))
        #expect(storedBytes == expected)
        #expect(
            second.original.sha256
                == (try sha256sum(fixture.served + "/Reconyx_HC500_Hyperfire.jpg")))
        let headers = try server.rangeHeaders(key: "resume")
        #expect(headers.count == 2)
        #expect(headers.last?["range"] == "bytes=\(expected.count / 2)-")
        #expect(headers.last?["ifRange"] == "\"v1-\(expected.count)\"")
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func aServerIgnoringRangeGivesTheSameBytes() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()
        let url = server.url("/drop-ignore-range?key=ignore&file=\(DownloadFixture.largeImage)")
        let expected = try fixture.servedBytes(DownloadFixture.largeImage)

        let first = try #require(expectFailure(await downloader.fetch(url: url, taskID: "task-i")))
        let second = try #require(expectStored(await downloader.fetch(url: url, taskID: "task-i")))

        #expect(first.transient)
        #expect(second.httpStatus == 200)
        #expect(second.resumedFromBytes == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: second.original.storePath)) == expected)
        #expect(try server.rangeHeaders(key: "ignore").last?["range"] != nil)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func aThrottledNginxTransferIsResumedUntilComplete() async throws {
        let fixture = try DownloadFixture()
        let nginx = try NginxServer(root: fixture.served, folder: fixture.folder)
        let downloader = try fixture.downloader {
            $0.download.lowSpeedBytesPerSecond = 16_000
            $0.download.lowSpeedSeconds = 1
        }
        let url = nginx.url("/throttled/\(DownloadFixture.largeImage)")
        let expected = try fixture.servedBytes(DownloadFixture.largeImage)

        var failures: [DownloadFailure] = []
        var result: DownloadedOriginal?
        for _ in 0..<8 {
            switch await downloader.fetch(url: url, taskID: "throttled") {
            case .stored(let downloaded): result = downloaded
            case .failed(let failure): failures.append(failure)
            }
            if result != nil { break }
        }

        let downloaded = try #require(result)
        #expect(failures.count >= 2)
        #expect(failures.allSatisfy { $0.code == "timeout" && $0.transient })
        #expect(downloaded.httpStatus == 206)
        #expect(downloaded.resumedFromBytes > 160 * 1024)
        let storedBytes = try Data(contentsOf: URL(fileURLWithPath: downloaded.original.storePath))
        #expect(storedBytes == expected)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test(arguments: ["/trickle", "/slow-header"])
    func aServerTooSlowTimesOut(path: String) async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader {
            $0.download.lowSpeedBytesPerSecond = 100
            $0.download.lowSpeedSeconds = 1
        }

        let failure = try #require(
            expectFailure(await downloader.fetch(url: server.url(path), taskID: "t")))

        #expect(failure.code == "timeout")
        #expect(failure.transient)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test(arguments: [("/html", "text/html"), ("/pdf", "application/pdf")])
    func contentThatIsNotAnImageIsRefused(path: String, mimeType: String) async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()

        let failure = try #require(
            expectFailure(await downloader.fetch(url: server.url(path), taskID: "t")))

        #expect(failure.code == "not_an_image")
        #expect(failure.message.contains(mimeType))
        #expect(!failure.transient)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test(arguments: ["ftp://example.com/a.jpg", "file:///etc/passwd", "not a url", "http://"])
    func aURLThatIsNotHTTPIsInvalid(url: String) async throws {
        let fixture = try DownloadFixture()
        let downloader = try fixture.downloader()

        let failure = try #require(expectFailure(await downloader.fetch(url: url, taskID: "t")))

        #expect(failure.code == "invalid_url")
        #expect(!failure.transient)
    }

    @Test func aThousandURLsOnOneHostKeepThePerHostLimit() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader {
            $0.download.concurrency = 8
            $0.download.perHost = 2
        }

        let outcomes = await withTaskGroup(of: DownloadOutcome.self) { group in
            for index in 0..<1000 {
                let url = server.url("/paced?file=\(DownloadFixture.smallImage)&n=\(index)")
                group.addTask { await downloader.fetch(url: url, taskID: "task-\(index)") }
            }
            var outcomes: [DownloadOutcome] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }

        let originals = outcomes.compactMap { outcome -> StoredOriginal? in
            if case .stored(let downloaded) = outcome { return downloaded.original }
            return nil
        }
        #expect(originals.count == 1000)
        #expect(originals.filter { !$0.wasAlreadyStored }.count == 1)
        let stats = try server.stats()
        #expect(stats["requests"] == 1000)
        #expect(stats["maxInFlight"] == 2)
        #expect((stats["maxConnections"] ?? 0) <= 2)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func discardPartialRemovesWhatAnAttemptKept() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader()
        let url = server.url("/drop?key=discard&file=\(DownloadFixture.largeImage)")

        _ = await downloader.fetch(url: url, taskID: "task-d")
        let kept = fixture.temporaryEntries().count
        downloader.discardPartial(taskID: "task-d")

        #expect(kept == 2)
        #expect(fixture.temporaryEntries().isEmpty)
    }

    @Test func cancellingAFetchEndsItAsCancelled() async throws {
        let fixture = try DownloadFixture()
        let server = try FaultServer(root: fixture.served)
        let downloader = try fixture.downloader { $0.download.lowSpeedSeconds = 60 }
        let url = server.url("/slow-header")

        let task = Task { await downloader.fetch(url: url, taskID: "t") }
        let deadline = Date().addingTimeInterval(10)
        while try server.stats()["inFlight"] == 0 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        task.cancel()
        let failure = try #require(expectFailure(await task.value))

        #expect(failure.code == "cancelled")
        #expect(failure.transient)
        #expect(fixture.temporaryEntries().isEmpty)
    }
}
