"""Flowgraphs: every .grc compiles; the loopback delivers what the simulation (send_message)
delivers; the ZMQ TX/RX pair survives a killed and restarted transmitter."""
import importlib.util
import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from flowgraphs import IMAGE, PY, REPO
from flowgraphs import env as _env
from flowgraphs import free_port as _free_port
from flowgraphs import read_stats as _stats
from flowgraphs import wait_for as _wait

SIZE = 64
# PSNR tolerance loopback vs simulation: the OTA receiver estimates the channel (LTF + header
# refit: ~N0/47 extra noise), tracks phase from pilots and estimates the SNR; perfect-CSI
# send_message does none of that. Expected gap ~0.1-0.2 dB; allowed 0.5 dB.
PSNR_TOL_DB = 0.5
LPIPS_TOL = 0.03

pytestmark = pytest.mark.skipif(shutil.which("grcc") is None, reason="grcc not installed")


def test_grcc_compiles_every_grc(compiled):
    assert len(compiled) == len(list((REPO / "grc").glob("*.grc")))


def _load(py: Path):
    spec = importlib.util.spec_from_file_location(py.stem, py)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _simulate(scheme, snr_db, draws):
    """The same scheme through send_message over AWGN (perfect CSI) -> (psnr list, images)."""
    from semcom.codecs import get_codec
    from semcom.csi import CSI
    from semcom.metrics import psnr
    from semcom.ota import images as imgs
    from semcom.transport import send_message
    codec = get_codec(scheme)
    ref = imgs.load(IMAGE, SIZE)
    out, ims = [], []
    g = torch.Generator().manual_seed(99)
    for _ in range(draws):
        with torch.no_grad():
            msg = codec.encode(ref, CSI.from_snr(snr_db, 1))
            rx, csi = send_message(msg, "awgn", snr_db, generator=g)
            im = codec.decode(rx, csi).clamp(0, 1)
        out.append(float(psnr(ref, im)[0]))
        ims.append(im)
    return out, ims, ref


def _lpips(ref, ims):
    try:
        from semcom.metrics import lpips
        return [float(lpips(ref, im)[0]) for im in ims]
    except Exception:  # weights not converted
        return None


@pytest.mark.parametrize("scheme,snr_db", [("ota-test:factor=1", 10.0),
                                           ("jpeg2000-ldpc:channel_uses=1024", 8.0),
                                           ("deepjscc", 10.0)])
def test_loopback_matches_send_message(compiled, tmp_path, scheme, snr_db):
    """The generated loopback flowgraph (TX -> channel with noise, CFO 1.3 subcarriers, delay 137
    -> RX), run headless in this process, delivers every image with the PSNR (and LPIPS) of the
    simulation at the same scheme/channel/SNR."""
    from gnuradio import gr
    from semcom.ota import images as imgs
    frames = 3
    mod = _load(compiled["semcom_loopback"])
    tb = mod.semcom_loopback(scheme=scheme, snr=snr_db, cfo=1.3, delay=137, image=IMAGE, size=SIZE,
                             out_dir=str(tmp_path), frames=frames, seed=5, lpips=0)
    assert isinstance(tb, gr.top_block)
    t = time.time()
    tb.start()
    tb.wait()
    elapsed = time.time() - t
    stats = json.loads((tmp_path / "stats.json").read_text())
    assert stats["receiver"]["decoded"] == frames and stats["images"] == frames, stats["receiver"]
    recs = stats["frames"]
    assert [r["seq"] for r in recs] == list(range(frames))
    assert all(abs(r["snr_est"] - snr_db) < 0.5 for r in recs), recs
    assert all(abs(r["cfo"] - 1.3) < 0.02 for r in recs), recs
    lb_psnr = [r["psnr"] for r in recs]
    sim_psnr, sim_ims, ref = _simulate(scheme, snr_db, frames)
    gap = np.mean(sim_psnr) - np.mean(lb_psnr)
    print(f"\n{scheme} @ {snr_db} dB: loopback PSNR {np.mean(lb_psnr):.3f} dB, send_message "
          f"{np.mean(sim_psnr):.3f} dB (gap {gap:+.3f} dB, tol {PSNR_TOL_DB}), run {elapsed:.1f} s")
    assert abs(gap) < PSNR_TOL_DB
    lb_ims = [imgs.load(r["file"]) for r in recs]
    lp_lb, lp_sim = _lpips(ref, lb_ims), _lpips(ref, sim_ims)
    if lp_lb is not None:
        print(f"LPIPS loopback {np.mean(lp_lb):.4f}, send_message {np.mean(lp_sim):.4f}")
        assert abs(np.mean(lp_lb) - np.mean(lp_sim)) < LPIPS_TOL


