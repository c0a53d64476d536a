"""The results store: one SQLite row per (scheme spec, channel, SNR, image, draw, seed, equalizer,
decoder, code version), written in one transaction per completed task.

Tables
------
``rows``          one per key (``key`` = SHA-256 of the canonical key), with channel uses, CBR, bpp,
                  the failure reason and the per-image metrics (JSON; a rerun that asks for more
                  metrics merges them in).
``blobs``         per row: the reconstruction as a lossless PNG (``png``, for image grids) and the
                  Inception features set-level metrics are rendered from (``pool3``, ...).
``computations``  one per completed computation of a row (run, worker, seconds): "computed twice"
                  means two computations of one key, which :meth:`ResultStore.duplicates` lists.
``attempts``      one per dispatch of a row to a worker, written before the dispatch: a row whose
                  task was running when the driver died has an attempt without a computation.
``runs``          one per invocation (command, grid, engine, git commit, status).

One writer (the driver), WAL journal, ``synchronous=FULL``: a killed driver loses at most the
tasks that were in flight (they never reached the store), never a committed row, and leaves no
partial row (each task's rows, blobs and computation records commit together or not at all).
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import time
from pathlib import Path

import numpy as np

FORMAT = "semcom-store/1"
KEY_FIELDS = ("scheme", "channel", "snr_db", "image", "image_sha", "draw", "seed", "equalizer", "decoder",
              "version")
VALUE_FIELDS = ("channel_uses", "cbr", "bpp", "failure", "metrics")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started REAL NOT NULL, finished REAL, status TEXT NOT NULL,
    command TEXT, grid TEXT, engine TEXT, workers INTEGER, git TEXT, host TEXT, pid INTEGER);
CREATE TABLE IF NOT EXISTS rows (
    id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
    scheme TEXT NOT NULL, channel TEXT NOT NULL, snr_db REAL NOT NULL, image TEXT NOT NULL,
    image_sha TEXT NOT NULL, draw INTEGER NOT NULL, seed INTEGER NOT NULL, equalizer TEXT NOT NULL,
    decoder TEXT NOT NULL, version TEXT NOT NULL,
    channel_uses INTEGER, cbr REAL, bpp REAL, failure TEXT, metrics TEXT NOT NULL,
    run_id INTEGER, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rows_by_point ON rows (scheme, channel, snr_db, version);
CREATE TABLE IF NOT EXISTS blobs (
    row_key TEXT NOT NULL, kind TEXT NOT NULL, shape TEXT, data BLOB NOT NULL,
    PRIMARY KEY (row_key, kind));
CREATE TABLE IF NOT EXISTS computations (
    id INTEGER PRIMARY KEY, row_key TEXT NOT NULL, run_id INTEGER, worker TEXT, seconds REAL,
    metrics TEXT, finished REAL NOT NULL);
CREATE INDEX IF NOT EXISTS computations_by_key ON computations (row_key);
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY, row_key TEXT NOT NULL, run_id INTEGER, task INTEGER, submitted REAL NOT NULL);
CREATE INDEX IF NOT EXISTS attempts_by_key ON attempts (row_key);
"""

_INSERT_ROW = (f"INSERT INTO rows (key, {', '.join(KEY_FIELDS)}, {', '.join(VALUE_FIELDS)}, run_id, created) "
               f"VALUES ({', '.join('?' * (len(KEY_FIELDS) + len(VALUE_FIELDS) + 3))})")


class StoreError(ValueError):
    """A file that is not a results store, or a store of another format."""


def row_key(fields: dict) -> str:
    """SHA-256 of the canonical JSON of the key fields."""
    canon = [fields[k] if k != "snr_db" else round(float(fields[k]), 6) for k in KEY_FIELDS]
    return hashlib.sha256(json.dumps(canon).encode()).hexdigest()


def check_store_path(path) -> Path:
    """ValueError unless ``path`` is an existing results store or a file that can be created
    (checked without creating anything)."""
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a results store file")
    if path.exists():
        with open(path, "rb") as f:
            head = f.read(16)
        if head and head != b"SQLite format 3\x00":
            raise StoreError(f"{path} is not a results store (not an SQLite file)")
        if head:
            try:
                con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                try:
                    row = con.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
                finally:
                    con.close()
            except sqlite3.Error as exc:
                raise StoreError(f"{path} is not a results store ({exc})") from None
            if row is None or row[0] != FORMAT:
                raise StoreError(f"{path} is a store of format {row[0] if row else '?'!r}, not {FORMAT!r}")
        return path
    parent = path.parent if str(path.parent) else Path(".")
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK):
        raise StoreError(f"cannot create the results store {path}: {probe} is not a writable directory")
    return path


