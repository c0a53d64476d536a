"""SigMF: the shipped recording (made with all the impairments) replays to the images it was
recorded with; the recorder block writes a valid annotated recording; bad recordings are refused."""
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from semcom.cli import main
from semcom.ota import images as imgs
from semcom.ota.recording import read, replay, write_meta

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "data" / "recordings" / "ota_impairments"


def test_shipped_recording_is_small_valid_sigmf():
    from sigmf import sigmffile
    total = sum(p.stat().st_size for p in SHIPPED.parent.rglob("*") if p.is_file())
    assert total < 5 << 20
    rec = sigmffile.fromfile(str(SHIPPED.with_suffix(".sigmf-meta")))      # checks the sha512 too
    assert rec.get_global_field("core:sample_rate") == 10e6
    assert rec.get_captures()[0]["core:frequency"] == 2.45e9
    settings = rec.get_global_field("semcom:settings")
    assert settings["impairments"]["sco_ppm"] == 40 and settings["impairments"]["delay_spread"] == 3e-7
    ann = rec.get_annotations()
    assert [a["semcom:seq"] for a in ann] == list(range(12))
    assert all(a["semcom:payload_uses"] > 0 and a["semcom:overhead_uses"] > 0 for a in ann)


def test_shipped_recording_decodes_to_the_recorded_images(tmp_path):
    """Replayed offline, every annotated frame decodes where it was annotated, to the image the
    receiver produced while recording (pixel for pixel, within one level of rounding)."""
    meta = json.loads(SHIPPED.with_suffix(".sigmf-meta").read_text())
    ann = meta["annotations"]
    report = replay(SHIPPED, tmp_path)
    frames = report["frames"]
    assert [f["seq"] for f in frames] == [a["semcom:seq"] for a in ann]
    for f, a in zip(frames, ann):
        assert f["timing"] == a["core:sample_start"] and f["length"] == a["core:sample_count"]
        assert abs(f["snr_est"] - a["semcom:snr_est"]) < 1e-3
        got = imgs.load(str(tmp_path / f["file"]))
        want = imgs.load(str(SHIPPED.parent / a["semcom:image"]))
        assert float((got - want).abs().max()) <= 1 / 255 + 1e-6, f["seq"]


def test_recorder_block_writes_annotated_recording(tmp_path):
    """semcom.sigmf_sink beside semantic_rx: the data file holds exactly the receiver's samples and
    the metadata validates with the sigmf package."""
    from gnuradio import blocks, gr
    from sigmf import sigmffile

    from semcom.gr.semantic_rx import semantic_rx
    from semcom.gr.sigmf_sink import sigmf_sink
    samples, _ = read(SHIPPED)
    tb = gr.top_block()
    src = blocks.vector_source_c(np.asarray(samples[:40000]).tolist(), False)
    rx = semantic_rx(out_dir=str(tmp_path / "rx"), resume=False)
    rec = sigmf_sink(path=str(tmp_path / "rec"), samp_rate=10e6, center_freq=2.4e9, hardware="test",
                     settings='{"a": 1}', scheme="ota-test:factor=2")
    tb.connect(src, rx)
    tb.connect(src, rec)
    tb.msg_connect(rx, "images", rec, "frames")
    tb.run()
    data = np.fromfile(tmp_path / "rec.sigmf-data", np.complex64)
    assert np.array_equal(data, np.asarray(samples[:40000]))
    meta = sigmffile.fromfile(str(tmp_path / "rec.sigmf-meta"))
    assert meta.get_global_field("semcom:settings") == {"a": 1}
    for a in meta.get_annotations():      # whatever the receiver reported before stop
        assert a["core:label"].startswith("seq ")


def test_replay_cli_and_bad_recordings(tmp_path, capsys):
    assert main(["replay", str(SHIPPED.with_suffix(".sigmf-meta")), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "12 frames" in out and "decoded 12" in out
    bad = tmp_path / "bad"
    shutil.copy(SHIPPED.with_suffix(".sigmf-data"), bad.with_suffix(".sigmf-data"))
    write_meta(bad, 10e6)
    with open(bad.with_suffix(".sigmf-data"), "ab") as fh:
        fh.write(b"\x00\x01\x02")
    with pytest.raises(ValueError, match="not a whole number"):
        read(bad)
