// The download benchmark's harness: fetches every URL of a list into a fresh store through
// `Downloader`, all at once, and exits 0 only when every URL was stored. `bench/download/run`
// times it as a whole process beside curl and aria2c; it is not part of intake's interface.
//
// Usage: intake-bench-download URL_LIST HOME CONCURRENCY [--no-sync]
//
// `--no-sync` skips the syncs the store makes before an original counts as stored, to
// time the transfer engine alone beside tools that never sync; intake itself always syncs.

import Foundation
import IntakeCore

let arguments = CommandLine.arguments
let syncs = !arguments.contains("--no-sync")
guard (4...5).contains(arguments.count), let concurrency = Int(arguments[3]), concurrency > 0
else {
    FileHandle.standardError.write(
        Data("usage: intake-bench-download URL_LIST HOME N [--no-sync]\n".utf8))
    exit(64)
}
let urls = try String(contentsOfFile: arguments[1], encoding: .utf8)
    .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
let home = Home(root: arguments[2])
try FileManager.default.createDirectory(atPath: home.root, withIntermediateDirectories: true)

var settings = DownloadSettings()
// Every URL of the benchmark is on one local nginx: the per-host limit is the concurrency, as
// for curl --parallel-max and aria2c -j, and loopback must be reachable.
settings.download.concurrency = concurrency
settings.download.perHost = concurrency
settings.download.allowPrivateAddresses = true
let downloader = try Downloader(
    store: try Store(home: home, syncs: syncs), settings: settings)

let failures = await withTaskGroup(of: DownloadOutcome.self) { group in
    for (index, url) in urls.enumerated() {
        group.addTask { await downloader.fetch(url: url, taskID: "bench-\(index)") }
    }
    var failures: [DownloadFailure] = []
    for await outcome in group {
        if case .failed(let failure) = outcome { failures.append(failure) }
    }
    return failures
}
for failure in failures.prefix(5) {
    FileHandle.standardError.write(Data("\(failure)\n".utf8))
}
exit(failures.isEmpty ? 0 : 1)
