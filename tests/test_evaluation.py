"""semcom eval: the results schema, failure scoring, determinism and the PNG outputs."""
import json

import pytest
import torch

from semcom import data
from semcom.cli import main
from semcom.evaluation import FAILURE_SCORES, SCHEMA, evaluate, save

import repo_scripts

SCHEME = "jpeg2000-ldpc:channel_uses=1024,mcs=qpsk-1/2"


@pytest.fixture(scope="module")
def images():
    return data.load_images("test", size=64, version=1)[:2]


@pytest.fixture(scope="module")
def results(images):
    return evaluate([SCHEME], ["awgn"], [-3.0, 8.0], images, ["a", "b"], runs=2,
                    metrics=["psnr", "lpips"], progress=False)


def test_one_row_per_image_and_run_in_one_schema(results):
    assert results["schema"] == SCHEMA
    assert len(results["rows"]) == 1 * 1 * 2 * 2 * 2  # schemes x channels x SNRs x runs x images
    row = results["rows"][0]
    for key in ("scheme", "channel", "snr_db", "image", "run", "channel_uses", "cbr", "bpp", "failure", "psnr", "lpips"):
        assert key in row
    assert all(r["channel_uses"] <= 1024 for r in results["rows"])


def test_below_the_cliff_every_image_fails_and_is_scored_as_sc_sic_does(results):
    low = [r for r in results["rows"] if r["snr_db"] == -3.0]
    high = [r for r in results["rows"] if r["snr_db"] == 8.0]
    assert all(r["failure"] == "crc" for r in low)
    assert all(r["psnr"] == FAILURE_SCORES["psnr"] and r["lpips"] == 1.0 for r in low)
    assert all(r["failure"] is None and r["psnr"] > 15 for r in high)
    curve = results["curves"][0]["results"]
    assert curve["delivered"] == [0.0, 1.0]


def test_a_rerun_with_the_same_seed_gives_the_same_numbers(images, results):
    again = evaluate([SCHEME], ["awgn"], [-3.0, 8.0], images, ["a", "b"], runs=2, metrics=["psnr", "lpips"],
                     progress=False)
    assert again["rows"] == results["rows"]


def test_save_writes_json_curves_and_grid(results, tmp_path):
    written = save(results, tmp_path)
    loaded = json.loads((tmp_path / "results.json").read_text())
    assert loaded["schema"] == SCHEMA and "_reconstructions" not in loaded
    for name in ("metrics_vs_snr.png", "metrics_vs_cbr.png", "grid.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"
    assert set(written) >= {"results", "grid"}


def test_the_eval_command_runs_a_grid(tmp_path, capsys):
    assert main(["eval", "--schemes", SCHEME, "--snr", "8", "--limit", "1", "--metrics", "psnr",
                 "-o", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert len(rows) == 1 and rows[0]["failure"] is None
    assert "wrote" in capsys.readouterr().out


def test_set_metrics_average_over_runs_to_one_value_per_snr(images, tmp_path):
    res = evaluate([SCHEME], ["awgn"], [-3.0, 8.0], images, ["a", "b"], runs=2, metrics=["psnr"],
                   set_metrics=["fid"], progress=False)
    fid = res["curves"][0]["results"]["fid"]
    assert len(fid) == 2 and len(res["sets"]) == 4
    assert fid[0] == 500.0  # nothing delivered below the cliff
    per_run = [e["fid"] for e in res["sets"] if e["snr_db"] == 8.0]
    assert fid[1] == pytest.approx(sum(per_run) / 2) and per_run[0] != 500.0
    save(res, tmp_path)  # one value per SNR plots without error


def test_scenario_paired_differences_match_a_hand_computation():
    """sim/sc_sic_seed000's Fig. 8a table: scheme minus reference over the (image, run) pairs that
    both decoded, per SNR; mean, standard error (ddof 1) and the number of pairs the scheme wins."""
    paired_differences = repo_scripts.load("sim/sc_sic_seed000/run.py").paired_differences
    diffs = {1.0: [-0.1, -0.2, 0.3, -0.05], 5.0: [0.02, 0.04]}
    rows = []
    for snr, ds in diffs.items():
        for k, d in enumerate(ds):
            image, run = f"im{k // 2}", k % 2
            rows.append({"scheme": "ref", "snr_db": snr, "image": image, "run": run, "lpips": 0.5})
            rows.append({"scheme": "new", "snr_db": snr, "image": image, "run": run, "lpips": 0.5 + d})
    rows.append({"scheme": "new", "snr_db": 5.0, "image": "unpaired", "run": 0, "lpips": 0.0})
    out = paired_differences({"rows": rows, "settings": {"snrs": [1.0, 5.0]}}, "new", "ref")
    assert [r["snr_db"] for r in out] == [1.0, 5.0]
    assert [r["pairs"] for r in out] == [4, 2]
    assert [r["wins"] for r in out] == [3, 0]
    assert out[0]["mean"] == pytest.approx(-0.0125)
    assert out[0]["stderr"] == pytest.approx(0.2174665 / 2, rel=1e-6)
    assert out[1]["mean"] == pytest.approx(0.03)
    assert out[1]["stderr"] == pytest.approx(0.01)
