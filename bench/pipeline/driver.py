#!/usr/bin/env python3
"""Times the running intake pipeline against `intake inspect` (bench/pipeline/run calls it).

throughput INTAKE VARIANTS WORK RUNS: inspect over the files in one process, inspect writing
    their thumbnails too (the pipeline's own work), then the same files moved into the inbox
    of a fresh daemon at once, until the last task.completed file is in a subscriber's new/
    folder; RUNS rounds, medians.
latency INTAKE SMALL_JPEG WORK COUNT: one distinct small JPEG at a time into an idle daemon,
    from the rename into the inbox to its task.completed file in the subscriber's new/.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time


def start_daemon(intake, home):
    subprocess.run([intake, "init", "--home", home], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([intake, "subscribe", "bench", "task.*", "--home", home], check=True,
                   stdout=subprocess.DEVNULL)
    log = open(os.path.join(home, "daemon.log"), "w")
    daemon = subprocess.Popen([intake, "run", "--home", home], stderr=log, stdout=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(os.path.join(home, "daemon.log")) as text:
            if "daemon ready" in text.read():
                return daemon
        time.sleep(0.02)
    daemon.kill()
    sys.exit("the daemon did not get ready")


def stop_daemon(daemon):
    daemon.terminate()
    daemon.wait(timeout=60)


def finished(new_folder):
    """(completed, failed) event files in a subscriber's new/ folder."""
    names = os.listdir(new_folder)
    return (sum(".task.completed." in n for n in names),
            sum(".task.failed." in n for n in names))


def timed_inspect(intake, files, extra):
    """Seconds for one `intake inspect --json` process over `files`, with `extra` options."""
    start = time.monotonic()
    status = subprocess.run([intake, "inspect", "--json"] + extra + files,
                            stdout=subprocess.DEVNULL).returncode
    seconds = time.monotonic() - start
    # Every variant is an image libvips decodes (the run script made them so): any other
    # status than 0 means the timing is not of the work it names.
    if status != 0:
        sys.exit(f"intake inspect {' '.join(extra)} ended with status {status}")
    return seconds


def timed_daemon(intake, variants, files, work, run):
    """Seconds from moving a copy of `variants` into a fresh daemon's inbox until the last
    task.completed (or task.failed) file, and the (completed, failed) counts."""
    home = os.path.join(work, f"home-throughput-{run}")
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    staging = os.path.join(work, f"staging-{run}")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(variants, staging)
    os.sync()
    daemon = start_daemon(intake, home)
    new = os.path.join(home, "spool/subscribers/bench/new")
    try:
        start = time.monotonic()
        os.rename(staging, os.path.join(home, "inbox/variants"))
        deadline = start + 600
        completed = failed = 0
        while time.monotonic() < deadline:
            completed, failed = finished(new)
            if completed + failed >= len(files):
                break
            time.sleep(0.01)
        return time.monotonic() - start, completed, failed
    finally:
        stop_daemon(daemon)


def throughput(intake, variants, work, runs):
    """`runs` rounds of: inspect, inspect --thumbnails, the daemon; medians of each. Homes
    and thumbnail folders are removed only after the last round: ext4 makes every inode
    created soon after many were freed cost a scan of the freed ones, which would charge one
    tool for another's clean-up."""
    files = sorted(os.path.join(variants, n) for n in os.listdir(variants))
    plain, thumbnails, daemon, counts = [], [], [], []
    try:
        for run in range(runs):
            plain.append(timed_inspect(intake, files, []))
            folder = os.path.join(work, f"thumbnails-{run}")
            shutil.rmtree(folder, ignore_errors=True)
            thumbnails.append(timed_inspect(intake, files, ["--thumbnails", folder]))
            if len(os.listdir(folder)) != len(files):
                sys.exit(f"inspect --thumbnails wrote {len(os.listdir(folder))} thumbnails "
                         f"for {len(files)} files")
            seconds, completed, failed = timed_daemon(intake, variants, files, work, run)
            daemon.append(seconds)
            counts.append((completed, failed))
    finally:
        for run in range(runs):
            shutil.rmtree(os.path.join(work, f"thumbnails-{run}"), ignore_errors=True)
            shutil.rmtree(os.path.join(work, f"home-throughput-{run}"), ignore_errors=True)
            shutil.rmtree(os.path.join(work, f"staging-{run}"), ignore_errors=True)
    medians = [statistics.median(x) for x in (plain, thumbnails, daemon)]
    ratio = medians[0] / medians[2]
    every = lambda values: ", ".join(f"{v:.2f}" for v in values)
    print(f"throughput, {len(files)} JPEGs, median of {runs} (every run)")
    for label, median, values in zip(
            ["intake inspect --json", "intake inspect --json --thumbnails",
             "daemon: drop -> last task.completed"], medians, [plain, thumbnails, daemon]):
        print(f"  {label:38} {median:6.2f} s {len(files) / median:7.1f} files/s  "
              f"({every(values)})")
    print(f"  completed/failed per run: {counts}")
    print(f"  pipeline/inspect speed {ratio:.2f} (target >= 0.8: "
          f"{'met' if ratio >= 0.8 else 'MISSED'}); pipeline/inspect-with-thumbnails speed "
          f"{medians[1] / medians[2]:.2f}")


def latency(intake, small_jpeg, work, count):
    # The throughput run before this leaves 100+ MB of writeback and a deleted home behind:
    # flush it and let the disk settle, so that an idle daemon is what gets measured.
    os.sync()
    time.sleep(5)
    home = os.path.join(work, "home-latency")
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    staging = os.path.join(work, "staging-latency")
    os.makedirs(staging, exist_ok=True)
    with open(small_jpeg, "rb") as source:
        jpeg = source.read()
    daemon = start_daemon(intake, home)
    new = os.path.join(home, "spool/subscribers/bench/new")
    inbox = os.path.join(home, "inbox")
    samples = []
    try:
        for index in range(count):
            name = f"small-{index:04d}.jpg"
            path = os.path.join(staging, name)
            # Bytes after the end-of-image marker keep the JPEG valid and make each distinct,
            # so no drop completes early as a duplicate.
            with open(path, "wb") as out:
                out.write(jpeg + f"{index:08d}".encode())
                out.flush()
                os.fsync(out.fileno())
            before = finished(new)[0] + finished(new)[1]
            start = time.monotonic()
            os.rename(path, os.path.join(inbox, name))
            deadline = start + 30
            while time.monotonic() < deadline:
                if sum(finished(new)) > before:
                    break
                time.sleep(0.0005)
            samples.append((time.monotonic() - start) * 1000)
            time.sleep(0.05)  # idle again: the relay and the plugin runner have nothing to do
    finally:
        stop_daemon(daemon)
    shutil.rmtree(home, ignore_errors=True)
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(round(0.99 * len(samples))) - 1)]
    median = statistics.median(samples)
    target = 300 + 100
    print(f"latency over {count} drops (settle_ms=300): median {median:.1f} ms, "
          f"p99 {p99:.1f} ms, min {samples[0]:.1f} ms, max {samples[-1]:.1f} ms "
          f"(target < {target} ms: median {'met' if median < target else 'MISSED'}, "
          f"p99 {'met' if p99 < target else 'MISSED'})")


if __name__ == "__main__":
    if sys.argv[1] == "throughput":
        throughput(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        latency(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
