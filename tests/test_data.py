"""semcom.data: the offline photograph set (manifest, cache, loaders, crops)."""
import io
import json
import os
import shutil
import tarfile

import numpy as np
import pytest
import torch
from PIL import Image

from semcom import data


@pytest.fixture(scope="module")
def cache():
    return data.build_cache()  # no-op when scripts/prepare_data.py already built it


def test_manifest_and_fixed_split():
    entries = data.load_manifest()
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)) >= 300
    test, train = data.list_images("test"), data.list_images("train")
    assert sorted(test) == sorted(data.TEST_IMAGES) and len(test) >= 40
    assert set(data.TEST_IMAGES_V1) <= set(test)  # the v1 test images stay in test
    assert not set(test) & set(train)
    assert sorted(test + train) == sorted(data.list_images("all")) == sorted(names)
    for e in entries:
        assert e["kind"] in ("deb", "debfile", "pip", "wheel")
        assert len(e["sha256"]) == 64 and e["licence"] and e["package"] and e["path"]
        assert e["category"] in data.CATEGORIES and e["added"] in (1, 2)
        if e.get("member"):
            assert e["kind"] in ("deb", "debfile") and e["container"] == "qt-rcc"
    assert [e["name"] for e in data.SOURCES] == names
    info = data.manifest_info()
    assert info["format"] == 2 and info["version"] == data.MANIFEST_VERSION == max(
        e["added"] for e in entries)
    with pytest.raises(ValueError):
        data.list_images("val")
    with pytest.raises(ValueError):
        data.list_images("train", version=0)


def test_v1_split_can_be_reconstructed():
    """The shipped models were trained on the 46 v1 train images and measured on the 13 v1 test
    images: version=1 gives exactly those, in manifest order."""
    v1_test, v1_train = data.list_images("test", version=1), data.list_images("train", version=1)
    assert sorted(v1_test) == sorted(data.TEST_IMAGES_V1) and len(v1_test) == 13
    assert len(v1_train) == 46 and not set(v1_train) & set(data.list_images("test"))
    assert set(v1_train) < set(data.list_images("train"))
    assert data.list_images("test", version=2) == data.list_images("test")


def test_test_split_covers_the_categories():
    cats = {}
    for e in data.load_manifest():
        if e["split"] == "test":
            cats[e["category"]] = cats.get(e["category"], 0) + 1
    for c in ("people", "animals", "landscape", "objects", "architecture", "indoor"):
        assert cats.get(c, 0) >= 5, (c, cats)


def test_no_near_duplicates_in_the_set(cache):
    """The committed manifest has been through prepare_data.py --dedup: recomputing the
    perceptual hashes from the cache finds no near-duplicate pair, least of all across splits,
    and every dropped image is gone while what it duplicated is still there."""
    hashes = data.image_hashes()
    assert len(hashes) == len(data.list_images("all"))
    split = {e["name"]: e["split"] for e in data.load_manifest()}
    pairs = data.near_duplicates(hashes)
    assert not [p for p in pairs if split[p[0]] != split[p[1]]]
    assert pairs == []
    dropped = data.manifest_info().get("dropped", [])
    assert dropped, "the manifest records what --dedup removed"
    for r in dropped:
        assert r["name"] not in split and r["duplicate_of"] in split
        assert r["distance"] <= data.DEDUP_MAX_DISTANCE


