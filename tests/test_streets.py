"""The labelled street-scene set (issue 19): the shipped handful in data/streets_test.

Every shipped label map must match its image: each pair is re-rendered from its recorded view
parameters with ``semcom.data.streets`` and the label map must be identical, the image within a
small tolerance (PNG round trip is lossless; only floating-point differences are allowed).
"""
import json

import numpy as np
import pytest
from PIL import Image

from semcom import repo_root

pytest.importorskip("mitsuba")
pytest.importorskip("sionna.rt")

from semcom.data import streets as S  # noqa: E402

DIR = repo_root() / "data" / "streets_test"


def _doc():
    return json.loads((DIR / "streets_test.json").read_text())


def test_class_list_and_shipped_files():
    doc = _doc()
    assert doc["classes"] == list(S.CLASSES)
    assert len(S.CLASSES) >= 8
    assert doc["size"] == [128, 256]
    assert len(doc["images"]) >= 4
    for e in doc["images"]:
        for f in (DIR / f"{e['name']}.png", DIR / f"{e['name']}_label.png"):
            assert f.is_file() and f.stat().st_size < 50_000
        img = np.array(Image.open(DIR / f"{e['name']}.png"))
        lab = np.array(Image.open(DIR / f"{e['name']}_label.png"))
        assert img.shape == (128, 256, 3) and img.dtype == np.uint8
        assert lab.shape == (128, 256) and lab.max() < len(S.CLASSES)
        assert S.class_counts(lab).tolist() == e["counts"]
        # a street view: sky, road and buildings are all in it
        f = np.array(e["counts"]) / lab.size
        assert f[S.SKY] > 0.03 and f[S.ROAD] > 0.05
        assert f[S.BUILDING] + f[S.WINDOW] + f[S.ROOF] > 0.1
        # the image is not flat: every large class region has texture/shading
        for c in (S.ROAD, S.BUILDING):
            if (lab == c).sum() > 500:
                assert img[lab == c].std(0).mean() > 2.0


def test_sky_pixels_are_sky_coloured():
    """Label/colour consistency without rendering: sky pixels are brighter than road pixels."""
    for e in _doc()["images"]:
        img = np.array(Image.open(DIR / f"{e['name']}.png")).astype(float)
        lab = np.array(Image.open(DIR / f"{e['name']}_label.png"))
        assert img[lab == S.SKY].mean() > img[lab == S.ROAD].mean()


@pytest.fixture(scope="module")
def scenes():
    import drjit as dr
    import mitsuba as mi
    mi.set_variant("llvm_ad_rgb")
    dr.set_thread_count(1)
    return {}


def test_label_maps_match_images(scenes):
    """Re-render every shipped pair from its parameters: same labels, same image (+-2 levels)."""
    for e in _doc()["images"]:
        name = e["scene"]
        if name not in scenes:
            scenes[name] = S.StreetScene(name)
        img, lab = scenes[name].render(e["params"])
        ref_img = np.array(Image.open(DIR / f"{e['name']}.png"))
        ref_lab = np.array(Image.open(DIR / f"{e['name']}_label.png"))
        assert np.array_equal(lab, ref_lab), e["name"]
        diff = np.abs(img.astype(int) - ref_img.astype(int))
        assert diff.max() <= 2 and diff.mean() < 0.05, e["name"]
        assert scenes[name].split_of(e["params"]["x"]) == e["split"]
