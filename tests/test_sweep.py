"""The sweep engine: the results store, reruns, resumption after a kill, serial == Ray."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from semcom import data
from semcom.sweep import Grid, ResultStore, StoreError, check_store_path, run
from semcom.sweep.engine import plan
from semcom.sweep.ray_engine import ray_available
from semcom.sweep.rows import RowSpec, RowWorker, image_digest, row_seed
from semcom.sweep.store import row_key
from semcom.sweep.views import collect
from semcom.sweep.version import code_version, folder_hash

TEST = "ota-test:factor=8"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def images():
    return data.load_images("test", size=64, version=1)[:3]


def grid(images, schemes=(TEST,), channels=("awgn", "rayleigh-block"), snrs=(2.0, 10.0), draws=2, **kw):
    kw.setdefault("metrics", ("psnr",))
    return Grid(list(schemes), list(channels), list(snrs), images, ["a", "b", "c"][:images.shape[0]],
                draws=draws, **kw)


def rows_of(store):
    return {r["key"]: {k: v for k, v in r.items()} for r in store.rows()}


def test_store_round_trip_with_blobs_and_counts(tmp_path):
    store = ResultStore(tmp_path / "s.sqlite")
    fields = {"scheme": "x", "channel": "awgn", "snr_db": 1.0, "image": "a", "image_sha": "0" * 16, "draw": 0,
              "seed": 0, "equalizer": "zf", "decoder": "fast", "version": "v"}
    result = {"channel_uses": 10, "cbr": 0.1, "bpp": 0.2, "failure": None, "metrics": {"psnr": 20.5},
              "features": {"pool3": np.arange(6, dtype=np.float32).reshape(1, 6)}, "png": b"\x89PNG..", "seconds": 1.0}
    store.insert([(fields, result)], run_id=None, worker="w")
    (row,) = store.rows()
    assert row["key"] == row_key(fields) and row["metrics"] == {"psnr": 20.5} and row["failure"] is None
    assert store.blob(row["key"], "png") == b"\x89PNG.."
    assert store.blob(row["key"], "pool3").tolist() == [[0, 1, 2, 3, 4, 5]]
    # A recomputation that adds a metric merges it in; it is an upgrade, not a duplicate.
    store.insert([(fields, {**result, "metrics": {"psnr": 20.5, "lpips": 0.3}})], worker="w")
    assert store.rows()[0]["metrics"] == {"psnr": 20.5, "lpips": 0.3}
    assert store.counts()["rows"] == 1 and store.counts()["computations"] == 2 and store.duplicates() == []
    store.insert([(fields, result)], worker="w")
    assert store.duplicates() == [row["key"]]
    store.close()
    assert ResultStore(tmp_path / "s.sqlite").counts()["rows"] == 1   # it persisted


def test_a_file_that_is_not_a_store_is_refused(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(StoreError, match="not an SQLite file"):
        check_store_path(tmp_path / "notes.txt")
    sqlite3.connect(tmp_path / "other.sqlite").execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="not a results store"):
        check_store_path(tmp_path / "other.sqlite")
    with pytest.raises(StoreError, match="is a directory"):
        check_store_path(tmp_path)
    assert check_store_path(tmp_path / "new" / "s.sqlite") and not (tmp_path / "new").exists()


def test_a_rerun_skips_stored_rows_and_fresh_starts_over(images, tmp_path):
    g = grid(images)
    store = ResultStore(tmp_path / "s.sqlite")
    first = run(g, store, progress=False)
    assert first["computed"] == first["total"] == 3 * 2 * 2 * 2 and first["skipped"] == 0
    again = run(g, store, progress=False)
    assert again["computed"] == 0 and again["skipped"] == first["total"]
    assert store.counts()["computations"] == first["total"]
    # more metrics: the stored rows are computed again once and gain the metric (same values)
    before = rows_of(store)
    more = run(grid(images, metrics=("psnr", "ssim")), store, progress=False)
    assert more["computed"] == first["total"]
    after = rows_of(store)
    assert all(after[k]["metrics"]["psnr"] == before[k]["metrics"]["psnr"] and "ssim" in after[k]["metrics"]
               for k in before)
    fresh = run(g, store, progress=False, fresh=True)
    assert fresh["computed"] == first["total"] and store.duplicates() == []
    assert {k: r["metrics"]["psnr"] for k, r in rows_of(store).items()} == \
           {k: r["metrics"]["psnr"] for k, r in before.items()}


def test_a_row_does_not_depend_on_order_grouping_or_batch_mates(images):
    specs = [RowSpec(s, c, snr, n, image_digest(images[i]), d, 0)
             for s in (TEST, "jpeg2000-ldpc:channel_uses=512") for c in ("awgn", "tdl-a")
             for snr in (3.0,) for i, n in enumerate("ab") for d in (0,)]
    ims = dict(zip("abc", images))
    forward = RowWorker(ims).compute(specs, ("psnr", "lpips"))
    shuffled = list(range(len(specs)))
    random.Random(1).shuffle(shuffled)
    worker = RowWorker(ims)
    backward = [None] * len(specs)
    for i in shuffled:
        backward[i] = worker.compute([specs[i]], ("psnr", "lpips"))[0]
    strip = lambda r: {k: v for k, v in r.items() if k != "seconds"}
    assert [strip(r) for r in forward] == [strip(r) for r in backward]
    # the scheme is not in the seed: every scheme meets the same channel draw
    assert specs[0].seed_value() == RowSpec("other", "awgn", 3.0, "a", "x", 0, 0).seed_value()
    assert len({s.seed_value() for s in specs}) == len(specs) // 2
    assert row_seed(0, "awgn", 3.0, "a", 0) != row_seed(1, "awgn", 3.0, "a", 0)


def test_an_interrupted_run_resumes_without_loss_or_duplicates(images, tmp_path):
    g = grid(images, schemes=(TEST, "jpeg2000-ldpc:channel_uses=512"))
    reference = ResultStore(tmp_path / "ref.sqlite")
    run(g, reference, progress=False, task_rows=2)
    store = ResultStore(tmp_path / "s.sqlite")

    class Killed(Exception):
        pass

    def kill_after(n):
        seen = []

        def on_task(task, results):
            seen.append(task)
            if len(seen) == n:
                raise Killed

        return on_task

    out = tmp_path / "out"
    for n in (3, 5, 2):
        with pytest.raises(Killed):
            run(g, store, progress=False, task_rows=2, on_task=kill_after(n), out_dir=out)
        state = json.loads((out / "results.json").read_text())["settings"]
        assert not state["complete"] and state["rows_done"] < state["rows_total"]
    assert [r["status"] for r in store.runs()] == ["failed"] * 3
    run(g, store, progress=False, task_rows=2, out_dir=out)
    assert rows_of(store) == rows_of(reference)
    assert store.duplicates() == [] and store.counts()["computations"] == len(g.specs())
    assert json.loads((out / "results.json").read_text())["settings"]["complete"]


def _store_rows_count(path):
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_sigkill_at_three_random_moments_then_rerun_equals_an_uninterrupted_run(tmp_path):
    """`semcom eval` killed with SIGKILL three times at random points of its grid, then rerun: the
    store equals an uninterrupted run's, row for row, and no row was computed twice."""
    args = ["eval", "--schemes", f"{TEST};jpeg2000-ldpc:channel_uses=512", "--channels", "awgn,rayleigh-block",
            "--snr", "2,6,10,14", "--limit", "3", "--runs", "2", "--metrics", "psnr", "--split", "test",
            "--task-rows", "1", "--size", "64"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "gr-semcom" / "python"),
                                                         os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "semcom.cli"] + args
    ref = tmp_path / "ref"
    subprocess.run(cmd + ["-o", str(ref)], check=True, env=env, capture_output=True, timeout=600)
    total = _store_rows_count(ref / "results.sqlite")
    assert total == 2 * 2 * 4 * 3 * 2
    out = tmp_path / "killed"
    rng = random.Random(7)
    killed_at = []
    for _ in range(3):
        target = _store_rows_count(out / "results.sqlite") + rng.randint(1, total // 5)
        proc = subprocess.Popen(cmd + ["-o", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 300
        while _store_rows_count(out / "results.sqlite") < target and proc.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed_at.append(_store_rows_count(out / "results.sqlite"))
        state = json.loads((out / "results.json").read_text())["settings"]
        assert not state["complete"]
    assert killed_at[-1] < total, killed_at
    subprocess.run(cmd + ["-o", str(out)], check=True, env=env, capture_output=True, timeout=600)
    a, b = ResultStore(ref / "results.sqlite"), ResultStore(out / "results.sqlite")
    assert rows_of(a) == rows_of(b)
    assert b.duplicates() == [] and b.counts()["computations"] == total
    # rows whose task was in flight at a kill were dispatched again: at most one per kill here
    assert b.counts()["attempts"] - total == b.orphan_attempts() <= 3
    assert json.loads((out / "results.json").read_text())["settings"]["complete"]


def test_results_json_from_the_store(images, tmp_path):
    g = grid(images, draws=1, set_metrics=("fid",), keep_images=1)
    store = ResultStore(":memory:")
    run(g, store, progress=False, out_dir=tmp_path)
    res = json.loads((tmp_path / "results.json").read_text())
    assert res["schema"] == "semcom-eval/1" and res["settings"]["complete"]
    assert len(res["rows"]) == len(g.specs()) and len(res["sets"]) == 2 * 2
    assert all(isinstance(e["fid"], float) for e in res["sets"])
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob(".*.tmp"))
    assert collect(store, g)["_reconstructions"]


def test_a_sweep_continues_from_results_json_on_another_machine(images, tmp_path):
    """The rows of a results.json seed a fresh store: nothing is computed again, collect() gives
    the same rows; a row of another code version is imported but not reused; a record that is
    not semcom-eval/1 or garbles a row is refused."""
    g = grid(images, draws=1, keep_images=0, metrics=("psnr", "ssim"))
    first = ResultStore(tmp_path / "a.sqlite")
    run(g, first, progress=False, out_dir=tmp_path / "a")
    record = json.loads((tmp_path / "a" / "results.json").read_text())
    record["rows"][0]["version"] = "another-version"          # a row computed by other code
    second = ResultStore(tmp_path / "b.sqlite")
    assert second.import_record(record, "a/results.json") == {"imported": len(g.specs()), "present": 0}
    assert second.import_record(record) == {"imported": 0, "present": len(g.specs())}
    report = run(g, second, progress=False)
    assert report["computed"] == 1 and report["skipped"] == len(g.specs()) - 1     # only the stale row
    strip = lambda rows: sorted((r["scheme"], r["channel"], r["snr_db"], r["image"], r["run"], r["psnr"], r["ssim"],
                                 r["channel_uses"], r["failure"], r["version"]) for r in rows)
    assert strip(collect(second, g, False)["rows"]) == strip(collect(first, g, False)["rows"])
    assert second.duplicates() == [] and second.counts()["computations"] == 1
    with pytest.raises(StoreError, match="semcom-eval/1"):
        second.import_record({"schema": "other", "rows": []})
    with pytest.raises(StoreError, match="lacks or garbles"):
        second.import_record({**record, "rows": [{k: v for k, v in record["rows"][1].items() if k != "image_sha"}]})


def test_the_version_follows_the_model_weights(tmp_path):
    import shutil
    src = REPO / "models" / "deepjscc"
    assert (src / "config.json").is_file(), "the shipped DeepJSCC (models/deepjscc) is in git"
    copy = tmp_path / "deepjscc-copy"
    shutil.copytree(src, copy)
    v1 = code_version(f"deepjscc:model_dir={copy}")
    assert v1 == code_version(f"deepjscc:model_dir={src}")       # same weights, same version
    checks = json.loads((copy / "checksums.json").read_text())
    checks[next(iter(checks))] = "0" * 64
    (copy / "checksums.json").write_text(json.dumps(checks))
    folder_hash.cache_clear()
    code_version.cache_clear()
    assert code_version(f"deepjscc:model_dir={copy}") != v1
    assert code_version("jpeg2000-ldpc").endswith("--")           # no model


@pytest.fixture
def fresh_version_caches():
    """The version functions' caches emptied before and after a test that edits what they read (a
    value cached from a monkeypatched package would outlive the patch)."""
    from semcom.sweep import version

    def clear():
        for f in (version.code_hash, version._imports, version.folder_hash, version.code_version):
            f.cache_clear()
    clear()
    yield
    clear()


def test_the_version_follows_a_scheme_s_default_model_files(tmp_path, monkeypatch, fresh_version_caches):
    """Defaults a spec leaves out (the codec module's DEFAULT_PATHS) are hashed as if named."""
    from semcom.codecs import tg_jscc
    from semcom.sweep import version
    caption_model = tmp_path / "prompt_model.json"
    caption_model.write_text('{"a": 1}')
    monkeypatch.setattr(tg_jscc, "DEFAULT_PATHS", {"prompt_model": lambda: caption_model,
                                                    "vae": lambda: tmp_path / "absent"})

    def version_now(spec):
        for f in (version.folder_hash, version.code_version):
            f.cache_clear()
        return version.code_version(spec)

    v0 = version_now("tg-jscc")
    assert version.model_paths("tg-jscc") == [caption_model.resolve()]
    assert v0 == version_now(f"tg-jscc:prompt_model={caption_model}")     # named or default: one key
    caption_model.write_text('{"a": 2}')
    assert version_now("tg-jscc") != v0


def test_the_code_version_follows_only_the_code_a_scheme_runs(tmp_path, monkeypatch, fresh_version_caches):
    """An edit to one scheme's network leaves another scheme's rows standing; an edit to the PHY
    recomputes both (the version is computed on a copy of the package, edited)."""
    import shutil

    from semcom.sweep import version
    copy = tmp_path / "semcom"
    shutil.copytree(version.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(version, "PACKAGE", copy)

    def versions():
        for f in (version.code_hash, version._imports):
            f.cache_clear()
        return {s: version.code_hash(s) for s in ("deepjscc", "sc-sic", "bpg-ldpc")}

    def edit(rel):
        with open(copy / rel, "a") as f:
            f.write("\n# edited\n")

    v0 = versions()
    assert len(set(v0.values())) == 3
    edit("models/sc_sic/stage_b.py")
    v1 = versions()
    assert v1["sc-sic"] != v0["sc-sic"] and v1["deepjscc"] == v0["deepjscc"] and v1["bpg-ldpc"] == v0["bpg-ldpc"]
    edit("models/snr_jscc.py")                  # imported by the DeepJSCC codec inside a function
    v2 = versions()
    assert v2["deepjscc"] != v1["deepjscc"] and v2["sc-sic"] == v1["sc-sic"]
    edit("gr/semantic_rx.py")                   # GNU Radio block: no row runs it
    assert versions() == v2
    edit("phy/ldpc.py")                         # every row runs the PHY
    v3 = versions()
    assert all(v3[s] != v2[s] for s in v3)


@pytest.mark.parametrize("spec", ["deepjscc", "bpg-ldpc"])
def test_the_static_import_closure_holds_every_module_a_row_loads(spec):
    """Independent check of :func:`row_code_files`: a fresh interpreter runs one row (encode,
    AWGN, decode, PSNR + LPIPS) and every package file it loaded, other than the ones declared
    unable to change a row, is in the scheme's static closure."""
    from semcom.sweep import version
    script = (
        "import json, sys, torch\n"
        "from semcom import data\n"
        "from semcom.codecs import get_codec\n"
        "from semcom.sweep import rows\n"
        "x = data.load_images('test', size=64, version=1)[:1]\n"
        "x = torch.stack(list(x)) if not torch.is_tensor(x) else x\n"
        f"t = rows.transmit(get_codec({spec!r}), x, 'awgn', 10.0)\n"
        "rows.score(x, t, ['psnr', 'lpips'])\n"
        "print(json.dumps(sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, '__file__', None)})))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=REPO,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr[-2000:]
    package = version.PACKAGE.resolve()
    loaded = {Path(f).resolve() for f in json.loads(out.stdout.strip().splitlines()[-1])}
    loaded = {f for f in loaded if package in f.parents}
    rows_code = {f for f in loaded if not version._excluded(f.relative_to(package).as_posix())}
    static = {f.resolve() for f in version.row_code_files(spec)}
    assert rows_code, "the row loaded no package file"
    assert rows_code <= static, sorted(str(f) for f in rows_code - static)
    codec_module = {"deepjscc": "codecs/deepjscc.py", "bpg-ldpc": "codecs/separation.py"}[spec]
    assert package / codec_module in static


@pytest.mark.skipif(not ray_available(), reason="ray is not installed")
def test_ray_with_two_workers_gives_the_serial_rows_bit_for_bit(tmp_path):
    ims = data.load_images("test", size=64, version=1)[:2]
    schemes = ["ota-test", "jpeg2000-ldpc:channel_uses=512"] + \
        (["deepjscc"] if (REPO / "models" / "deepjscc" / "config.json").is_file() else [])
    g = Grid(schemes, ["awgn", "rayleigh-block"], [3.0, 12.0], ims, ["a", "b"], draws=2, metrics=("psnr", "lpips"),
             keep_images=2)
    serial, ray_store = ResultStore(tmp_path / "serial.sqlite"), ResultStore(tmp_path / "ray.sqlite")
    run(g, serial, progress=False, task_rows=3)
    report = run(g, ray_store, engine="ray", workers=2, progress=False, task_rows=3)
    assert report["computed"] == len(g.specs())
    assert rows_of(serial) == rows_of(ray_store)
    keys = list(rows_of(serial))
    assert all(serial.blob(k, "png") == ray_store.blob(k, "png") for k in keys)
    workers = {w for (w,) in ray_store.con.execute("SELECT DISTINCT worker FROM computations")}
    assert len(workers) == 2 and all(w.startswith("ray:") for w in workers)
    assert plan(g, ray_store)[0] == []


def test_the_comparison_finds_its_schemes_and_ranks_paired_rows():
    import repo_scripts
    sim = repo_scripts.load("sim/all_schemes/run.py")
    found = sim.candidates()
    assert "ota-test" not in found and {"sc-sic", "deepjscc", "jpeg2000-ldpc", "bpg-capacity"} <= set(found)
    assert sim.takes_channel_uses("jpeg2000-capacity") and not sim.takes_channel_uses("deepjscc")
    if (REPO / "models" / "deepjscc" / "config.json").is_file():
        k, schemes = sim.schemes_at(64, data.load_images("test", size=64, version=1)[:1])
        assert k == 512 and "deepjscc" in schemes and "jpeg2000-ldpc:channel_uses=512" in schemes
        assert "sc-sic" not in schemes   # it sends another K at 64 px
    rows = [{"scheme": s, "channel": "awgn", "snr_db": snr, "image": im, "run": 0, "lpips": v, "dists": v, "psnr": 1 / v}
            for s, v in (("a", 0.2), ("b", 0.1)) for snr in (1.0, 5.0) for im in ("x", "y")]
    rows = [r for r in rows if not (r["scheme"] == "b" and r["image"] == "y" and r["snr_db"] == 5.0)]
    results = {"rows": rows, "settings": {"schemes": ["a", "b"], "channels": ["awgn"], "snrs": [1.0, 5.0]}}
    (table,) = sim.leaderboard([(64, 512, results)])
    assert table["pairs"] == 1 and table["images"] == 1          # image y is not complete for scheme b
    assert [t["scheme"] for t in table["table"]] == ["b", "a"]   # best LPIPS first
    md = sim.leaderboard_markdown([table])
    assert "| 1 | b | 0.100 / 0.100 / 10.00 |" in md
