"""The job cycle of intake's queue benchmark, run on Python's litequeue and huey.

Each task is enqueued into a `download` queue, then claimed, completed and handed over to a
`metadata` queue, then to an `analysis` queue, then completed: three jobs per task, the same
cycle `queue-driver` runs on intake's engine. Storage is SQLite in WAL mode with
synchronous=NORMAL (durable across process crashes), on the same disk.

    python peers.py litequeue|huey FOLDER TASKS

prints one JSON line: {"peer":..., "tasks":N, "jobs":3N, "seconds":S, "jobsPerSecond":R}.
"""
import json
import os
import sys
import time

STAGES = ["download", "metadata", "analysis"]


def run_litequeue(folder, tasks):
    from litequeue import LiteQueue

    queues = {}
    for stage in STAGES:
        queue = LiteQueue(os.path.join(folder, f"{stage}.db"), queue_name=stage)
        queue.conn.execute("PRAGMA journal_mode=WAL")
        queue.conn.execute("PRAGMA synchronous=NORMAL")
        queues[stage] = queue
    start = time.monotonic()
    for number in range(tasks):
        queues["download"].put(json.dumps({"task": number}))
    jobs = 0
    for index, stage in enumerate(STAGES):
        queue = queues[stage]
        while True:
            message = queue.pop()
            if message is None:
                break
            queue.done(message.message_id)
            jobs += 1
            if index + 1 < len(STAGES):
                queues[STAGES[index + 1]].put(message.data)
    return jobs, time.monotonic() - start


def run_huey(folder, tasks):
    from huey import SqliteHuey

    hueys = {
        stage: SqliteHuey(
            stage, filename=os.path.join(folder, f"huey-{stage}.db"), immediate=False,
            journal_mode="wal")
        for stage in STAGES
    }
    for huey in hueys.values():
        conn = huey.storage.conn
        conn.execute("PRAGMA synchronous=NORMAL")
    start = time.monotonic()
    for number in range(tasks):
        hueys["download"].storage.enqueue(json.dumps({"task": number}).encode())
    jobs = 0
    for index, stage in enumerate(STAGES):
        storage = hueys[stage].storage
        while True:
            data = storage.dequeue()
            if data is None:
                break
            jobs += 1
            if index + 1 < len(STAGES):
                hueys[STAGES[index + 1]].storage.enqueue(data)
    return jobs, time.monotonic() - start


def main():
    peer, folder, tasks = sys.argv[1], sys.argv[2], int(sys.argv[3])
    runner = {"litequeue": run_litequeue, "huey": run_huey}[peer]
    jobs, seconds = runner(folder, tasks)
    print(json.dumps({"peer": peer, "tasks": tasks, "jobs": jobs, "seconds": round(seconds, 3),
                      "jobsPerSecond": int(jobs / seconds)}))


if __name__ == "__main__":
    main()