def test_perceptual_hash_separates_copies_from_other_photos(cache):
    im = Image.open(data.image_path("gcw_panda")).convert("RGB")
    h = data.perceptual_hash(im)
    small = im.resize((im.width // 3, im.height // 3), Image.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, format="JPEG", quality=60)
    recompressed = Image.open(io.BytesIO(buf.getvalue()))
    assert data.hash_distance(h, data.perceptual_hash(recompressed)) <= 4
    w, hh = im.size
    cropped = im.crop((w // 40, hh // 40, w - w // 40, hh - hh // 40))
    assert data.hash_distance(h, data.perceptual_hash(cropped)) <= data.DEDUP_MAX_DISTANCE
    mirrored = im.transpose(Image.FLIP_LEFT_RIGHT)
    assert data.hash_distance(h, data.perceptual_hash(mirrored)) > data.DEDUP_MAX_DISTANCE
    assert data.perceptual_hash(mirrored, mirror=True) == h
    pairs = data.near_duplicates({"a": (h, data.perceptual_hash(im, mirror=True)),
                                  "b": (data.perceptual_hash(mirrored), h)})
    assert [p[:2] for p in pairs] == [("a", "b")]
    # the same image as an array and as a tensor hashes (almost) alike
    t = data.load_image("gcw_panda")
    assert data.hash_distance(h, data.perceptual_hash(t)) <= 2
    assert data.hash_distance(h, data.perceptual_hash(np.asarray(im))) == 0
    # different photographs are far apart
    for other in ("gcw_koala", "chelsea", "gce_red_panda", "coffee"):
        assert data.hash_distance(h, data.perceptual_hash(
            Image.open(data.image_path(other)))) > data.DEDUP_MAX_DISTANCE


def test_load_images_shapes_range_determinism(cache):
    a = data.load_images("test", size=32)
    assert a.shape == (len(data.TEST_IMAGES), 3, 32, 32) and a.dtype == torch.float32
    assert a.min() >= 0 and a.max() <= 1 and a.std() > 0.05
    assert torch.equal(a, data.load_images("test", size=32))
    b = data.load_images("test", size=32, mode="resize")
    assert b.shape == a.shape and not torch.equal(a, b)
    a[:] = 0  # callers get a copy, not the in-memory one
    assert data.load_images("test", size=32).max() > 0
    with pytest.raises(ValueError):
        data.load_images("test", size=32, mode="stretch")
    v1 = data.load_images("test", size=32, version=1)
    names = data.list_images("test")
    idx = [names.index(n) for n in data.list_images("test", version=1)]
    assert v1.shape == (13, 3, 32, 32)
    assert torch.equal(v1, data.load_images("test", size=32)[idx])


def test_random_crops_deterministic_and_seeded(cache):
    a = data.random_crops("train", size=48, n=40, seed=3)
    assert a.shape == (40, 3, 48, 48) and a.dtype == torch.float32
    assert a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, data.random_crops("train", size=48, n=40, seed=3))
    b = data.random_crops("train", size=48, n=40, seed=4)
    assert not torch.equal(a, b)
    # crops differ from each other (several images / positions / scales)
    assert (a.flatten(1)[:, None] - a.flatten(1)[None]).abs().amax(-1).triu(1)[0, 1:].min() > 0
    # flip=False: the same draws, unflipped
    c = data.random_crops("train", size=48, n=40, seed=3, flip=False)
    same = [torch.equal(a[i], c[i]) for i in range(40)]
    flipped = [torch.equal(a[i], c[i].flip(-1)) for i in range(40)]
    assert all(s or f for s, f in zip(same, flipped)) and 5 < sum(flipped) and not all(flipped)
    one = data.random_crops("test", size=16, n=4, seed=0, scales=(1.0,))
    assert one.shape == (4, 3, 16, 16)
    # version=1 draws from the 46 v1 train images only (what the shipped models saw)
    v1 = data.random_crops("train", size=16, n=30, seed=5, version=1)
    assert torch.equal(v1, data.random_crops("train", size=16, n=30, seed=5, version=1))
    assert not torch.equal(v1, data.random_crops("train", size=16, n=30, seed=5))
    assert len(data._pool("train", 1)) == 46
    assert len(data._pool("train")) == len(data.list_images("train"))
    with pytest.raises(ValueError):
        data.random_crops("train", size=16, n=2, seed=0, scales=(0.0,))


def test_load_image_by_name_and_path(cache, tmp_path):
    x = data.load_image("chelsea")
    assert x.shape == (1, 3, 300, 451) and 0 <= x.min() and x.max() <= 1
    assert data.load_image("chelsea", size=64).shape == (1, 3, 64, 64)
    assert data.load_image("chelsea", size=(40, 50)).shape == (1, 3, 40, 50)
    demo = data.demo_image_path()
    assert demo.is_file() and Image.open(demo).size == (256, 256)
    assert data.load_image(demo).shape == (1, 3, 256, 256)
    assert data.load_image(str(demo)).shape == (1, 3, 256, 256)
    # grey -> RGB with equal channels; RGBA transparency over white
    g = tmp_path / "grey.png"
    Image.fromarray(np.arange(200, dtype=np.uint8).reshape(10, 20), "L").save(g)
    gx = data.load_image(g)
    assert gx.shape == (1, 3, 10, 20) and torch.equal(gx[:, 0], gx[:, 2])
    r = tmp_path / "rgba.png"
    a = np.zeros((8, 8, 4), np.uint8)
    a[..., 0] = 255
    a[:4, :, 3] = 255
    Image.fromarray(a, "RGBA").save(r)
    rx = data.load_image(r)
    assert torch.allclose(rx[0, :, 0, 0], torch.tensor([1.0, 0, 0]))
    assert torch.allclose(rx[0, :, 7, 0], torch.ones(3))


def test_load_image_bad_files_raise_valueerror(tmp_path):
    raw = (tmp_path / "junk.jpg")
    raw.write_bytes(b"not an image at all" * 10)
    with pytest.raises(ValueError, match="junk.jpg"):
        data.load_image(raw)
    good = tmp_path / "good.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(good)
    cut = tmp_path / "truncated.jpg"
    cut.write_bytes(good.read_bytes()[:300])
    with pytest.raises(ValueError, match="truncated.jpg"):
        data.load_image(cut)
    f = tmp_path / "float.tif"
    Image.fromarray(np.ones((4, 4), np.float32), "F").save(f)
    with pytest.raises(ValueError, match="float.tif.*mode"):
        data.load_image(f)
    with pytest.raises(ValueError, match="missing.png"):
        data.load_image(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="no_such_name"):
        data.load_image("no_such_name")


def _small_manifest(tmp_path, mutate=None):
    entries = [e for e in data.load_manifest() if e["name"] in ("chelsea", "coffee", "raccoon")]
    assert len(entries) == 3
    if mutate:
        mutate(entries)
    p = tmp_path / "manifest.json"
    p.write_text(json.dumps({"format": 1, "images": entries}))
    return p


def test_build_cache_small_manifest_idempotent(tmp_path):
    m = _small_manifest(tmp_path)
    out = data.build_cache(manifest=m, cache=tmp_path / "cache")
    pngs = sorted((out / "images").glob("*.png"))
    assert [p.stem for p in pngs] == ["chelsea", "coffee", "raccoon"]
    assert Image.open(out / "images" / "raccoon.png").size == (1024, 768)
    mtimes = [p.stat().st_mtime_ns for p in pngs]
    data.build_cache(manifest=m, cache=tmp_path / "cache")  # up to date: nothing rewritten
    assert [p.stat().st_mtime_ns for p in pngs] == mtimes


def test_sha_mismatch_and_missing_source_are_reported(tmp_path):
    def bad_sha(entries):
        next(e for e in entries if e["name"] == "chelsea")["sha256"] = "0" * 64

    m = _small_manifest(tmp_path, bad_sha)
    with pytest.raises(data.SourceError, match=r"chelsea: SHA-256 .*pip install scikit-image"):
        data.build_cache(force=True, manifest=m, cache=tmp_path / "cache")
    assert not (tmp_path / "cache" / "images").exists()  # verified before writing anything

    def missing(entries):
        next(e for e in entries if e["name"] == "raccoon")["path"] = "/usr/share/no/such/face.dat"

    m = _small_manifest(tmp_path, missing)
    with pytest.raises(data.SourceError, match="raccoon.*apt-get install --no-install-recommends python3-scipy"):
        data.verify_sources(manifest=m, cache=tmp_path / "cache")


def test_data_dir_override(monkeypatch, tmp_path):
    monkeypatch.setenv("SEMCOM_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path and data.cache_dir() == tmp_path / "cache"
    assert data.manifest_path() == data.repo_root() / "data" / "manifest.json"  # fallback
    monkeypatch.delenv("SEMCOM_DATA")
    assert data.data_dir() == data.repo_root() / "data"
    assert os.path.isfile(data.manifest_path())


def _make_deb(path, files):
    """A minimal .deb (ar archive of debian-binary, control.tar.xz, data.tar.xz) holding
    ``files`` {absolute path: bytes}."""
    def tar_xz(members):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:xz") as tf:
            for name, raw in members.items():
                ti = tarfile.TarInfo("./" + name.lstrip("/"))
                ti.size = len(raw)
                tf.addfile(ti, io.BytesIO(raw))
        return buf.getvalue()

    parts = [("debian-binary", b"2.0\n"), ("control.tar.xz", tar_xz({"control": b"Package: x\n"})),
             ("data.tar.xz", tar_xz(files))]
    out = bytearray(b"!<arch>\n")
    for name, raw in parts:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(raw):<10}`\n".encode()
        out += raw + (b"\n" if len(raw) % 2 else b"")
    path.write_bytes(bytes(out))


def test_debfile_sources_read_from_downloaded_debs(cache, tmp_path):
    """kind 'debfile': the file is taken out of a .deb in cache/debs (here minimal .debs made of
    the real files, so nothing is downloaded), a Qt resource (.rcc) member is read by its path
    inside the container, and a 'rotate' entry is turned as its source's metadata says."""
    by = {e["name"]: e for e in data.load_manifest()}
    cat, pool2 = by["gcf_cat"], by["kpa_pool_2"]
    assert cat["kind"] == pool2["kind"] == "debfile" and cat["container"] == "qt-rcc"
    assert pool2["rotate"] == 270

    def src(e):
        return data._debroot(cache, e["package"], e["version"]) / e["path"].lstrip("/")

    c = tmp_path / "cache"
    (c / "debs").mkdir(parents=True)
    _make_deb(c / "debs" / "gcompris-qt-data_3.1-2_all.deb",
              {cat["path"]: src(cat).read_bytes(), "/usr/share/other/file.txt": b"x"})
    _make_deb(c / "debs" / "kphotoalbum_5.9.1-1_amd64.deb", {pool2["path"]: src(pool2).read_bytes()})
    m = tmp_path / "manifest.json"
    m.write_text(json.dumps({"format": 2, "version": 2, "images": [cat, pool2]}))
    out = data.build_cache(manifest=m, cache=c)
    # only the files that the manifest uses are taken out of a package
    root = out / "debroot" / "gcompris-qt-data" / "3.1-2"
    assert [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()] == \
        [cat["path"].lstrip("/")]
    assert np.array_equal(np.asarray(Image.open(out / "images" / "gcf_cat.png")),
                          np.asarray(Image.open(cache / "images" / "gcf_cat.png")))
    w, h = pool2["original_size"]
    assert Image.open(src(pool2)).size == (w, h) == (800, 600)
    rotated = Image.open(out / "images" / "kpa_pool_2.png")
    assert rotated.size == (h, w)
    # a wrong SHA-256 or a missing member is reported with the package and how to get it
    m.write_text(json.dumps({"images": [dict(cat, sha256="0" * 64)]}))
    with pytest.raises(data.SourceError, match=r"gcf_cat: SHA-256 .*gcompris-qt-data 3\.1-2.*"
                                               r"apt-get download gcompris-qt-data=3\.1-2"):
        data.verify_sources(manifest=m, cache=c)
    m.write_text(json.dumps({"images": [
        dict(cat, member=cat["member"].replace("cat.webp", "unicorn.webp"))]}))
    with pytest.raises(data.SourceError, match="has no member .*unicorn.webp"):
        data.verify_sources(manifest=m, cache=c, fetch=False)


def test_debfile_package_that_cannot_be_had_is_tried_once(tmp_path, monkeypatch):
    """A missing .deb is downloaded once per build, not once per photograph, and every
    photograph of it reports the error with the apt-get command that provides it."""
    cat = next(e for e in data.load_manifest() if e["name"] == "gcf_cat")
    entries = [dict(cat, name=f"x{i}", package="nosuchpkg", version="1:1.0-1") for i in range(3)]
    m = tmp_path / "manifest.json"
    m.write_text(json.dumps({"images": entries}))
    with pytest.raises(data.SourceError, match=r"x0: .*missing.*apt-get download nosuchpkg=1:1\.0-1"):
        data.verify_sources(manifest=m, cache=tmp_path / "cache", fetch=False)
    calls = []

    def no_registry(debs, pkg, ver):
        calls.append(pkg)
        raise data.SourceError(f"apt-get download {pkg}={ver} failed: E: Unable to locate package")

    monkeypatch.setattr(data, "_fetch_deb", no_registry)
    with pytest.raises(data.SourceError) as err:
        data.build_cache(manifest=m, cache=tmp_path / "cache")
    assert calls == ["nosuchpkg"]
    assert str(err.value).count("Unable to locate package") == 3
    assert not (tmp_path / "cache" / "images").exists()


def test_random_crops_can_name_their_photographs():
    """return_names gives the photograph of every crop: the same crops as without it, named in the
    order of the seeded draw (the first draw of numpy's generator picks the photographs)."""
    from semcom.data import list_images, random_crops
    crops = random_crops("test", 16, 6, seed=3, scales=(1.0,), flip=False)
    again, names = random_crops("test", 16, 6, seed=3, scales=(1.0,), flip=False, return_names=True)
    assert torch.equal(crops, again) and len(names) == 6 and set(names) <= set(list_images("test"))
    idx = np.random.default_rng(3).integers(0, len(list_images("test")), size=6)
    assert names == [list_images("test")[int(i)] for i in idx]
