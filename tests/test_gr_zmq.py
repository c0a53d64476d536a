"""The ZMQ receiver flowgraph against a hostile or careless transmitter: garbage messages, valid
CRCs with hostile header fields, short payloads. The transmitter here is a plain pyzmq PUSH socket
that sends frames made by semcom.ota.FrameTransmitter (or anything else)."""
import signal
import subprocess
import time

import numpy as np
import pytest
import torch
import zmq
from flowgraphs import IMAGE, PY, REPO, env, free_port, read_stats, rss_mb, stop, wait_for

from semcom.codecs import get_codec
from semcom.csi import CSI
from semcom.ota import FrameTransmitter
from semcom.ota import images as imgs
from semcom.transport import Message, Stream

SIZE = 64
GAP = np.zeros(2000, np.complex64)


class Transmitter:
    """A PUSH socket bound on loopback, as the ZMQ TX flowgraph's sink is."""

    def __init__(self, port):
        self.socket = zmq.Context.instance().socket(zmq.PUSH)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.bind(f"tcp://127.0.0.1:{port}")
        self.tx = FrameTransmitter()

    def send_bytes(self, data: bytes):
        self.socket.send(data)

    def send_frame(self, message, scheme, seq):
        samples = np.concatenate([self.tx.frame(message, scheme, seq), GAP]).astype(np.complex64)
        for part in np.array_split(samples, 4):      # several messages per frame, as a sink sends
            self.socket.send(part.tobytes())

    def close(self):
        self.socket.close(linger=0)


def _valid(codec_spec="ota-test:factor=2"):
    codec = get_codec(codec_spec)
    with torch.no_grad():
        return codec.encode(imgs.load(IMAGE, SIZE), CSI.from_snr(15.0, 1))


def _start_rx(compiled, port, out, log, accept=""):
    cmd = [PY, str(compiled["semcom_zmq_rx"]), "--port", str(port), "--out-dir", str(out), "--snr", "20",
           "--cfo", "0.4", "--delay", "77", "--reference", IMAGE, "--size", str(SIZE)]
    if accept:
        cmd += ["--accept", accept]
    return subprocess.Popen(cmd, env=env(), stdout=log, stderr=subprocess.STDOUT, cwd=REPO)


def _images(out):
    return (read_stats(out / "stats.json") or {}).get("images", 0)


def test_three_byte_message_then_ten_frames_all_decoded(compiled, tmp_path):
    """The issue's case: a 3-byte message used to end GNU Radio's ZMQ source thread (nothing was
    decoded afterwards); now it is counted and skipped and all 10 frames that follow decode."""
    port, out = free_port(), tmp_path / "rx"
    log = open(tmp_path / "rx.log", "w")
    tx, rx = Transmitter(port), _start_rx(compiled, port, out, log)
    try:
        tx.send_bytes(b"\x01\x02\x03")
        message = _valid()
        for seq in range(10):
            tx.send_frame(message, "ota-test:factor=2", seq)
        st = wait_for(lambda: _images(out) >= 10 and read_stats(out / "stats.json"), 120, [rx])
        assert st, f"{read_stats(out / 'stats.json')}\n{(tmp_path / 'rx.log').read_text()[-3000:]}"
        assert [r["seq"] for r in st["frames"]] == list(range(10))
        assert all(r["psnr"] > 20 for r in st["frames"]), st["frames"]
        zs = wait_for(lambda: (s := read_stats(out / "zmq_stats.json")) and s["skipped"] and s, 10, [rx])
        assert zs["skipped_by"] == {"length": 1}, zs
    finally:
        tx.close()
        stop([rx], [log])


def _hostile(tx, seq):
    """Frames with valid CRCs and hostile fields, and messages that are not samples at all."""
    rng = np.random.default_rng(seq)
    small = {"a": Stream("analog", torch.randn(1, 64))}
    frames = [(small, (3, 8192, 8192), "ota-test"),            # 51 GB of image
              (small, (3, 65535, 65535), "ota-test"),
              (small, (3, 64, 64), "deepjscc:model_dir=/tmp"),  # a folder from the air
              (small, (3, 64, 64), "sc-sic:steps=100000"),      # unbounded decode time
              (small, (3, 64, 64), "no-such-scheme"),
              ({"a": Stream("analog", torch.randn(1, 4, 4, 4, 4, 4))}, (3, 64, 64), "ota-test")]  # rank 5
    for k, (streams, shape, scheme) in enumerate(frames):
        tx.send_frame(Message(streams, shape), scheme, seq + k)
    tx.send_bytes(b"\x00" * 3)
    tx.send_bytes(b"")
    tx.send_bytes(rng.bytes(8 * 1000 + 5))
    tx.send_bytes(np.full(4000, np.nan, np.complex64).tobytes())
    tx.send_bytes((rng.standard_normal(20000) * 1e30).astype(np.float32).tobytes())
    return seq + len(frames)


