import Foundation

/// Claims settled files: records each in `drops`, moves it into `work/`, classifies it, hands
/// it to the `DropSink`, and finally clears a URL list's file away or moves a rejected file to
/// `rejected/`. It also finishes, at start-up, whatever a killed process left halfway.
///
/// The order is what makes a claim survive SIGKILL at any moment:
///
/// 1. insert the `claiming` row (with the planned work path) and commit;
/// 2. move the file from the inbox to the work path;
/// 3. in the sink's one transaction, create the tasks and mark the row claimed;
/// 4. remove a URL list's file, or move a rejected file to `rejected/`, then record that.
///
/// After a crash a `claiming` row tells recovery everything: if the work file exists, step 2
/// happened and the drop is finished from step 3 on; if it does not but the inbox file does,
/// step 2 never happened and the row is deleted, so the file is claimed afresh like any other.
/// The file is therefore always either in the inbox and not recorded, or recorded and in
/// `work/`. Step 3 commits atomically, so a drop's tasks are created exactly once.
///
/// Not `Sendable`: it owns a database connection and runs on the inbox's thread.
final class DropClaimer {
    let home: Home
    let database: Database
    let classifier: DropClassifier
    let sink: any DropSink
    private let logger: Logger
    private let workDevice: UInt64
    /// True when some drop could not be finished and `recover()` should run again.
    private(set) var needsRecovery = false
    /// Hears of every failure to record or move a drop (the daemon pauses on a full disk).
    var failed: (any Error) -> Void = { _ in }

    /// The most drops handed to the sink in one call.
    static let batchLimit = 512

    init(
        home: Home, database: Database, classifier: DropClassifier, sink: any DropSink,
        logger: Logger
    ) throws(InboxError) {
        var status = stat()
        guard stat(home.work, &status) == 0 else {
            throw InboxError.system(function: "stat", path: home.work, errno: errno)
        }
        self.home = home
        self.database = database
        self.classifier = classifier
        self.sink = sink
        self.logger = logger
        self.workDevice = UInt64(status.st_dev)
    }

    /// Claims the files at `paths` (absolute paths in the inbox, already settled) and returns
    /// how many drops were recorded. A path that is gone by now is skipped.
    @discardableResult
    func claim(_ paths: [String]) -> Int {
        var plans: [DropLedger.Plan] = []
        var traces: Set<String> = []
        for path in paths {
            var status = stat()
            guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFDIR else { continue }
            let name = (path as NSString).lastPathComponent
            let traceID = requestedTrace(in: name, taken: traces) ?? Identifier.traceID()
            traces.insert(traceID)
            plans.append(
                DropLedger.Plan(
                    traceID: traceID, originPath: path,
                    workPath: DropMover.workPath(work: home.work, traceID: traceID, name: name),
                    method: UInt64(status.st_dev) == workDevice ? .rename : .copy,
                    sourceIdentity: DropMover.identity(of: status)))
        }
        guard !plans.isEmpty else { return 0 }
        let ids: [Int64]
        do {
            ids = try DropLedger.insertClaiming(plans, in: database)
        } catch {
            failed(error)
            logger.error("cannot record drops; they stay in the inbox", ("error", "\(error)"))
            return 0
        }
        var drops: [ClaimedDrop] = []
        for (plan, dropID) in zip(plans, ids) {
            do {
                try DropMover.move(plan.originPath, to: plan.workPath, method: plan.method)
            } catch {
                failed(error)
                if error.errno != ENOENT {
                    logger.warning(
                        "cannot move drop into work; it stays in the inbox",
                        ("path", plan.originPath), ("error", error.message))
                }
                unlink(DropMover.temporaryPath(for: plan.workPath))
                forget(dropID)
                continue
            }
            drops.append(
                classified(
                    dropID: dropID, traceID: plan.traceID,
                    originPath: plan.originPath, workPath: plan.workPath))
        }
        return record(drops)
    }

    /// The trace id an `intake add` drop's name asks for, unless another drop has it already.
    private func requestedTrace(in name: String, taken: Set<String>) -> String? {
        guard let traceID = AddedDropName.traceID(in: name), !taken.contains(traceID) else {
            return nil
        }
        let used = try? database.scalar(
            "SELECT count(*) FROM drops WHERE trace_id = ?1", [.text(traceID)])
        return used == 0 ? traceID : nil
    }

    /// Finishes every drop left halfway by an earlier run (or an earlier failure) and returns
    /// how many were handed to the sink.
    @discardableResult
    func recover() -> Int {
        needsRecovery = false
        let rows: [DropLedger.Unsettled]
        do {
            rows = try DropLedger.unsettled(in: database)
        } catch {
            logger.error("cannot read unfinished drops", ("error", "\(error)"))
            needsRecovery = true
            return 0
        }
        var drops: [ClaimedDrop] = []
        var recorded = 0
        for row in rows {
            switch row.state {
            case "claiming":
                if let drop = resumeClaim(row) { drops.append(drop) }
            case "listed":
                finishList(dropID: row.dropID, workPath: row.workPath)
            default:
                // The reason was recorded with the drop's task; classifying the same content
                // again gives it back for the `.error.json`.
                var reason = DropRejection(
                    code: "unsupported_type", message: "\(row.originPath) was rejected")
                let kind = classifier.classify(path: row.workPath, name: row.originPath)
                if case .rejected(let again) = kind { reason = again }
                finishRejection(
                    dropID: row.dropID, traceID: row.traceID, originPath: row.originPath,
                    workPath: row.workPath, rejection: reason)
            }
            if drops.count >= DropClaimer.batchLimit {
                recorded += record(drops)
                drops.removeAll()
            }
        }
        return recorded + record(drops)
    }

