"""Every shipped scheme on the same images, the same channel-use budget, the same channels.

For each resolution, the budget K is the channel uses of a reference scheme at that size
(256 px: SC-SIC's K = 2048; 64 px: DeepJSCC's K = 512). The schemes are found, not listed:

- every registered scheme (``semcom codecs``, except the ``ota-test`` codec) with its defaults, and
  every model folder ``models/<name>-<variant>/`` as ``<name>:model_dir=models/<name>-<variant>``;
- a scheme that takes a ``channel_uses`` option (the separation baselines, the capacity variants)
  is run with ``channel_uses=K``; any other is encoded once at the resolution and joins only if it
  sends exactly K channel uses (so DeepJSCC with c = 4 joins at 64 px and its c = 1 variant at 256
  px; a scheme that cannot encode the size is left out of it).

So a scheme registered later joins by its name. Channels: ``awgn``, ``rayleigh-block`` (ZF),
``tdl-a`` (OFDM, LS estimation, LMMSE) and ``rt-street`` (OFDM over Sionna RT's street canyon).
Metrics: LPIPS (alex), DISTS, PSNR, SSIM; failures score PSNR 0, SSIM 0, LPIPS 1, DISTS 1.

Every row lands in the results store (``--store``, default ``out/all_schemes/results.sqlite``): a
rerun computes only what is missing, a killed run resumes where it stopped, a larger grid reuses
the rows of a smaller one. The default grid is the part that runs here in about an hour; the full
comparison is

    .venv/bin/python sim/all_schemes/run.py --images 0 --snr 1:20:1 --draws 3 --workers 2

(0 images = the whole test split), or on a Ray cluster with ``--address HOST:PORT --workers N``.
The store lives in an ignored folder and goes with the machine; ``--seed-from
sim/all_schemes/results.json`` first adds the committed rows (those of the current code version
count), so a grid too long for one session grows across sessions: run, commit the rendered
folder, continue from it next time.
``--render-only`` re-renders this folder from the store; ``--check`` verifies that README.md's
leaderboard equals the one computed from the store (or, without the store, from results.json).
Run from the repository root:

    .venv/bin/python sim/all_schemes/run.py
"""
from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CHANNELS = ("awgn", "rayleigh-block", "tdl-a", "rt-street")
METRICS = ("lpips", "dists", "psnr", "ssim")
FIGURE_METRICS = ("lpips", "dists", "psnr")
REFERENCES = {256: "sc-sic", 64: "deepjscc"}    # resolution -> the scheme whose K is the budget
NOT_COMPARED = ("ota-test",)
README_MARK = "## Results"
DEFAULT_STORE = ROOT / "out" / "all_schemes" / "results.sqlite"


def candidates() -> list:
    """Registered schemes with their defaults, plus ``name:model_dir=models/name-*`` variants."""
    import semcom
    from semcom.codecs import codec_names
    out = []
    models = Path(semcom.models_dir())
    for name in codec_names():
        if name in NOT_COMPARED:
            continue
        out.append(name)
        for folder in sorted(models.glob(f"{name}-*")):
            if (folder / "config.json").is_file():
                out.append(f"{name}:model_dir={semcom.portable_path(folder)}")
    return out


def takes_channel_uses(spec: str) -> bool:
    from semcom.codecs import check_spec
    try:
        check_spec(f"{spec}{',' if ':' in spec else ':'}channel_uses=1")
        return True
    except ValueError:
        return False


def channel_uses(spec: str, image) -> int | None:
    """K that ``spec`` sends for ``image`` [1, 3, H, W]; None if it cannot encode it."""
    from semcom.codecs import get_codec
    from semcom.csi import CSI
    try:
        return int(get_codec(spec).encode(image, CSI.from_snr(10.0, 1)).channel_uses()[0])
    except (ValueError, RuntimeError, FileNotFoundError, OSError) as exc:
        print(f"  {spec}: cannot encode {tuple(image.shape[-2:])} ({type(exc).__name__}: {exc})", flush=True)
        return None


def schemes_at(size: int, image) -> tuple:
    """(K, [(spec, label)]) at this resolution."""
    k = channel_uses(REFERENCES[size], image)
    if k is None:
        raise SystemExit(f"the reference scheme {REFERENCES[size]} cannot encode {size} px")
    chosen = []
    for spec in candidates():
        if takes_channel_uses(spec):
            chosen.append(f"{spec}{',' if ':' in spec else ':'}channel_uses={k}")
        elif channel_uses(spec, image) == k:
            chosen.append(spec)
    return k, chosen


