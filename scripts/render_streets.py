#!/usr/bin/env python3
"""Render the labelled street-scene set (issue 19, GESCO) from Sionna RT's bundled scenes.

Writes ``<out>/<scene>/<scene>_NNNNN.png`` (RGB, 128x256), ``..._label.png`` (class ids, see
``semcom.data.streets.CLASSES``) and ``..._NNNNN.json`` (the view parameters, split and class
counts) for every image, then ``<out>/manifest.json`` (class list, palette, every entry). The
default out is ``$SEMCOM_DATA/cache/streets`` or ``<checkout>/data/cache/streets`` (gitignored).
Resumable: an image whose .json exists is not rendered again. Deterministic: image ``i`` of a
scene depends only on ``--seed``, the scene and ``i`` (not on --workers).
Split: poses in the east ``TEST_BAND`` (20 %) of a scene's x-extent are "test", others "train".

  python scripts/render_streets.py                       # the full set (3000 pairs)
  python scripts/render_streets.py --count 40 --out /tmp/s --workers 1
  python scripts/render_streets.py --ship data/streets_test   # the handful shipped for tests
"""
import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gr-semcom" / "python"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from semcom.data import data_dir  # noqa: E402
from semcom.data import streets as S  # noqa: E402

#: (scene, index) of the pairs shipped in data/streets_test
SHIP = (("simple_street_canyon_with_cars", 0), ("simple_street_canyon_with_cars", 1),
        ("etoile", 0), ("florence", 0))


def counts_for(total):
    """Images per scene for a set of ``total`` (proportional to SCENES[...]['count'])."""
    full = sum(c["count"] for c in S.SCENES.values())
    out = {k: int(round(total * c["count"] / full)) for k, c in S.SCENES.items()}
    out[next(iter(out))] += total - sum(out.values())
    return out


def _setup(threads=1):
    import drjit as dr
    import mitsuba as mi
    mi.set_variant("llvm_ad_rgb")
    dr.set_thread_count(threads)


def render_one(scene, seed, i, stem: Path):
    p = S.sample_params(scene, seed, i)
    img, lab = scene.render(p)
    Image.fromarray(img).save(stem.with_suffix(".png"), optimize=True)
    Image.fromarray(lab).save(stem.parent / (stem.name + "_label.png"), optimize=True)
    entry = dict(name=stem.name, index=i, seed=seed, split=scene.split_of(p["x"]),
                 counts=S.class_counts(lab).tolist(), params=p)
    stem.with_suffix(".json").write_text(json.dumps(entry))
    return entry


def _worker(args):
    name, todo, seed, out, threads, q = args
    _setup(threads)
    scene = S.StreetScene(name)
    for i in todo:
        render_one(scene, seed, i, out / name / f"{name}_{i:05d}")
        q.put(1)
    return name


def stem_of(out, name, i):
    return out / name / f"{name}_{i:05d}"


def write_manifest(out, counts):
    entries = []
    for name, n in counts.items():
        for i in range(n):
            f = stem_of(out, name, i).with_suffix(".json")
            if f.is_file():
                entries.append(dict(scene=name, **json.loads(f.read_text())))
    doc = dict(classes=list(S.CLASSES), palette=S.PALETTE.tolist(), size=[S.HEIGHT, S.WIDTH],
               test_band=S.TEST_BAND, counts=counts, images=entries)
    (out / "manifest.json").write_text(json.dumps(doc, indent=0))
    return doc


def ship(dest: Path, seed=0):
    """Render the handful of pairs committed for the tests into ``dest``."""
    _setup(1)
    dest.mkdir(parents=True, exist_ok=True)
    entries, scenes = [], {}
    for name, i in SHIP:
        if name not in scenes:
            scenes[name] = S.StreetScene(name)
        e = render_one(scenes[name], seed, i, dest / f"{name}_{i:05d}")
        (dest / f"{name}_{i:05d}.json").unlink()
        entries.append(dict(scene=name, **e))
    doc = dict(classes=list(S.CLASSES), size=[S.HEIGHT, S.WIDTH], images=entries)
    (dest / "streets_test.json").write_text(json.dumps(doc, indent=1))
    return doc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--count", type=int, default=3000, help="pairs in all (split over scenes)")
    ap.add_argument("--scenes", nargs="*", default=None, help="only these scenes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--threads", type=int, default=1, help="Dr.Jit threads per worker")
    ap.add_argument("--ship", type=Path, default=None, help="render the shipped test handful")
    a = ap.parse_args(argv)
    if a.ship:
        doc = ship(a.ship, a.seed)
        print(f"{len(doc['images'])} pairs in {a.ship}")
        return 0
    out = a.out or data_dir() / "cache" / "streets"
    counts = counts_for(a.count)
    if a.scenes:
        counts = {k: v for k, v in counts.items() if k in a.scenes}
    jobs = []
    for name, n in counts.items():
        (out / name).mkdir(parents=True, exist_ok=True)
        todo = [i for i in range(n) if not stem_of(out, name, i).with_suffix(".json").is_file()]
        for k in range(a.workers):
            if todo[k::a.workers]:
                jobs.append((name, todo[k::a.workers]))
    total = sum(len(t) for _, t in jobs)
    t0 = time.time()
    if total:
        from tqdm import tqdm
        ctx = mp.get_context("spawn")
        with ctx.Manager() as man:
            q = man.Queue()
            with ctx.Pool(a.workers) as pool:
                res = pool.map_async(_worker, [(n, t, a.seed, out, a.threads, q) for n, t in jobs],
                                     chunksize=1)
                with tqdm(total=total, unit="img", file=sys.stderr) as bar:
                    done = 0
                    while done < total:
                        if res.ready() and q.empty():
                            res.get()
                            break
                        try:
                            q.get(timeout=1)
                        except Exception:
                            continue
                        done += 1
                        bar.update(1)
                res.get()
    doc = write_manifest(out, counts)
    dt = time.time() - t0
    n_test = sum(e["split"] == "test" for e in doc["images"])
    print(f"{len(doc['images'])} pairs ({n_test} test) in {out}; rendered {total} in {dt:.0f} s"
          + (f" ({dt / total:.2f} s per image with {a.workers} workers)" if total else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
