"""Kill a sweep with SIGKILL at random moments, rerun it, and compare its store with an
uninterrupted run's: row for row, and no row computed twice (the store's computation log).

    .venv/bin/python scripts/sigkill_check.py [--kills 3] [--seed 0] [--json out.json] -- \\
        .venv/bin/python sim/all_schemes/run.py --sizes 64 --images 1 --snr 5,15 --draws 1 --no-render

The command must take ``--store PATH`` (appended here). A kill moment is drawn as a number of
stored rows (uniform in the rest of the grid, after the first run measured the total) and the
driver is killed as soon as the store holds that many; the Ray processes of a killed driver end
with it.
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def count(path, table="rows") -> int:
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if "--" not in argv:
        raise SystemExit("usage: sigkill_check.py [options] -- COMMAND ...")
    cut = argv.index("--")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dir", default=None, help="where the two stores go (default: a temporary folder)")
    p.add_argument("--json", default=None)
    args = p.parse_args(argv[:cut])
    command = argv[cut + 1:]
    work = Path(args.dir or tempfile.mkdtemp(prefix="sigkill_"))
    work.mkdir(parents=True, exist_ok=True)
    ref, killed = work / "uninterrupted.sqlite", work / "killed.sqlite"
    for f in (ref, killed):
        for suffix in ("", "-wal", "-shm"):
            Path(str(f) + suffix).unlink(missing_ok=True)
    t = time.time()
    subprocess.run(command + ["--store", str(ref)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uninterrupted_s = time.time() - t
    total = count(ref)
    print(f"uninterrupted: {total} rows in {uninterrupted_s:.0f} s", flush=True)
    rng = random.Random(args.seed)
    kills = []
    t = time.time()
    for i in range(args.kills):
        have = count(killed)
        target = rng.randint(have + 1, max(have + 1, total - (args.kills - i)))
        proc = subprocess.Popen(command + ["--store", str(killed)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        while count(killed) < target and proc.poll() is None:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills.append({"target_rows": target, "rows_at_kill": count(killed), "attempts": count(killed, "attempts"),
                      "seconds": time.time() - t})
        print(f"kill {i + 1}: SIGKILL with {kills[-1]['rows_at_kill']} of {total} rows stored", flush=True)
        time.sleep(2)   # let the killed driver's Ray processes notice and end
    subprocess.run(command + ["--store", str(killed)], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    killed_s = time.time() - t
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gr-semcom" / "python"))
    from semcom.sweep import ResultStore
    a, b = ResultStore(ref), ResultStore(killed)
    rows_a, rows_b = {r["key"]: r for r in a.rows()}, {r["key"]: r for r in b.rows()}
    blobs_equal = all(a.blob(k, "png") == b.blob(k, "png") for k in rows_a)
    counts = b.counts()
    report = {"command": command, "rows": total, "kills": kills, "identical_rows": rows_a == rows_b,
              "identical_images": blobs_equal, "computations": counts["computations"],
              "computed_twice": counts["duplicates"], "attempts": counts["attempts"],
              "dispatched_again": b.orphan_attempts(), "runs": [r["status"] for r in b.runs()],
              "uninterrupted_seconds": uninterrupted_s, "killed_and_resumed_seconds": killed_s}
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    ok = report["identical_rows"] and blobs_equal and counts["duplicates"] == 0 and counts["computations"] == total
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