def build_grids(args):
    from semcom import data
    from semcom.sweep import Grid
    names_all = data.list_images("test", version=args.data_version)
    grids = []
    for size in args.sizes:
        images = data.load_images("test", size=size, version=args.data_version)
        names = list(names_all)
        if args.images:
            images, names = images[:args.images], names[:args.images]
        k, schemes = schemes_at(size, images[:1])
        if args.schemes:
            schemes = [s for s in schemes if any(s.startswith(p) for p in args.schemes)]
        print(f"{size} px, K = {k}: {'; '.join(schemes)}", flush=True)
        grids.append((size, k, Grid(schemes, list(args.channels), list(args.snr), images.contiguous(), names,
                                    draws=args.draws, seed=args.seed, metrics=METRICS,
                                    keep_images=1)))
    return grids


# -- views ---------------------------------------------------------------------------------------
def label(spec: str) -> str:
    from semcom.codecs import parse_spec
    name, options = parse_spec(spec)
    extra = [f"{k}={Path(str(v)).name if k == 'model_dir' else v}" for k, v in options.items() if k != "channel_uses"]
    return name + (f" ({', '.join(extra)})" if extra else "")


def complete_pairs(rows, schemes) -> set:
    """(image, draw) pairs every scheme has for every (channel, SNR) point of the rows' grid."""
    points = {(r["channel"], r["snr_db"]) for r in rows}
    have = {}
    for r in rows:
        have.setdefault((r["image"], r["run"]), set()).add((r["scheme"], r["channel"], r["snr_db"]))
    need = {(s, c, snr) for s in schemes for c, snr in points}
    return {p for p, got in have.items() if need <= got}


def leaderboard(groups) -> list:
    """One table per resolution: per scheme and channel, LPIPS / DISTS / PSNR averaged over the SNRs,
    the images and the draws that every scheme of the resolution has (paired), best LPIPS first."""
    tables = []
    for size, k, results in groups:
        rows, schemes = results["rows"], results["settings"]["schemes"]
        pairs = complete_pairs(rows, schemes)
        rows = [r for r in rows if (r["image"], r["run"]) in pairs]
        channels = results["settings"]["channels"]
        table = []
        for spec in schemes:
            cells, lp = [], []
            for ch in channels:
                sel = [r for r in rows if r["scheme"] == spec and r["channel"] == ch]
                if sel:
                    vals = [float(np.mean([r[m] for r in sel])) for m in FIGURE_METRICS]
                    cells.append(vals)
                    lp.append(vals[0])
                else:
                    cells.append(None)
            table.append({"scheme": spec, "label": label(spec), "cells": cells,
                          "mean_lpips": float(np.mean(lp)) if lp else math.inf})
        table.sort(key=lambda t: t["mean_lpips"])
        images = sorted({p[0] for p in pairs})
        draws = sorted({p[1] for p in pairs})
        tables.append({"size": size, "k": k, "channels": channels, "snrs": results["settings"]["snrs"],
                       "images": len(images), "draws": len(draws), "pairs": len(pairs), "rows": len(rows),
                       "table": table})
    return tables


