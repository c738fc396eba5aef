/// The database schema of intake, as numbered migrations, and the code that applies them.
///
/// `apply(to:)` runs every migration the database has not seen, each in its own transaction
/// with its row in `schema_migrations`, so a crash leaves the database at a whole version.
/// A database newer than this binary is refused rather than written to.
public enum Schema {
    /// Every migration, in order; the last one's version is the current schema version.
    public static let migrations: [Migration] = [
        Migration(
            version: 1, summary: "drops, tasks, jobs, transitions, counters and the outbox",
            sql: v1),
        Migration(version: 2, summary: "claim state of drops", sql: v2),
        Migration(version: 3, summary: "tasks by content, for duplicates", sql: v3),
        Migration(version: 4, summary: "what the metadata and analysis stages learn", sql: v4),
        Migration(version: 5, summary: "tasks by the file they take in from work/", sql: v5),
    ]

    /// The schema version this binary writes.
    public static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// The schema version recorded in `database`, 0 for an empty database.
    public static func version(of database: Database) throws -> Int {
        let exists = try database.scalar(
            "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='schema_migrations'")
        guard exists == 1 else { return 0 }
        return Int(try database.scalar("SELECT max(version) FROM schema_migrations") ?? 0)
    }

    /// Brings `database` up to `target` (default: the current version).
    @discardableResult
    public static func apply(to database: Database, upTo target: Int = currentVersion) throws
        -> Int
    {
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                summary TEXT NOT NULL,
                applied_at INTEGER NOT NULL
            )
            """)
        let found = try version(of: database)
        guard found <= currentVersion else {
            throw DatabaseError(
                resultCode: 0,
                detail: "the database \(database.path) has schema version \(found), but this "
                    + "intake knows versions up to \(currentVersion); use a newer intake",
                function: "Schema.apply")
        }
        for migration in migrations where migration.version > found && migration.version <= target {
            try database.transaction {
                try database.execute(migration.sql)
                try database.run(
                    "INSERT INTO schema_migrations (version, summary, applied_at) VALUES (?1, ?2, ?3)",
                    [
                        .integer(Int64(migration.version)), .text(migration.summary),
                        .integer(Clock.nowMillis()),
                    ])
            }
        }
        return try version(of: database)
    }

    /// Version 1: the main flow. Times are Unix milliseconds.
    static let v1 = """
        CREATE TABLE drops (
            id INTEGER PRIMARY KEY,
            trace_id TEXT NOT NULL UNIQUE,
            origin TEXT NOT NULL,
            kind TEXT NOT NULL,
            work_path TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE tasks (
            id TEXT PRIMARY KEY,
            drop_id INTEGER NOT NULL REFERENCES drops(id),
            trace_id TEXT NOT NULL,
            source TEXT NOT NULL,
            stage TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error_code TEXT,
            error_message TEXT,
            work_path TEXT,
            sha256 TEXT,
            store_path TEXT,
            duplicate_of TEXT,
            result TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            finished_at INTEGER
        );
        CREATE INDEX tasks_trace ON tasks(trace_id);
        CREATE INDEX tasks_finished ON tasks(finished_at) WHERE finished_at IS NOT NULL;
        CREATE INDEX tasks_failed ON tasks(updated_at) WHERE state = 'failed';
        CREATE TABLE transitions (
            id INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(id),
            from_stage TEXT,
            from_state TEXT,
            to_stage TEXT NOT NULL,
            to_state TEXT NOT NULL,
            detail TEXT,
            at INTEGER NOT NULL
        );
        CREATE INDEX transitions_task ON transitions(task_id, id);
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks(id),
            queue TEXT NOT NULL,
            state TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            due_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX jobs_ready ON jobs(queue, priority DESC, due_at, id)
            WHERE state IN ('ready', 'retrying');
        CREATE INDEX jobs_leased ON jobs(lease_expires_at) WHERE state = 'leased';
        CREATE TABLE task_counts (
            stage TEXT NOT NULL,
            state TEXT NOT NULL,
            count INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (stage, state)
        ) WITHOUT ROWID;
        INSERT INTO task_counts (stage, state)
            SELECT stage.value, state.value
            FROM json_each('["download","metadata","analysis","done"]') AS stage,
                json_each('["queued","running","retrying","completed","failed"]') AS state;
        CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
            UPDATE task_counts SET count = count + 1
                WHERE stage = NEW.stage AND state = NEW.state;
        END;
        CREATE TRIGGER task_counts_update AFTER UPDATE OF stage, state ON tasks
            WHEN OLD.stage != NEW.stage OR OLD.state != NEW.state BEGIN
            UPDATE task_counts
                SET count = count + (stage = NEW.stage AND state = NEW.state)
                    - (stage = OLD.stage AND state = OLD.state)
                WHERE (stage = NEW.stage AND state = NEW.state)
                    OR (stage = OLD.stage AND state = OLD.state);
        END;
        CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
            UPDATE task_counts SET count = count - 1
                WHERE stage = OLD.stage AND state = OLD.state;
        END;
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id TEXT NOT NULL UNIQUE,
            event_type TEXT NOT NULL,
            task_id TEXT,
            trace_id TEXT,
            created_at INTEGER NOT NULL,
            body TEXT NOT NULL,
            published_at INTEGER
        );
        CREATE INDEX outbox_unpublished ON outbox(seq) WHERE published_at IS NULL;
        CREATE INDEX outbox_task ON outbox(task_id, seq);
        """

    /// Version 2: the inbox's claim of a drop survives a crash at any moment. `state` is
    /// `claiming` from before the file leaves the inbox until its tasks exist, `listed` while a
    /// URL list file still waits to be removed from `work/`, `rejecting` while a rejected file
    /// still waits to be moved to `rejected/`, then `claimed` or `rejected`. `claim_method`
    /// (`rename` or `copy`) and `source_identity` (device, inode, size and mtime of the dropped
    /// file) let recovery finish a copy across file systems without touching a different file
    /// dropped later under the same name.
    static let v2 = """
        ALTER TABLE drops ADD COLUMN state TEXT NOT NULL DEFAULT 'claimed';
        ALTER TABLE drops ADD COLUMN claim_method TEXT;
        ALTER TABLE drops ADD COLUMN source_identity TEXT;
        CREATE INDEX drops_unsettled ON drops(state)
            WHERE state IN ('claiming', 'listed', 'rejecting');
        """

    /// Version 3: finding the first task with the same content.
    static let v3 = """
        CREATE INDEX tasks_sha256 ON tasks(sha256, created_at) WHERE sha256 IS NOT NULL;
        """

    /// Version 4: per content (sha256), the metadata and the analysis (feature vector, hashes,
    /// labels, embedding) as the stages' JSON, with the pHash as a column for near duplicates.
    static let v4 = """
        CREATE TABLE images (
            sha256 TEXT PRIMARY KEY,
            metadata TEXT,
            analysis TEXT,
            phash INTEGER,
            thumbnail_path TEXT,
            updated_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    /// The start-up sweep of `work/` looks files up by the task that took them in.
    static let v5 = """
        CREATE INDEX tasks_work_path ON tasks(work_path) WHERE work_path IS NOT NULL;
        """
}