    /// The next step for a `claiming` row (see the type's summary for why this is safe).
    private func resumeClaim(_ row: DropLedger.Unsettled) -> ClaimedDrop? {
        // A copy across file systems that was cut short never got its final name.
        unlink(DropMover.temporaryPath(for: row.workPath))
        var status = stat()
        if lstat(row.workPath, &status) == 0 {
            // The move happened. After a copy the source may still be there, and only a source
            // that is the very file copied (same device, inode, size, mtime) is removed.
            var source = stat()
            if row.method == .copy, lstat(row.originPath, &source) == 0,
                DropMover.identity(of: source) == row.sourceIdentity
            {
                unlink(row.originPath)
            }
            logger.info(
                "finishing a drop claimed before a restart", ("trace.id", row.traceID),
                ("path", row.originPath))
            return classified(
                dropID: row.dropID, traceID: row.traceID, originPath: row.originPath,
                workPath: row.workPath)
        }
        if lstat(row.originPath, &status) != 0 {
            logger.warning(
                "a drop vanished from the inbox before it was claimed", ("trace.id", row.traceID),
                ("path", row.originPath))
        }
        // The file never left the inbox: forgetting the row lets it be claimed afresh.
        forget(row.dropID)
        return nil
    }

    private func classified(dropID: Int64, traceID: String, originPath: String, workPath: String)
        -> ClaimedDrop
    {
        let kind = classifier.classify(path: workPath, name: originPath)
        return ClaimedDrop(
            dropID: dropID, traceID: traceID, origin: DropLedger.originScheme + originPath,
            workPath: workPath, kind: kind)
    }

    /// Hands `drops` to the sink, one batch at a time; a batch that fails is retried drop by
    /// drop, so one bad drop does not hold back the others. Returns how many were recorded.
    private func record(_ drops: [ClaimedDrop]) -> Int {
        var recorded = 0
        var start = 0
        while start < drops.count {
            let batch = Array(drops[start..<min(start + DropClaimer.batchLimit, drops.count)])
            start += batch.count
            do {
                try sink.record(batch)
                recorded += batch.count
                batch.forEach(afterRecord)
            } catch {
                for drop in batch {
                    do {
                        try sink.record([drop])
                        recorded += 1
                        afterRecord(drop)
                    } catch {
                        needsRecovery = true
                        failed(error)
                        logger.error(
                            "cannot record drop; it is retried later", ("trace.id", drop.traceID),
                            ("path", drop.origin), ("error", "\(error)"))
                    }
                }
            }
        }
        return recorded
    }

    private func afterRecord(_ drop: ClaimedDrop) {
        switch drop.kind {
        case .image:
            logger.debug("drop claimed", ("trace.id", drop.traceID), ("source", drop.origin))
        case .urlList(let list):
            logger.debug(
                "URL list claimed", ("trace.id", drop.traceID), ("source", drop.origin),
                ("urls", "\(list.urls.count)"), ("invalid", "\(list.invalidLines.count)"))
            finishList(dropID: drop.dropID, workPath: drop.workPath)
        case .rejected(let rejection):
            logger.info(
                "drop rejected", ("trace.id", drop.traceID), ("source", drop.origin),
                ("error.code", rejection.code), ("error.message", rejection.message))
            finishRejection(
                dropID: drop.dropID, traceID: drop.traceID,
                originPath: String(drop.origin.dropFirst(DropLedger.originScheme.count)),
                workPath: drop.workPath, rejection: rejection)
        }
    }

    /// Removes a recorded URL list's file: its URLs are tasks now.
    private func finishList(dropID: Int64, workPath: String) {
        unlink(workPath)
        settle(dropID, state: "claimed", workPath: nil)
    }

    /// Moves a recorded rejected file to `rejected/` beside its `.error.json`.
    private func finishRejection(
        dropID: Int64, traceID: String, originPath: String, workPath: String,
        rejection: DropRejection
    ) {
        var status = stat()
        guard lstat(workPath, &status) == 0 else {
            // Moved already, just before a crash kept the row from saying so.
            settle(dropID, state: "rejected", workPath: nil)
            return
        }
        do {
            let target = try DropMover.reject(
                workPath: workPath, originPath: originPath, traceID: traceID,
                rejection: rejection, folder: home.rejected)
            settle(dropID, state: "rejected", workPath: target)
        } catch {
            needsRecovery = true
            failed(error)
            logger.error(
                "cannot move rejected drop", ("trace.id", traceID), ("path", workPath),
                ("error", error.message))
        }
    }

    private func settle(_ dropID: Int64, state: String, workPath: String?) {
        do {
            try DropLedger.settle(dropID, state: state, workPath: workPath, in: database)
        } catch {
            needsRecovery = true
            failed(error)
            logger.error("cannot update drop", ("drop.id", "\(dropID)"), ("error", "\(error)"))
        }
    }

    private func forget(_ dropID: Int64) {
        do {
            try DropLedger.forget(dropID, in: database)
        } catch {
            needsRecovery = true
            logger.error("cannot delete drop row", ("drop.id", "\(dropID)"), ("error", "\(error)"))
        }
    }
}