def leaderboard_markdown(tables) -> str:
    lines = []
    for t in tables:
        lines += [f"### {t['size']}x{t['size']} px, K = {t['k']} channel uses (CBR 1/{3 * t['size'] ** 2 / t['k']:.0f})", "",
                  f"{t['images']} images x {t['draws']} draw(s) that every scheme has at every point "
                  f"({t['rows']} rows), SNR {', '.join(f'{s:g}' for s in t['snrs'])} dB; cells: LPIPS / DISTS / "
                  "PSNR [dB], means over SNRs, images and draws; rank by mean LPIPS over the channels.", "",
                  "| rank | scheme | " + " | ".join(t["channels"]) + " |",
                  "| --- | --- |" + " --- |" * len(t["channels"])]
        for i, row in enumerate(t["table"], 1):
            cells = [f"{c[0]:.3f} / {c[1]:.3f} / {c[2]:.2f}" if c else "-" for c in row["cells"]]
            lines.append(f"| {i} | {row['label']} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def plot_channel(groups, channel, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from semcom.sweep.views import _save_figure
    fig, axes = plt.subplots(1, len(FIGURE_METRICS), figsize=(4.4 * len(FIGURE_METRICS), 3.6), squeeze=False)
    styles = {256: "-", 64: "--"}
    for size, k, results in groups:
        for rec in results["curves"]:
            if rec["channel"] != channel:
                continue
            r = rec["results"]
            for ax, m in zip(axes[0], FIGURE_METRICS):
                pts = [(x, y) for x, y in zip(r["snr_db"], r[m]) if y is not None]
                if pts:
                    ax.plot(*zip(*pts), styles.get(size, ":"), marker="o", ms=3,
                            label=f"{label(rec['name'])}, {size} px, K={k}")
    for ax, m in zip(axes[0], FIGURE_METRICS):
        ax.set_xlabel(f"SNR [dB] ({channel})")
        ax.set_ylabel({"lpips": "LPIPS (alex)", "dists": "DISTS", "psnr": "PSNR [dB]"}[m])
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    _save_figure(fig, path)
    plt.close(fig)


def render(args, grids, store):
    """results.json (one semcom-eval/1 record per resolution), figures, grids, README table."""
    from semcom.sweep.views import _json, atomic_write, collect, image_grid
    groups, payload = [], {"schema": "semcom-all-schemes/1", "command": args.command, "resolutions": []}
    for size, k, grid in grids:
        results = collect(store, grid)
        groups.append((size, k, results))
        payload["resolutions"].append({"size": size, "channel_uses": k,
                                       **json.loads(_json(results))})
        for channel in grid.channels:
            keys = [(s, channel) for s in grid.schemes]
            image_grid(results, HERE / f"grid_{channel}_{size}px.png", keys=keys,
                       title=f"{grid.image_names[0]}, {channel}, {size} px, K = {k} (draw 0)")
            _palette(HERE / f"grid_{channel}_{size}px.png")
    for channel in args.channels:
        plot_channel(groups, channel, HERE / f"metrics_{channel}.png")
    tables = leaderboard(groups)
    payload["leaderboard"] = tables
    atomic_write(HERE / "results.json", json.dumps(payload, indent=1, default=_jsonable))
    done = sum(r["settings"]["rows_done"] for _, _, r in groups)
    total = sum(r["settings"]["rows_total"] for _, _, r in groups)
    counts = store.counts()
    md = leaderboard_markdown(tables)
    head = (f"Rendered from the store by `{args.command}`: {done} of {total} rows of the grid "
            f"({'complete' if done == total else 'incomplete: a rerun continues it'}); the store held "
            f"{counts['rows']} rows from {counts['computations']} computations, {counts['duplicates']} computed twice.\n")
    cost_rows = store.con.execute(
        "SELECT r.scheme, COUNT(*), AVG(c.seconds), SUM(c.seconds) FROM computations c JOIN rows r "
        "ON r.key = c.row_key WHERE c.seconds IS NOT NULL GROUP BY r.scheme ORDER BY r.scheme").fetchall()
    costs = ("### What the rows cost\n\nWall time per row on the workers, from the store's computation log "
             "(this shared 2-core machine, other jobs running: an upper bound of a free core's time):\n\n"
             "| scheme | rows | mean s/row | total s |\n| --- | --- | --- | --- |\n"
             + "".join(f"| {s} | {n} | {m:.2f} | {t:.0f} |\n" for s, n, m, t in cost_rows))
    figures = "\n".join(f"![{c}](metrics_{c}.png)" for c in args.channels)
    grids_md = "\n".join(f"![grid {c} {s}](grid_{c}_{s}px.png)" for s, _, g in grids for c in g.channels)
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else ""
    top = text.split(README_MARK)[0] if README_MARK in text else "# All schemes\n\n" + __doc__.strip() + "\n\n"
    atomic_write(readme, top + README_MARK + "\n\n" + head + "\n" + LEADER_BEGIN + "\n" + md + LEADER_END + "\n\n"
                 + "### Figures (LPIPS, DISTS, PSNR against SNR; solid 256 px, dashed 64 px)\n\n" + figures
                 + "\n\n### Image grids (the first test image, draw 0)\n\n" + grids_md + "\n\n" + costs)
    root = ROOT / "README.md"
    if root.exists() and LEADER_BEGIN in root.read_text():
        text = root.read_text()
        before, rest = text.split(LEADER_BEGIN, 1)
        after = rest.split(LEADER_END, 1)[1]
        atomic_write(root, before + LEADER_BEGIN + "\n" + head + "\n" + md + LEADER_END + after)
    return md, done, total


LEADER_BEGIN, LEADER_END = "<!-- leaderboard: generated from the store -->", "<!-- end of leaderboard -->"


def _jsonable(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return str(v)


def _palette(path):
    from PIL import Image
    if path.exists():
        with Image.open(path) as im:
            im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                       dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)


def readme_leaderboard(path: Path = HERE / "README.md") -> str:
    """The leaderboard tables between the markers (without the line on the store's state)."""
    text = path.read_text().split(LEADER_BEGIN)[1].split(LEADER_END)[0]
    return text[text.index("### "):] if "### " in text else text.strip()


def _parse_snrs(text):
    from semcom.cli import _parse_snrs
    return _parse_snrs(text)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="64,256", help="resolutions (each with its reference budget)")
    p.add_argument("--channels", default=",".join(CHANNELS))
    p.add_argument("--snr", default="1,5,10,15,20", help="SNR list or start:stop:step [dB] (full: 1:20:1)")
    p.add_argument("--images", type=int, default=2, help="first N test images (0: the whole split)")
    p.add_argument("--draws", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--schemes", default="", help="only the specs starting with one of these (comma-separated)")
    p.add_argument("--data-version", type=int, default=None, help="semcom.data manifest version (default: current)")
    p.add_argument("--store", default=str(DEFAULT_STORE))
    p.add_argument("--workers", type=int, default=2, help="Ray actors (1: serial, no Ray)")
    p.add_argument("--address", default=None, help="Ray cluster address")
    p.add_argument("--task-rows", type=int, default=5)
    p.add_argument("--fresh", action="store_true")
    p.add_argument("--seed-from", default="", metavar="RESULTS_JSON",
                   help="first add to the store the rows of a results.json it lacks (this folder's, committed: "
                        "a sweep continues on another machine; rows of another code version are not reused)")
    p.add_argument("--render-only", action="store_true", help="only render this folder from the store")
    p.add_argument("--no-render", action="store_true", help="only fill the store (tests, kill tests)")
    p.add_argument("--check", action="store_true", help="README.md's leaderboard equals the store's")
    args = p.parse_args(argv)
    args.command = ".venv/bin/python sim/all_schemes/run.py" + (
        " " + shlex.join(sys.argv[1:] if argv is None else argv) if (sys.argv[1:] if argv is None else argv) else "")
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.channels = [c for c in args.channels.split(",") if c]
    args.snr = _parse_snrs(args.snr)
    args.schemes = [s for s in args.schemes.split(",") if s]
    if args.data_version is None:
        from semcom.data import manifest_info
        args.data_version = int(manifest_info()["version"])
    from semcom.sweep import ResultStore, run
    from semcom.sweep.views import collect
    if args.check and not Path(args.store).exists():
        data = json.loads((HERE / "results.json").read_text())
        md = leaderboard_markdown(data["leaderboard"])
        ok = md == readme_leaderboard() == readme_leaderboard(ROOT / "README.md")
        print("README leaderboard matches results.json" if ok else "README leaderboard differs from results.json")
        return 0 if ok else 1
    grids = build_grids(args)
    store = ResultStore(args.store)
    try:
        if args.check:
            tables = leaderboard([(s, k, collect(store, g, False))
                                  for s, k, g in grids])
            ok = leaderboard_markdown(tables) == readme_leaderboard() == readme_leaderboard(ROOT / "README.md")
            print("README leaderboard matches the store" if ok else "README leaderboard differs from the store")
            return 0 if ok else 1
        if args.seed_from:
            doc = json.loads(Path(args.seed_from).read_text())
            for record in doc.get("resolutions", [doc]):
                got = store.import_record(record, source=args.seed_from)
                print(f"{args.seed_from}: {record.get('size', '')} px: {got['imported']} rows imported, "
                      f"{got['present']} already in the store", flush=True)
        start = time.time()
        if not args.render_only:
            engine = "ray" if (args.workers > 1 or args.address) else "serial"
            for size, k, grid in grids:
                report = run(grid, store, engine=engine, workers=args.workers, address=args.address,
                             fresh=args.fresh, task_rows=args.task_rows, command=args.command)
                print(f"{size} px: {report['computed']} rows computed, {report['skipped']} already stored "
                      f"({report['seconds']:.0f} s)", flush=True)
        if not args.no_render:
            md, done, total = render(args, grids, store)
            print(md)
            print(f"{done} of {total} rows; {time.time() - start:.0f} s; counts {store.counts()}")
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
