"""How fast could any engine run intake's job cycle on this disk? A reference, not a peer.

The queue benchmark's cycle (enqueue, claim, complete, hand over; three stages) written as
plainly as SQLite allows, from Python's sqlite3 with `executemany`, so that Python's share
stays small: the task row is the job (no job rows), claims are one UPDATE ... RETURNING per
batch, and each transaction carries a batch of jobs (WAL, synchronous=NORMAL, as intake and
the peers), with intake's indexes and time-ordered ids. What each job writes is chosen by the
variant (the envelopes are built in Python, about a fifth of the time of the variants with
events):

    bare       the task row moves on, nothing else (what huey and litequeue keep)
    history    plus one transition row a job (the task's history)
    events     plus the job's event in an outbox table, a fully formed JSON envelope
    full       history and events: the bookkeeping intake's contract asks for

    python ceiling.py FOLDER TASKS [BATCH]

prints one JSON line per variant: {"variant":..., "jobs":3N, "seconds":S, "jobsPerSecond":R}.
"""
import itertools
import json
import os
import sqlite3
import sys
import time
import uuid

COUNTER = itertools.count()


def ordered_id():
    """A unique id that sorts by creation, as intake's UUIDv7 task and event ids do."""
    return "%016x-%s" % (next(COUNTER), uuid.uuid4().hex[:16])

SCHEMA = """
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY, uuid TEXT NOT NULL, trace_id TEXT, source TEXT,
    stage TEXT, state TEXT, attempts INTEGER DEFAULT 0, priority INTEGER DEFAULT 0,
    due_at INTEGER, lease_owner TEXT, lease_expires_at INTEGER, sha256 TEXT, store_path TEXT,
    created_at INTEGER, updated_at INTEGER);
CREATE INDEX tasks_ready ON tasks(stage, priority DESC, due_at, id)
    WHERE state IN ('queued', 'retrying');
CREATE INDEX tasks_leased ON tasks(lease_expires_at) WHERE state = 'running';
CREATE TABLE transitions (
    id INTEGER PRIMARY KEY, task_id INTEGER, from_stage TEXT, from_state TEXT,
    to_stage TEXT, to_state TEXT, detail TEXT, at INTEGER);
CREATE INDEX transitions_task ON transitions(task_id, id);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE, event_type TEXT,
    task_id TEXT, trace_id TEXT, created_at INTEGER, body TEXT, published_at INTEGER);
CREATE INDEX outbox_unpublished ON outbox(seq) WHERE published_at IS NULL;
CREATE INDEX outbox_task ON outbox(task_id, seq);
"""

CLAIM = """
UPDATE tasks SET state = 'running', lease_owner = 'w', lease_expires_at = ?2,
    attempts = attempts + 1
WHERE id IN (SELECT id FROM tasks WHERE stage = ?1 AND state IN ('queued', 'retrying')
    AND due_at <= ?3 ORDER BY priority DESC, due_at, id LIMIT ?4)
RETURNING id, uuid
"""

STAGES = ["download", "metadata", "analysis", "done"]


def envelope(event_type, task):
    """An event as intake writes it into its outbox (about 400 bytes)."""
    return json.dumps({
        "eventId": ordered_id(), "eventType": event_type, "taskId": task,
        "traceId": "4bf92f3577b34da6a3ce929d0e0e4736", "timestamp": int(time.time() * 1000),
        "source": "intake/ceiling",
        "payload": {"source": "https://bench.invalid/x.jpg", "sha256": "a" * 64,
                    "storePath": "/dev/null", "bytes": 1}})


def run(folder, variant, tasks, batch):
    path = os.path.join(folder, "ceiling-%s.db" % variant)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA temp_store=MEMORY")
    db.executescript(SCHEMA)
    history = variant in ("history", "full")
    events = variant in ("events", "full")
    start = time.monotonic()
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO tasks (uuid, trace_id, source, stage, state, due_at, created_at, "
        "updated_at) VALUES (?, 't', ?, 'download', 'queued', 0, 0, 0)",
        ((ordered_id(), "https://bench.invalid/%d.jpg" % n) for n in range(tasks)))
    db.execute("COMMIT")
    jobs = 0
    for index, stage in enumerate(STAGES[:-1]):
        following = STAGES[index + 1]
        state = "completed" if following == "done" else "queued"
        while True:
            db.execute("BEGIN IMMEDIATE")
            claimed = db.execute(CLAIM, (stage, 2**62, 1, batch)).fetchall()
            if not claimed:
                db.execute("COMMIT")
                break
            db.executemany(
                "UPDATE tasks SET stage = ?1, state = ?2, attempts = 0, lease_owner = NULL, "
                "lease_expires_at = NULL, updated_at = 2, sha256 = ?3, store_path = ?4 "
                "WHERE id = ?5 AND state = 'running' AND lease_owner = 'w'",
                ((following, state, "a" * 64, "/dev/null", row[0]) for row in claimed))
            if history:
                db.executemany(
                    "INSERT INTO transitions (task_id, from_stage, from_state, to_stage, "
                    "to_state, detail, at) VALUES (?, ?, 'running', ?, ?, 'succeeded', 2)",
                    ((row[0], stage, following, state) for row in claimed))
            if events:
                types = ["image." + stage] + (["task.completed"] if following == "done" else [])
                db.executemany(
                    "INSERT INTO outbox (event_id, event_type, task_id, trace_id, created_at, "
                    "body) VALUES (?, ?, ?, 't', 2, ?)",
                    ((ordered_id(), kind, row[1], envelope(kind, row[1]))
                     for row in claimed for kind in types))
            db.execute("COMMIT")
            jobs += len(claimed)
    seconds = time.monotonic() - start
    db.close()
    return {"variant": variant, "tasks": tasks, "batch": batch, "jobs": jobs,
            "seconds": round(seconds, 3), "jobsPerSecond": int(jobs / seconds)}


def main():
    folder, tasks = sys.argv[1], int(sys.argv[2])
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    for variant in ("bare", "history", "events", "full"):
        print(json.dumps(run(folder, variant, tasks, batch)), flush=True)


if __name__ == "__main__":
    main()
