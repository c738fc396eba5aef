import Foundation

/// `intake add`: queues URLs and files by writing drops into the inbox, whole and at once, so
/// the inbox takes everything in one way.
enum AddCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "add", synopsis: "[URL | FILE]...",
        summary: "queue URLs or files without touching the inbox by hand",
        discussion: """
            URLs given as arguments, and the lines of every --file list, become one URL-list
            drop; each FILE becomes a drop of its own (hard-linked into the inbox when it is on
            the same file system, copied otherwise; the file itself stays where it is). Each
            drop is written under a hidden name and renamed into the inbox when complete.
            Prints one trace id per drop. Without a running daemon the drops wait in the inbox.
            """,
        options: [
            .value(
                "file", "LIST", "a file of URLs, one a line ('-' reads standard input)",
                repeatable: true, short: "f"),
            .json,
        ],
        positionals: 0...100_000)

    /// One drop written into the inbox.
    struct Written: Encodable {
        let traceId: String
        let path: String
        /// `urls` or `file`.
        let kind: String
        /// URLs in a list drop, 1 for a file.
        let count: Int
    }

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let arguments = invocation.arguments
        var urls: [String] = []
        var files: [String] = []
        for argument in arguments.positionals {
            let lower = argument.lowercased()
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
                urls.append(argument)
            } else if FileManager.default.fileExists(atPath: argument) {
                files.append(argument)
            } else {
                throw UsageError(
                    "'\(argument)' is neither an http(s) URL nor an existing file",
                    command: spec.name)
            }
        }
        let lists = arguments.values("file")
        guard !urls.isEmpty || !files.isEmpty || !lists.isEmpty else {
            throw UsageError("nothing to add: give URLs, files or --file LIST", command: spec.name)
        }
        let configuration = try invocation.loadConfiguration()
        let home = invocation.home
        try home.createLayout(folderMode: configuration.files.folderMode)
        let writer = InboxWriter(inbox: home.inbox, fileMode: configuration.files.fileMode)
        let progress = invocation.output.isTerminal && !invocation.json
        var written: [Written] = []
        if !urls.isEmpty || !lists.isEmpty {
            let (path, traceID, count) = try writer.writeList(
                urls: urls, lists: lists,
                progress: progress ? { invocation.output.write("\rwriting: \($0) URLs") } : nil)
            if progress { invocation.output.write("\r\u{1B}[K") }
            written.append(Written(traceId: traceID, path: path, kind: "urls", count: count))
        }
        for file in files {
            let (path, traceID) = try writer.writeFile(file)
            written.append(Written(traceId: traceID, path: path, kind: "file", count: 1))
        }
        if invocation.json {
            try invocation.output.json(written)
        } else {
            for drop in written {
                let what = drop.kind == "urls" ? "\(drop.count) URLs" : drop.path
                invocation.output.line("\(drop.traceId)  \(what)")
            }
        }
        if HomeLock.holder(path: home.lock) == nil {
            FileHandle.standardError.write(
                Data(
                    "intake: no daemon is running on \(home.root); the drops wait in the inbox\n"
                        .utf8))
        }
        return .success
    }
}
