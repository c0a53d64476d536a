"""The semcom CLI, called in-process through main(argv)."""
import json
from pathlib import Path

import pytest

from semcom.cli import _parse_snrs, cli, main

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert "Usage:" in capsys.readouterr().out


def test_info_prints_the_stack_versions(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for name in ("GNU Radio   3.10", "torch", "Sionna      2.", "diffusers", "numpy       1."):
        assert name in out


def test_link_digital_writes_table_json_and_png(tmp_path, capsys):
    js, png = tmp_path / "l.json", tmp_path / "l.png"
    assert main(["link", "--mcs", "qpsk-1/2", "--snr", "-1,4", "--bits", "600", "--batch", "16",
                 "--frames", "1", "--json", str(js), "--plot", str(png)]) == 0
    points = json.loads(js.read_text())["points"]
    assert points[0]["bler"] > 0.5 and points[1]["bler"] == 0.0  # below / above the LDPC waterfall
    assert all(p["undetected"] == 0 for p in points)
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert "bler" in capsys.readouterr().out


def test_link_analog_measures_the_snr(tmp_path):
    import torch
    from safetensors.torch import save_file
    src = tmp_path / "z.safetensors"
    save_file({"z": torch.randn(8, 4, 16, 16)}, str(src))
    js = tmp_path / "a.json"
    assert main(["link", "--mode", "analog", "--input", str(src), "--channel", "awgn", "--snr", "10",
                 "--json", str(js)]) == 0
    point = json.loads(js.read_text())["points"][0]
    assert abs(point["measured_snr_db"] - 10) < 0.2


def test_bad_arguments_give_clear_errors(capsys):
    assert main(["link", "--channel", "nope", "--snr", "1", "--frames", "1"]) == 2
    assert "unknown channel 'nope'" in capsys.readouterr().err
    assert main(["link", "--mcs", "qpsk-1/2", "--snr", "0:1:0"]) == 2
    assert main(["send", "/nonexistent.png", "-o", "/tmp/x"]) == 2


def test_snr_ranges_include_the_stop_value():
    assert _parse_snrs("0:10:2.5") == [0, 2.5, 5, 7.5, 10]
    assert _parse_snrs("1,5,10") == [1, 5, 10]


# The bad-input table: every case exits with status 2 and one line on stderr naming the problem,
# before any work starts (the files are made by the fixture below).
BAD_INPUT = [
    # (command line, words the message must hold)
    ("link --snr 0:1e7:1", "not a finite number in [-100, 100]"),
    ("link --snr 0:50:0.01", "5001 SNR points; at most 1000"),
    ("link --snr 0:inf:1", "stop inf dB"),
    ("link --snr nan", "SNR nan dB"),
    ("link --snr 1,inf", "SNR inf dB"),
    ("link --snr ,", "gives no SNR point"),
    ("link --snr 10:0:1", "gives no SNR point"),
    ("link --snr 0:1:2:3", "not start:stop"),
    ("link --snr abc", "not an SNR list or range"),
    ("link --snr 0:10:-1", "step must be positive"),
    ("link --frames 0", "'--frames': 0 is not in the range"),
    ("link --batch 0", "'--batch': 0 is not in the range"),
    ("link --bits 0", "'--bits': 0 is not in the range"),
    ("link --seed -1", "'--seed'"),
    ("link --mcs bogus --snr 1", "unknown MCS 'bogus'"),
    ("link --channel nope --snr 1", "unknown channel 'nope'"),
    ("link --mode analog --input {corrupt_st} --snr 1", "not a readable safetensors file"),
    ("link --mode analog --input {empty_st} --snr 1", "holds no tensor"),
    ("link --mode analog --input {nan_st} --snr 1", "holds NaN or Inf"),
    ("link --mode analog --input {bool_st} --snr 1", "not real numbers"),
    ("send demo --scheme deepjscc:foo=1", "unknown option 'foo' for scheme 'deepjscc'"),
    ("send demo --scheme nope", "unknown scheme 'nope'"),
    ("send demo --scheme deepjscc:model_dir", "is not key=value"),
    ("send demo --baseline jpeg2000-ldpc:chanel_uses=3", "unknown option 'chanel_uses'"),
    ("send demo --snr inf", "SNR inf dB"),
    ("send demo --snr nan", "SNR nan dB"),
    ("send demo --size -1", "'--size'"),
    ("send /nonexistent.png", "no such image file"),
    ("send no_such_name", "neither an image file nor a manifest image name"),
    ("send {corrupt_png} --baseline none", "unreadable or corrupt image"),
    ("send {text_file} --baseline none", "unreadable or corrupt image"),
    ("send {big_png} --baseline none", "megapixels, more than the 50 megapixels"),
    ("send demo --scheme deepjscc:model_dir={empty_dir} --baseline none", "no DeepJSCC model"),
    ("eval --runs 0", "'--runs' / '--draws': 0 is not in the range"),
    ("eval --metrics psnr,foo", "'foo' is not a per-image metric"),
    ("eval --set-metrics psnr", "'psnr' is not a set-level metric"),
    ("eval --schemes 'deepjscc;bogus'", "unknown scheme 'bogus'"),
    ("eval --schemes ';'", "no scheme given"),
    ("eval --channels awgn,bogus", "unknown channel 'bogus'"),
    ("eval --snr ''", "gives no SNR point"),
    ("eval --split nope", "'--split'"),
    ("eval --size 0", "'--size'"),
    ("eval --limit -1", "'--limit'"),
    ("eval --images '/nonexistent/*.png'", "no file matches"),
    ("replay /nonexistent/rec.sigmf-meta", "does not exist"),
    ("replay {text_file}", "does not exist"),
    ("replay {bad_meta}", "is not SigMF metadata"),
    ("replay {ci16_meta}", "datatype 'ci16_le'"),
    ("replay {shipped} --accept bogus", "accepted scheme 'bogus' is not registered"),
    ("replay {shipped} --scheme nope", "unknown scheme 'nope'"),
    ("replay {shipped} --max-cfo 0", "'--max-cfo'"),
    ("eval --draws 0", "'--runs' / '--draws': 0 is not in the range"),
    ("eval --workers 0", "'--workers': 0 is not in the range"),
    ("eval --engine bogus", "'--engine'"),
    ("eval --engine serial --workers 2", "--engine serial runs in this process"),
    ("eval --engine serial --address auto", "--engine serial runs in this process"),
    ("eval --address 'not an address'", "is not a Ray address"),
    ("eval --address host:99999", "is not a Ray address"),
    ("eval --task-rows 0", "'--task-rows': 0 is not in the range"),
    ("eval --keep-images -1", "'--keep-images'"),
    ("eval --store {text_file}", "is not a results store (not an SQLite file)"),
    ("eval --store {empty_dir}", "is a directory"),
    ("nosuchcommand", "No such command"),
    ("link --nosuchoption", "No such option"),
]


def test_the_ray_engine_without_ray_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path):
    import semcom.sweep.ray_engine as ray_engine
    monkeypatch.setattr(ray_engine, "ray_available", lambda: False)
    for extra in (["--workers", "2"], ["--engine", "ray"], ["--address", "auto"]):
        assert main(["eval", *extra, "-o", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "needs the 'ray' package" in err[0], err
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    import torch
    from PIL import Image
    from safetensors.torch import save_file

    from semcom import data
    d = tmp_path_factory.mktemp("bad")
    files = {"corrupt_st": d / "corrupt.safetensors", "empty_st": d / "empty.safetensors",
             "nan_st": d / "nan.safetensors", "bool_st": d / "bool.safetensors",
             "corrupt_png": d / "corrupt.png", "text_file": d / "notes.png", "big_png": d / "big.png",
             "empty_dir": d / "empty_model"}
    files["corrupt_st"].write_bytes(b"\x40\x00\x00\x00\x00\x00\x00\x00{\"a\": nonsense")
    save_file({}, str(files["empty_st"]))
    save_file({"z": torch.tensor([1.0, float("nan")])}, str(files["nan_st"]))
    save_file({"z": torch.tensor([True, False])}, str(files["bool_st"]))
    files["corrupt_png"].write_bytes(data.demo_image_path().read_bytes()[:3000])
    files["text_file"].write_text("not an image\n")
    Image.new("L", (10000, 6000)).save(files["big_png"])   # 60 MP, a few hundred bytes of PNG
    files["empty_dir"].mkdir()
    rec = Path(__file__).resolve().parents[1] / "data" / "recordings" / "ota_impairments.sigmf-meta"
    files["shipped"] = rec
    (d / "bad.sigmf-meta").write_text("{not json")
    (d / "bad.sigmf-data").write_bytes(b"")
    files["bad_meta"] = d / "bad.sigmf-meta"
    meta = json.loads(rec.read_text())
    meta["global"]["core:datatype"] = "ci16_le"
    (d / "ci16.sigmf-meta").write_text(json.dumps(meta))
    (d / "ci16.sigmf-data").write_bytes(b"\x00" * 16)
    files["ci16_meta"] = d / "ci16.sigmf-meta"
    return {k: str(v) for k, v in files.items()}


@pytest.mark.parametrize("command,message", BAD_INPUT, ids=[c for c, _ in BAD_INPUT])
def test_bad_input_is_one_line_and_exit_2(command, message, bad_files, capsys, tmp_path):
    import shlex
    argv = shlex.split(command.format(**bad_files))
    if argv[0] in ("send", "eval", "replay"):
        argv += ["-o", str(tmp_path / "out")]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), captured.err
    assert message in lines[0], lines[0]
    assert "Traceback" not in captured.err and not (tmp_path / "out").exists()
