"""Installing gr-semcom the GNU Radio way: CMake configure + install into a temporary prefix, then
a flowgraph compiled with grcc from the installed blocks alone and run on the installed package.

Needs cmake and GNU Radio's CMake configuration (Debian: ``gnuradio-dev``). Their absence FAILS
this test (with the apt line to fix it) rather than skipping it."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GR_CMAKE = Path("/usr/lib/x86_64-linux-gnu/cmake/gnuradio/GnuradioConfig.cmake")

FLOWGRAPH = """options:
  parameters: {id: semcom_install_check, title: install check, generate_options: no_gui, output_language: python,
    run: 'True', run_options: run, max_nouts: '0', realtime_scheduling: '', catch_exceptions: 'True'}
  states: {coordinate: [8, 8], rotation: 0, state: enabled}
blocks:
- name: src
  id: blocks_vector_source_x
  parameters: {type: complex, vector: '[1, -1, 1j, -1j] * 2000', repeat: 'False', tags: '[]', vlen: '1'}
  states: {coordinate: [8, 100], rotation: 0, state: enabled}
- name: ch
  id: semcom_channel
  parameters: {model: tdl-b, snr: '15', cfo: '0.001', delay: '3', coherence: '1000', samp_rate: 10e6,
    delay_spread: 100e-9, signal_power: '1.0', seed: '1'}
  states: {coordinate: [200, 100], rotation: 0, state: enabled}
- name: est
  id: semcom_snr_estimator
  parameters: {period: '32', reps: '4', threshold: '0.5', holdoff: '0'}
  states: {coordinate: [400, 100], rotation: 0, state: enabled}
- name: snk
  id: blocks_null_sink
  parameters: {type: complex, vlen: '1', num_inputs: '1', bus_structure_sink: '[[0,],]'}
  states: {coordinate: [400, 200], rotation: 0, state: enabled}
- name: tx
  id: semcom_digital_tx
  parameters: {mcs: 16qam-3/4, codeword_bits: '1944', fmt: bytes}
  states: {coordinate: [8, 300], rotation: 0, state: enabled}
- name: rx
  id: semcom_digital_rx
  parameters: {mcs: 16qam-3/4, codeword_bits: '1944', decoder: sionna, num_iter: '20', snr: '20', fmt: bytes, num_bits: '0'}
  states: {coordinate: [200, 300], rotation: 0, state: enabled}
- name: amap
  id: semcom_analog_mapper
  parameters: {}
  states: {coordinate: [8, 400], rotation: 0, state: enabled}
- name: demap
  id: semcom_analog_demapper
  parameters: {equalizer: mmse, shape: '[]'}
  states: {coordinate: [200, 400], rotation: 0, state: enabled}
- name: bytes_strobe
  id: blocks_message_strobe
  parameters: {msg: 'pmt.cons(pmt.make_dict(), pmt.init_u8vector(64, list(range(64))))', period: '100'}
  states: {coordinate: [8, 500], rotation: 0, state: enabled}
- name: floats_strobe
  id: blocks_message_strobe
  parameters: {msg: 'pmt.cons(pmt.make_dict(), pmt.init_f32vector(10, [0.5] * 10))', period: '100'}
  states: {coordinate: [8, 600], rotation: 0, state: enabled}
- name: dbg
  id: blocks_message_debug
  parameters: {en_uvec: 'True'}
  states: {coordinate: [400, 500], rotation: 0, state: enabled}
- name: snr_dbg
  id: blocks_message_debug
  parameters: {en_uvec: 'True'}
  states: {coordinate: [600, 100], rotation: 0, state: enabled}
connections:
- [bytes_strobe, strobe, tx, in]
- [floats_strobe, strobe, amap, in]
- [rx, out, dbg, store]
- [demap, out, dbg, store]
- [src, '0', ch, '0']
- [ch, '0', est, '0']
- [ch, '0', snk, '0']
- [est, snr, snr_dbg, store]
- [tx, out, rx, in]
- [amap, out, demap, in]
metadata: {file_format: 1}
"""


def _require(tool):
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: apt-get install cmake (scripts/setup.sh)")
    return path


def test_cmake_install_and_grcc_from_installed_blocks(tmp_path):
    cmake = _require("cmake")
    if not GR_CMAKE.exists():
        pytest.fail(f"GNU Radio's CMake configuration {GR_CMAKE} is missing: apt-get install gnuradio-dev "
                    "(add it to scripts/setup.sh's apt_packages)")
    build, prefix = tmp_path / "build", tmp_path / "prefix"
    run = lambda *cmd, **kw: subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)
    run(cmake, "-S", str(ROOT / "gr-semcom"), "-B", str(build), f"-DCMAKE_INSTALL_PREFIX={prefix}")
    run(cmake, "--build", str(build))
    out = run(cmake, "--install", str(build)).stdout
    assert "semcom_channel.block.yml" in out

    blocks_dir = prefix / "share/gnuradio/grc/blocks"
    installed = sorted(p.name for p in blocks_dir.glob("semcom_*.block.yml"))
    for name in ("channel", "analog_mapper", "analog_demapper", "digital_tx", "digital_rx", "snr_estimator",
                 "image_display"):
        assert f"semcom_{name}.block.yml" in installed
    site = next(prefix.glob("lib/python3*/*-packages"))
    assert (site / "semcom/gr/channel.py").exists() and (site / "gnuradio/semcom/__init__.py").exists()

    # grcc with only GNU Radio's own blocks and the installed ones: a clean HOME hides the
    # developer's ~/.gnuradio/config.conf (whose local_blocks_path points at the source tree).
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), GRC_BLOCKS_PATH=str(blocks_dir),
               PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}", QT_QPA_PLATFORM="offscreen")
    grc = tmp_path / "semcom_install_check.grc"
    grc.write_text(FLOWGRAPH)
    run(shutil.which("grcc") or "/usr/bin/grcc", "-o", str(tmp_path), str(grc), env=env)
    script = tmp_path / "semcom_install_check.py"
    assert "semcom.channel(" in script.read_text()

    # run it on the installed package: PYTHONPATH precedes the venv's editable path
    env["PYTHONPATH"] = str(site)
    where = run(sys.executable, "-c", "import semcom, gnuradio.semcom as g; print(semcom.__file__); print(g.__file__)",
                env=env).stdout.split()
    assert all(w.startswith(str(site)) for w in where), where
    # dbg stores both paths; only digital_rx's metadata has crc_ok. Under load the analog path can
    # deliver its messages first, so wait for two digital frames as well as four messages in all; the
    # digital frames go from tx to rx without a channel, so every one must pass its CRC.
    driver = (f"import sys, time; sys.path.insert(0, {str(tmp_path)!r}); import pmt\n"
              "from semcom_install_check import semcom_install_check as Top\n"
              "tb = Top(); tb.start(); t0 = time.time()\n"
              "metas = lambda: [pmt.to_python(pmt.car(tb.dbg.get_message(i))) for i in range(tb.dbg.num_messages())]\n"
              "digital = lambda: [m for m in metas() if 'crc_ok' in m]\n"
              "while (len(metas()) < 4 or len(digital()) < 2) and time.time() - t0 < 60: time.sleep(0.05)\n"
              "tb.stop(); tb.wait()\n"
              "print(sum(1 for m in digital() if m['crc_ok']), len(digital()), len(metas()), tb.est.snr())\n")
    ok, frames, total, snr = run(sys.executable, "-c", driver, env=env, timeout=120).stdout.split()[-4:]
    assert int(total) >= 4 and int(frames) >= 2 and int(ok) == int(frames) and float(snr) > 5, (ok, frames, total, snr)