class ResultStore:
    """An SQLite results store (``":memory:"`` for a throw-away one)."""

    def __init__(self, path):
        self.path = str(path)
        if self.path != ":memory:":
            check_store_path(self.path)
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.con = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        if self.path != ":memory:":
            self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("PRAGMA synchronous=FULL")
        with self.transaction():
            for statement in filter(str.strip, _SCHEMA.split(";")):
                self.con.execute(statement)
            self.con.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
        fmt = self.con.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()[0]
        if fmt != FORMAT:
            raise StoreError(f"{self.path} is a store of format {fmt!r}, not {FORMAT!r}")

    # -- transactions ----------------------------------------------------------------------------
    class _Tx:
        def __init__(self, con):
            self.con = con

        def __enter__(self):
            self.con.execute("BEGIN IMMEDIATE")
            return self.con

        def __exit__(self, kind, value, tb):
            self.con.execute("COMMIT" if kind is None else "ROLLBACK")
            return False

    def transaction(self):
        return self._Tx(self.con)

    def close(self):
        self.con.close()

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, command: str = "", grid: dict | None = None, engine: str = "serial", workers: int = 1,
                  git: str = "") -> int:
        with self.transaction() as con:
            cur = con.execute("INSERT INTO runs (started, status, command, grid, engine, workers, git, host, pid) "
                              "VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?)",
                              (time.time(), command, json.dumps(grid or {}), engine, workers, git,
                               socket.gethostname(), os.getpid()))
            return cur.lastrowid

    def finish_run(self, run_id: int, status: str = "complete"):
        with self.transaction() as con:
            con.execute("UPDATE runs SET finished = ?, status = ? WHERE id = ?", (time.time(), status, run_id))

    def runs(self) -> list:
        cols = ("id", "started", "finished", "status", "command", "engine", "workers", "git")
        return [dict(zip(cols, r)) for r in self.con.execute(f"SELECT {', '.join(cols)} FROM runs ORDER BY id")]

    # -- rows ------------------------------------------------------------------------------------
    def stored(self, keys) -> dict:
        """{key: set of metric names stored} for the given keys that are in the store."""
        out = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT key, metrics FROM rows WHERE key IN ({','.join('?' * len(chunk))})"
            for key, metrics in self.con.execute(q, chunk):
                out[key] = set(json.loads(metrics))
        return out

    def stored_blob_kinds(self, keys) -> dict:
        out = {}
        keys = list(keys)
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            q = f"SELECT row_key, kind FROM blobs WHERE row_key IN ({','.join('?' * len(chunk))})"
            for key, kind in self.con.execute(q, chunk):
                out.setdefault(key, set()).add(kind)
        return out

    def record_attempts(self, keys, run_id: int, task: int):
        now = time.time()
        with self.transaction() as con:
            con.executemany("INSERT INTO attempts (row_key, run_id, task, submitted) VALUES (?, ?, ?, ?)",
                            [(k, run_id, task, now) for k in keys])

    def insert(self, entries, run_id: int | None = None, worker: str = ""):
        """One transaction: ``entries`` = [(fields, result)] with ``fields`` the key fields and
        ``result`` a :class:`~semcom.sweep.rows.RowWorker` result. A row already stored keeps its
        values and gains the metrics it lacked; every entry is logged as one computation."""
        now = time.time()
        with self.transaction() as con:
            for fields, result in entries:
                key = row_key(fields)
                old = con.execute("SELECT metrics FROM rows WHERE key = ?", (key,)).fetchone()
                if old is None:
                    con.execute(
                        _INSERT_ROW,
                        (key, *[fields[k] for k in KEY_FIELDS], result["channel_uses"], result["cbr"],
                         result["bpp"], result["failure"], json.dumps(result["metrics"], sort_keys=True), run_id, now))
                else:
                    merged = {**result["metrics"], **json.loads(old[0])}
                    con.execute("UPDATE rows SET metrics = ? WHERE key = ?", (json.dumps(merged, sort_keys=True), key))
                blobs = [(k, v) for k, v in (result.get("features") or {}).items()]
                if result.get("png") is not None:
                    blobs.append(("png", result["png"]))
                for kind, value in blobs:
                    if isinstance(value, np.ndarray):
                        shape, data = json.dumps(list(value.shape)), np.ascontiguousarray(value, np.float32).tobytes()
                    else:
                        shape, data = None, bytes(value)
                    con.execute("INSERT OR IGNORE INTO blobs (row_key, kind, shape, data) VALUES (?, ?, ?, ?)",
                                (key, kind, shape, data))
                # what this computation produced: its metrics, and its blobs other than a row's plain values
                what = sorted(result["metrics"]) + sorted(f"blob:{kind}" for kind, _ in blobs)
                con.execute("INSERT INTO computations (row_key, run_id, worker, seconds, metrics, finished) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (key, run_id, worker, result.get("seconds"), json.dumps(what), now))

    def import_record(self, record: dict, source: str = "") -> dict:
        """Add the rows of a ``semcom-eval/1`` record (one resolution of a ``results.json``) that
        the store lacks, so a sweep started on another machine continues here instead of starting
        over. Each row's key is rebuilt from the record (its code version included), so rows of
        another code version never stand in for the current one's. Imported rows carry no blobs
        (a row whose kept image or features a grid asks for is computed again) and no computation
        record (they were computed elsewhere); the import is one run (engine ``import``).
        Returns ``{"imported": n, "present": n}``."""
        if record.get("schema") != "semcom-eval/1":
            raise StoreError(f"not a semcom-eval/1 record: schema {record.get('schema')!r}")
        settings = record.get("settings") or {}
        metric_names = list(settings.get("metrics") or [])
        entries = []
        for r in record.get("rows") or []:
            try:
                fields = {"scheme": str(r["scheme"]), "channel": str(r["channel"]), "snr_db": round(float(r["snr_db"]), 6),
                          "image": str(r["image"]), "image_sha": str(r["image_sha"]), "draw": int(r["run"]),
                          "seed": int(r["seed"]), "equalizer": str(settings.get("equalizer", "zf")),
                          "decoder": str(settings.get("decoder", "fast")), "version": str(r["version"])}
                metrics = {m: float(r[m]) for m in metric_names if r.get(m) is not None}
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreError(f"a row of the record lacks or garbles {exc}: {str(r)[:200]}") from exc
            entries.append((row_key(fields), fields, r, metrics))
        present = set(self.stored([e[0] for e in entries]))
        new = [e for e in entries if e[0] not in present]
        run_id = self.start_run(command=f"import {source}".strip(), grid=settings, engine="import")
        now = time.time()
        with self.transaction() as con:
            con.executemany(
                _INSERT_ROW.replace("INSERT", "INSERT OR IGNORE", 1),
                [(key, *[fields[k] for k in KEY_FIELDS], r.get("channel_uses"), r.get("cbr"), r.get("bpp"),
                  r.get("failure"), json.dumps(metrics, sort_keys=True), run_id, now) for key, fields, r, metrics in new])
        self.finish_run(run_id)
        return {"imported": len(new), "present": len(entries) - len(new)}

    def delete(self, keys):
        """Forget these rows, their blobs, computations and attempts (``--fresh``)."""
        keys = list(keys)
        with self.transaction() as con:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                marks = ",".join("?" * len(chunk))
                for table, col in (("rows", "key"), ("blobs", "row_key"), ("computations", "row_key"),
                                   ("attempts", "row_key")):
                    con.execute(f"DELETE FROM {table} WHERE {col} IN ({marks})", chunk)

    def rows(self, keys=None) -> list:
        """Stored rows as dicts (key fields, values, metrics unpacked), optionally only ``keys``."""
        cols = ("key",) + KEY_FIELDS + VALUE_FIELDS
        q = f"SELECT {', '.join(cols)} FROM rows"
        if keys is None:
            found = self.con.execute(q + " ORDER BY id").fetchall()
        else:
            keys, found = list(keys), []
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                found += self.con.execute(q + f" WHERE key IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        out = []
        for r in found:
            d = dict(zip(cols, r))
            d["metrics"] = json.loads(d["metrics"])
            out.append(d)
        return out

    def blob(self, key: str, kind: str):
        r = self.con.execute("SELECT shape, data FROM blobs WHERE row_key = ? AND kind = ?", (key, kind)).fetchone()
        if r is None:
            return None
        shape, data = r
        return data if shape is None else np.frombuffer(data, np.float32).reshape(json.loads(shape))

    # -- accounting --------------------------------------------------------------------------------
    def counts(self) -> dict:
        one = lambda q: self.con.execute(q).fetchone()[0]
        return {"rows": one("SELECT COUNT(*) FROM rows"), "computations": one("SELECT COUNT(*) FROM computations"),
                "attempts": one("SELECT COUNT(*) FROM attempts"), "runs": one("SELECT COUNT(*) FROM runs"),
                "duplicates": len(self.duplicates())}

    def duplicates(self, same_metrics_only: bool = True) -> list:
        """Keys computed more than once (producing the same metrics and blobs, when
        ``same_metrics_only``: a recomputation that adds metrics, a kept image or features the row
        lacked is an upgrade, not a duplicate)."""
        group = "row_key, metrics" if same_metrics_only else "row_key"
        return [r[0] for r in self.con.execute(
            f"SELECT row_key FROM computations GROUP BY {group} HAVING COUNT(*) > 1")]

    def orphan_attempts(self) -> int:
        """Dispatches whose rows never completed in that run (the tasks in flight at a kill)."""
        return self.con.execute(
            "SELECT COUNT(*) FROM attempts a WHERE NOT EXISTS (SELECT 1 FROM computations c "
            "WHERE c.row_key = a.row_key AND c.run_id IS a.run_id)").fetchone()[0]
