"""The semcom CLI, called in-process through main(argv)."""
import json

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