def test_hostile_transmitter_cannot_steer_the_receiver(compiled, tmp_path):
    """Oversized shapes, unknown schemes, decoder options from the air, bad messages: the
    receiver's memory stays within 10 % of what it was after valid frames, nothing is decoded for
    them, and every valid frame that follows decodes."""
    port, out = free_port(), tmp_path / "rx"
    log = open(tmp_path / "rx.log", "w")
    tx, rx = Transmitter(port), _start_rx(compiled, port, out, log, accept="ota-test;deepjscc;sc-sic")
    try:
        message = _valid()
        for seq in range(5):
            tx.send_frame(message, "ota-test:factor=2", seq)
        assert wait_for(lambda: _images(out) >= 5, 120, [rx]), (tmp_path / "rx.log").read_text()[-3000:]
        time.sleep(1.0)
        before = rss_mb(rx.pid)
        seq = 5
        for _ in range(5):
            seq = _hostile(tx, seq)
        for k in range(10):
            tx.send_frame(message, "ota-test:factor=2", seq + k)
        st = wait_for(lambda: _images(out) >= 15 and read_stats(out / "stats.json"), 180, [rx])
        assert st, f"{read_stats(out / 'stats.json')}\n{(tmp_path / 'rx.log').read_text()[-3000:]}"
        after = rss_mb(rx.pid)
        recv = st["receiver"]
        print(f"\nRSS {before:.0f} -> {after:.0f} MB; receiver {recv}")
        assert [r["seq"] for r in st["frames"] if "seq" in r][-10:] == list(range(seq, seq + 10))
        assert recv["rejected"] == 30 and recv["errors"] == 0, recv
        assert recv["rejected_by"] == {"image_size": 10, "option": 10, "scheme": 5, "stream_shape": 5}, recv
        assert recv["decode_errors"] == 0
        assert after < 1.10 * before, (before, after)
    finally:
        tx.close()
        stop([rx], [log])


def _clean_psnr(scheme) -> float:
    """PSNR of the scheme's own decode of its encoding, no channel (at the receiver's 20 dB the
    frames should come within a fraction of a dB of it)."""
    from semcom.metrics import psnr
    codec, x = get_codec(scheme), imgs.load(IMAGE, SIZE)
    with torch.no_grad():
        return float(psnr(x, codec.decode(codec.encode(x, CSI.from_snr(15.0, 1))))[0])


@pytest.mark.parametrize("scheme", ["jpeg2000-ldpc:channel_uses=300", "ota-test:factor=8"])
def test_short_payloads_over_the_zmq_pair(compiled, tmp_path, scheme):
    """Frames with a payload of a few OFDM symbols (fewer than the 9 the phase smoothing spans)
    used to fail inside the receiver; through the TX and RX flowgraphs they now decode."""
    port, out = free_port(), tmp_path / "rx"
    logs = [open(tmp_path / "rx.log", "w"), open(tmp_path / "tx.log", "w")]
    rx = _start_rx(compiled, port, out, logs[0])
    tx = subprocess.Popen([PY, str(compiled["semcom_zmq_tx"]), "--port", str(port), "--images", IMAGE,
                           "--size", str(SIZE), "--repeat", "0", "--interval", "0", "--samp-rate", "1e6",
                           "--scheme", scheme], env=env(), stdout=logs[1], stderr=subprocess.STDOUT, cwd=REPO)
    try:
        st = wait_for(lambda: _images(out) >= 3 and read_stats(out / "stats.json"), 120, [rx, tx])
        assert st, f"{read_stats(out / 'stats.json')}\n{(tmp_path / 'rx.log').read_text()[-3000:]}"
        frames = [r for r in st["frames"] if "seq" in r][:3]
        assert all(not r["failures"] for r in frames), frames
        assert st["receiver"]["errors"] == 0
        clean = _clean_psnr(scheme)
        print(f"\n{scheme}: PSNR {[r['psnr'] for r in frames]} dB, without a channel {clean:.2f} dB")
        assert all(r["psnr"] > clean - 1.0 for r in frames), (clean, frames)
    finally:
        if tx.poll() is None:
            tx.send_signal(signal.SIGKILL)
        stop([tx, rx], logs)
