"""semcom.data: the offline photograph set (manifest, cache, loaders, crops)."""
import json
import os

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
    assert len(names) == len(set(names)) >= 50
    test, train = data.list_images("test"), data.list_images("train")
    assert sorted(test) == sorted(data.TEST_IMAGES) and len(test) == 13
    assert not set(test) & set(train)
    assert sorted(test + train) == sorted(data.list_images("all")) == sorted(names)
    for e in entries:
        assert e["kind"] in ("deb", "pip", "wheel")
        assert len(e["sha256"]) == 64 and e["licence"] and e["package"] and e["path"]
    assert [e["name"] for e in data.SOURCES] == names
    with pytest.raises(ValueError):
        data.list_images("val")


def test_load_images_shapes_range_determinism(cache):
    a = data.load_images("test", size=32)
    assert a.shape == (13, 3, 32, 32) and a.dtype == torch.float32
    assert a.min() >= 0 and a.max() <= 1 and a.std() > 0.05
    assert torch.equal(a, data.load_images("test", size=32))
    b = data.load_images("test", size=32, mode="resize")
    assert b.shape == a.shape and not torch.equal(a, b)
    a[:] = 0  # callers get a copy, not the in-memory one
    assert data.load_images("test", size=32).max() > 0
    with pytest.raises(ValueError):
        data.load_images("test", size=32, mode="stretch")


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