def _frames_after_restart(stats):
    seqs = [r["seq"] for r in stats["frames"] if "seq" in r]
    drop = next((i for i in range(1, len(seqs)) if seqs[i] < seqs[i - 1]), len(seqs))
    return len(seqs) - drop


def test_zmq_pair_survives_killed_transmitter(compiled, tmp_path):
    """ZMQ TX and RX as two processes: the image arrives; SIGKILL the TX and restart it: the RX
    keeps running, counts the restart (sequence went backwards) and resumes; a frame cut by the
    kill is dropped and counted lost."""
    port = _free_port()
    out = tmp_path / "rx"
    rx_cmd = [PY, str(compiled["semcom_zmq_rx"]), "--port", str(port), "--out-dir", str(out),
              "--snr", "15", "--cfo", "-1.1", "--delay", "333", "--reference", IMAGE, "--size", str(SIZE)]
    tx_cmd = [PY, str(compiled["semcom_zmq_tx"]), "--port", str(port), "--images", IMAGE,
              "--size", str(SIZE), "--repeat", "0", "--interval", "0", "--samp-rate", "1e6",
              "--scheme", "ota-test:factor=1"]
    env = _env()
    logs = {n: open(tmp_path / f"{n}.log", "w") for n in ("rx", "tx1", "tx2")}
    rx = subprocess.Popen(rx_cmd, env=env, stdout=logs["rx"], stderr=subprocess.STDOUT, cwd=REPO)
    tx = tx2 = None
    try:
        tx = subprocess.Popen(tx_cmd, env=env, stdout=logs["tx1"], stderr=subprocess.STDOUT, cwd=REPO)
        st = _wait(lambda: (s := _stats(out / "stats.json")) and s["images"] >= 3 and s, 120, [rx, tx])
        assert st, f"no images before the kill; rx log:\n{(tmp_path / 'rx.log').read_text()[-3000:]}"
        assert all(r.get("psnr", 0) > 20 for r in st["frames"] if "seq" in r), st["frames"]
        tx.send_signal(signal.SIGKILL)
        tx.wait(timeout=10)
        before = _stats(out / "stats.json")
        time.sleep(1.0)
        assert rx.poll() is None, "the receiver died with the transmitter"
        tx2 = subprocess.Popen(tx_cmd, env=env, stdout=logs["tx2"], stderr=subprocess.STDOUT, cwd=REPO)
        # the receiver may still be working through samples the killed TX queued, so wait for two
        # frames after the sequence went backwards rather than for a count of images
        st = _wait(lambda: (s := _stats(out / "stats.json")) and s["receiver"]["restarts"] >= 1
                   and s["images"] >= before["images"] + 2 and _frames_after_restart(s) >= 2 and s,
                   120, [rx, tx2])
        assert st, (f"no restart seen; stats {_stats(out / 'stats.json')}\nrx log:\n"
                    f"{(tmp_path / 'rx.log').read_text()[-3000:]}\ntx2 log:\n{(tmp_path / 'tx2.log').read_text()[-3000:]}")
        recv = st["receiver"]
        seqs = [r["seq"] for r in st["frames"] if "seq" in r]
        drop = next(i for i in range(1, len(seqs)) if seqs[i] < seqs[i - 1])  # restarted TX
        assert seqs[drop:drop + 2] == [0, 1], (seqs, recv)
        gaps = sum(max(0, b - a - 1) for a, b in zip(seqs[:drop], seqs[1:drop]))
        # lost = sequence gaps + frames cut mid-payload by the kill (their header was seen)
        assert recv["lost"] == gaps + recv["truncated"], (recv, seqs)
        assert recv["errors"] == 0, recv
        # At most one false alarm from the splice: S&C triggers the LTS refused between the last
        # frame of the killed transmitter and the first of the new one. (Elsewhere the image's
        # payload, the same in every frame, now and then triggers S&C with the noise: at sample
        # 163975 in every run, the noise being seeded; the LTS refuses it and no frame is lost to
        # it, as `lost` above shows.)
        timing = [r["timing"] for r in st["frames"] if "seq" in r]
        at_splice = [pos for pos, _ in recv["false_alarm_at"] if timing[drop - 1] < pos < timing[drop]]
        assert len(at_splice) <= 1, (recv, timing[drop - 1:drop + 1])
        print(f"\nZMQ: images {st['images']}, seqs {seqs}, receiver {recv}")
    finally:
        for p in (tx, tx2, rx):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM if p is rx else signal.SIGKILL)
        for p in (tx, tx2, rx):
            if p is not None:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        for f in logs.values():
            f.close()
