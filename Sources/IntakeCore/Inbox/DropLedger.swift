/// The inbox's rows in `drops`: the claim states of schema version 2 and the statements that
/// move a drop through them.
///
/// States: `claiming` (the row exists, the file may still be in the inbox), then, in the sink's
/// transaction, `claimed` (an image: its file in `work/` belongs to the coordinator now),
/// `listed` (a URL list whose file is still to be removed) or `rejecting` (a rejected file
/// still to be moved to `rejected/`); `listed` ends as `claimed`, `rejecting` as `rejected`.
public enum DropLedger {
    /// A drop about to be claimed.
    struct Plan {
        let traceID: String
        /// The absolute path at which the file was dropped.
        let originPath: String
        let workPath: String
        let method: DropMover.Method
        let sourceIdentity: String
    }

    /// A row still needing the inbox's attention.
    struct Unsettled: Equatable {
        let dropID: Int64
        let traceID: String
        let originPath: String
        let workPath: String
        let state: String
        let kind: String
        let method: DropMover.Method
        let sourceIdentity: String
    }

    static let originScheme = "file://"

    /// Inserts one `claiming` row per plan, all in one committed transaction, and returns their
    /// ids in the plans' order. The files are still in the inbox.
    static func insertClaiming(_ plans: [Plan], in database: Database) throws -> [Int64] {
        try database.transaction {
            var ids: [Int64] = []
            for plan in plans {
                try database.run(
                    """
                    INSERT INTO drops (trace_id, origin, kind, work_path, created_at, state,
                        claim_method, source_identity)
                    VALUES (?1, ?2, 'pending', ?3, ?4, 'claiming', ?5, ?6)
                    """,
                    [
                        .text(plan.traceID), .text(originScheme + plan.originPath),
                        .text(plan.workPath), .integer(Clock.nowMillis()),
                        .text(plan.method.rawValue), .text(plan.sourceIdentity),
                    ])
                ids.append(database.lastInsertRowID)
            }
            return ids
        }
    }

    /// Marks `drop` claimed with its kind. A `DropSink` calls this in the same transaction in
    /// which it creates the drop's tasks. Throws when the drop is not `claiming` (it was
    /// recorded already, or its row is gone), so a drop never becomes tasks twice.
    public static func markClaimed(_ drop: ClaimedDrop, in database: Database) throws {
        let next: String
        switch drop.kind {
        case .image: next = "claimed"
        case .urlList: next = "listed"
        case .rejected: next = "rejecting"
        }
        try database.run(
            "UPDATE drops SET state = ?1, kind = ?2 WHERE id = ?3 AND state = 'claiming'",
            [.text(next), .text(drop.kindName), .integer(drop.dropID)])
        guard database.changes == 1 else {
            throw DatabaseError(
                resultCode: 0,
                detail: "drop \(drop.dropID) (trace \(drop.traceID)) is not being claimed; "
                    + "it was recorded already or its row is gone",
                function: "DropLedger.markClaimed")
        }
    }

    /// Deletes the row of a drop whose file never left the inbox.
    static func forget(_ dropID: Int64, in database: Database) throws {
        try database.run(
            "DELETE FROM drops WHERE id = ?1 AND state = 'claiming'", [.integer(dropID)])
    }

    /// Ends a `listed` or `rejecting` drop: `claimed` or `rejected`, with where its file is now.
    static func settle(_ dropID: Int64, state: String, workPath: String?, in database: Database)
        throws
    {
        try database.run(
            "UPDATE drops SET state = ?1, work_path = ?2 WHERE id = ?3",
            [.text(state), .optional(workPath), .integer(dropID)])
    }

    /// Every row in `claiming`, `listed` or `rejecting`, oldest first.
    static func unsettled(in database: Database) throws -> [Unsettled] {
        try database.rows(
            """
            SELECT id, trace_id, origin, work_path, state, kind, claim_method, source_identity
            FROM drops WHERE state IN ('claiming', 'listed', 'rejecting') ORDER BY id
            """
        ) { row in
            Unsettled(
                dropID: row.int(0), traceID: row.text(1),
                originPath: String(row.text(2).dropFirst(originScheme.count)),
                workPath: row.text(3), state: row.text(4), kind: row.text(5),
                method: DropMover.Method(rawValue: row.text(6)) ?? .rename,
                sourceIdentity: row.text(7))
        }
    }
}
