"""GNU Radio blocks of gr-semcom (semcom.gr): bit-exactness against the core, channel statistics,
split-independence, SNR estimation, the Qt display offscreen."""
import os
import json
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pmt
import pytest
import torch
from gnuradio import blocks, gr, pdu

from semcom.gr import analog_demapper, analog_mapper, channel, digital_rx, digital_tx, snr_estimator
from semcom.gr.channel import ChannelModel
from semcom.phy import AnalogDemapper, AnalogMapper, DigitalReceiver

TAG = "packet_len"


def _pdu(meta, vec):
    return pmt.cons(pmt.to_pmt(meta), pmt.to_pmt(vec))


def _wait(cond, timeout=60.0):
    t0 = time.time()
    while not cond():
        if time.time() - t0 > timeout:
            raise TimeoutError("flowgraph produced too little")
        time.sleep(0.01)


def _messages(dbg):
    return [dbg.get_message(i) for i in range(dbg.num_messages())]


def _unpack(msg):
    return pmt.to_python(pmt.car(msg)), pmt.to_python(pmt.cdr(msg))


def test_analog_mapper_demapper_bit_identical_to_core():
    rng = np.random.default_rng(0)
    tensors = [rng.standard_normal((4, 7, 5)).astype(np.float32), rng.standard_normal(33).astype(np.float32) * 3]
    tb = gr.top_block()
    mapper, demapper = analog_mapper(), analog_demapper(equalizer="zf")
    sym_dbg, out_dbg = blocks.message_debug(), blocks.message_debug()
    tb.msg_connect(mapper, "out", demapper, "in")
    tb.msg_connect(mapper, "out", sym_dbg, "store")
    tb.msg_connect(demapper, "out", out_dbg, "store")
    tb.start()
    for z in tensors:
        mapper._post(pmt.intern("in"), _pdu({"shape": list(z.shape)}, z.reshape(-1)))
    _wait(lambda: out_dbg.num_messages() == len(tensors))
    tb.stop(); tb.wait()
    for z, sm, om in zip(tensors, _messages(sym_dbg), _messages(out_dbg)):
        x_ref, scale_ref = AnalogMapper()(torch.from_numpy(z)[None])
        meta, x = _unpack(sm)
        assert np.array_equal(x, x_ref[0].numpy()) and meta["scale"] == float(scale_ref[0])
        assert abs(np.mean(np.abs(x) ** 2) - 1) < 1e-5
        z_ref = AnalogDemapper()(x_ref, scale_ref, z.shape)
        meta, zz = _unpack(om)
        assert meta["shape"] == list(z.shape)
        assert np.array_equal(zz, z_ref[0].numpy().reshape(-1))
        np.testing.assert_allclose(zz, z.reshape(-1), atol=1e-5)


def test_analog_demapper_equalizes_with_metadata_gain():
    z = np.random.default_rng(1).standard_normal(64).astype(np.float32)
    x, meta = analog_mapper().map(z)
    h = np.complex64(0.3 - 0.8j)
    meta.update(gain=h, noise_var=0.01)
    for eq in ("zf", "mmse"):
        zz, m = analog_demapper(equalizer=eq).demap(x * h, meta)
        tol = 1e-5 if eq == "zf" else 0.05 * np.abs(z).max()
        np.testing.assert_allclose(zz, z, atol=tol)
        assert m["noise_var"] == pytest.approx(0.01 / abs(h) ** 2 if eq == "zf" else 0.01 / (abs(h) ** 2 + 0.01), rel=1e-4)


def test_digital_tx_channel_rx_matches_core_and_flags_failures():
    mcs, nbytes = "16qam-1/2", 250
    rng = np.random.default_rng(2)
    payloads = [rng.integers(0, 256, nbytes, dtype=np.uint8) for _ in range(4)]
    tb = gr.top_block()
    tx = digital_tx(mcs=mcs)
    rx = digital_rx(mcs=mcs, decoder="fast", snr=12.0)
    ch = channel(model="awgn", snr=12.0, seed=5)
    to_stream = pdu.pdu_to_tagged_stream(gr.types.complex_t, TAG)
    to_pdu = pdu.tagged_stream_to_pdu(gr.types.complex_t, TAG)
    sym_dbg, out_dbg = blocks.message_debug(), blocks.message_debug()
    tb.msg_connect(tx, "out", to_stream, "pdus")
    tb.connect(to_stream, ch, to_pdu)
    tb.msg_connect(to_pdu, "pdus", rx, "in")
    tb.msg_connect(to_pdu, "pdus", sym_dbg, "store")
    tb.msg_connect(rx, "out", out_dbg, "store")
    tb.start()
    for p in payloads[:2]:
        tx._post(pmt.intern("in"), _pdu({"seq": 1}, p))
    _wait(lambda: out_dbg.num_messages() == 2)
    ch.set_snr(0.0)   # run-time change, as a GRC slider does
    rx.set_snr(0.0)
    for p in payloads[2:]:
        tx._post(pmt.intern("in"), _pdu({"seq": 2}, p))
    _wait(lambda: out_dbg.num_messages() == 4)
    tb.stop(); tb.wait()
    core = DigitalReceiver(mcs, decoder="fast")
    for i, (p, sm, om) in enumerate(zip(payloads, _messages(sym_dbg), _messages(out_dbg))):
        smeta, y = _unpack(sm)
        meta, data = _unpack(om)
        assert smeta["num_bits"] == 8 * nbytes and smeta["seq"] == meta["seq"]
        snr = 12.0 if i < 2 else 0.0
        bits, ok = core(torch.from_numpy(y)[None], 10 ** (-snr / 10), num_bits=8 * nbytes)
        assert np.array_equal(data, np.packbits(bits[0].numpy().astype(np.uint8)))
        assert np.array_equal(meta["block_ok"], ok[0].numpy().astype(np.uint8))
        assert meta["noise_var_source"] == "param"
        if i < 2:
            assert meta["crc_ok"] and meta["block_ok"].all() and np.array_equal(data, p)
        else:
            assert not meta["crc_ok"] and not meta["block_ok"].any()


def test_digital_rx_noise_variance_precedence():
    rx = digital_rx(mcs="qpsk-1/2", snr=3.0)
    assert rx.noise_var({}) == (pytest.approx(10 ** -0.3), "param")
    rx.handle_snr(pmt.to_pmt({"snr": 20.0, "offset": 5}))
    assert rx.noise_var({}) == (pytest.approx(0.01), "snr_port")
    assert rx.noise_var({"noise_var": 0.5}) == (0.5, "meta")
    x, meta = digital_tx(mcs="qpsk-1/2", fmt="bits").modulate(np.ones(100, np.uint8))
    data, m = digital_rx(mcs="qpsk-1/2", fmt="bits", decoder="sionna").demodulate(x, meta)
    assert m["crc_ok"] and data.tolist() == [1] * 100


def test_channel_snr_and_rayleigh_power():
    rng = np.random.default_rng(3)
    n = 200_000
    x = ((rng.integers(0, 2, n) * 2 - 1) + 1j * (rng.integers(0, 2, n) * 2 - 1)).astype(np.complex64) / np.sqrt(2)
    for snr in (0.0, 10.0, 25.0):
        y = ChannelModel("awgn", snr=snr, seed=1).process(x)
        measured = 10 * np.log10(np.mean(np.abs(x) ** 2) / np.mean(np.abs(y - x) ** 2))
        assert abs(measured - snr) < 0.3, (snr, measured)
    h = ChannelModel("rayleigh", snr=300, coherence=1, seed=2).process(np.ones(n, np.complex64))
    assert abs(np.mean(np.abs(h) ** 2) - 1) < 0.02
    blockwise = ChannelModel("rayleigh", snr=300, coherence=100, seed=2).process(np.ones(10_000, np.complex64))
    assert np.allclose(blockwise.reshape(100, 100), blockwise.reshape(100, 100)[:, :1], atol=1e-6)
    # CFO: a 1/64 cycles-per-sample rotation, phase continuous across calls
    c = ChannelModel("awgn", snr=300, cfo=1 / 64, seed=0)
    y = np.concatenate([c.process(np.ones(100, np.complex64)), c.process(np.ones(28, np.complex64))])
    np.testing.assert_allclose(y, np.exp(2j * np.pi * np.arange(128) / 64), atol=1e-5)
    # integer delay
    y = ChannelModel("awgn", snr=300, delay=7, seed=0).process(x[:100])
    np.testing.assert_allclose(y[7:], x[:93], atol=1e-6)


@pytest.mark.parametrize("profile", ["tdl-a", "tdl-d"])
def test_tdl_tap_powers_match_sionna_pdp(profile):
    period, draws = 128, 640
    c = ChannelModel(profile, snr=300, coherence=period, samp_rate=10e6, delay_spread=300e-9, seed=4)
    assert c.num_taps < period
    x = np.zeros(period * draws, np.complex64)
    x[::period] = 1
    taps = c.process(x).reshape(draws, period)[:, :c.num_taps]
    measured = np.mean(np.abs(taps) ** 2, axis=0)
    expected = c.expected_tap_powers()
    assert abs(measured.sum() - expected.sum()) < 0.1 * expected.sum()
    strong = expected > 0.05
    np.testing.assert_allclose(measured[strong], expected[strong], rtol=0.2)
    assert np.abs(measured - expected).max() < 0.05


def test_fir_continuous_across_splits_and_seed_reproducible():
    rng = np.random.default_rng(5)
    n = 20_000
    x = (rng.standard_normal(n) + 1j * rng.standard_normal(n)).astype(np.complex64)
    static = ChannelModel("tdl-c", snr=300, coherence=0, samp_rate=20e6, delay_spread=100e-9, seed=6)
    cuts = np.sort(rng.integers(0, n, 40))
    y = np.concatenate([static.process(p) for p in np.split(x, cuts)])
    np.testing.assert_allclose(y, np.convolve(x, static._taps[0])[:n], atol=2e-5)
    # through a flowgraph, whatever the scheduler's splits
    tb = gr.top_block()
    src, snk = blocks.vector_source_c(x.tolist()), blocks.vector_sink_c()
    blk = channel(model="tdl-c", snr=300, coherence=0, samp_rate=20e6, delay_spread=100e-9, seed=6)
    blk.set_max_noutput_items(777)
    tb.connect(src, blk, snk)
    tb.run()
    np.testing.assert_allclose(np.array(snk.data()), np.convolve(x, blk.core._taps[0])[:n], atol=2e-5)
    # seed: same stream for any split, fading and noise included; another seed differs
    kw = dict(snr=5, cfo=0.01, coherence=333, samp_rate=20e6, delay_spread=100e-9)
    for model in ("rayleigh", "tdl-b"):
        a = ChannelModel(model, seed=7, **kw).process(x)
        b_model = ChannelModel(model, seed=7, **kw)
        b = np.concatenate([b_model.process(p) for p in np.split(x, np.sort(rng.integers(0, n, 25)))])
        np.testing.assert_allclose(a, b, atol=1e-5)
        assert not np.allclose(a, ChannelModel(model, seed=8, **kw).process(x), atol=1e-2)


def _preamble():
    try:
        from semcom.ota.preamble import HALF, STF, WINDOW
        return STF, HALF, WINDOW // HALF + 1
    except ImportError:  # until the OTA frame lands: 5 periods of 32 samples
        rng = np.random.default_rng(0x57F)
        seq = ((rng.choice([-1, 1], 32) + 1j * rng.choice([-1, 1], 32)) / np.sqrt(2)).astype(np.complex64)
        return np.tile(seq, 5), 32, 4


def test_snr_estimator_at_10_db():
    stf, period, reps = _preamble()
    assert (period, reps) == (32, 4)  # the block's defaults match the OTA preamble
    stf = stf / np.sqrt(np.mean(np.abs(stf) ** 2))
    rng = np.random.default_rng(8)
    qpsk = lambda k: ((rng.choice([-1, 1], k) + 1j * rng.choice([-1, 1], k)) / np.sqrt(2)).astype(np.complex64)
    count = 60
    x = np.concatenate([np.concatenate([qpsk(int(rng.integers(300, 700))), stf, qpsk(400)]) for _ in range(count)])
    tb = gr.top_block()
    src = blocks.vector_source_c(x.tolist())
    ch = channel(model="awgn", snr=10.0, cfo=0.003, seed=9)
    est = snr_estimator()
    dbg = blocks.message_debug()
    rx = digital_rx(mcs="qpsk-1/2", snr=-5.0)
    tb.connect(src, ch, est)
    tb.msg_connect(est, "snr", dbg, "store")
    tb.msg_connect(est, "snr", rx, "snr")
    tb.run()
    _wait(lambda: dbg.num_messages() == count, timeout=5)
    est_list = [pmt.to_python(m) for m in _messages(dbg)]
    snr = np.array([e["snr"] for e in est_list])
    assert len(snr) == count
    assert abs(snr.mean() - 10.0) < 0.5, snr.mean()
    assert abs(np.mean([e["cfo"] for e in est_list]) - 0.003) < 2e-4
    assert rx.noise_var({})[1] == "snr_port"


def test_image_display_offscreen():
    from PyQt5 import QtCore, QtGui, QtWidgets
    from semcom.gr import image_display
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    img = QtGui.QImage(96, 64, QtGui.QImage.Format_RGB32)
    painter = QtGui.QPainter(img)
    painter.fillRect(0, 0, 96, 64, QtGui.QColor(20, 160, 60))
    painter.fillRect(10, 10, 40, 30, QtGui.QColor(240, 30, 30))
    painter.end()
    buf = QtCore.QBuffer(); buf.open(QtCore.QIODevice.WriteOnly); img.save(buf, "PNG")
    png = np.frombuffer(bytes(buf.data()), np.uint8)
    disp = image_display(title="received")
    disp.widget().resize(320, 280)
    disp.widget().show()
    tb = gr.top_block()
    strobe = blocks.message_strobe(pmt.PMT_NIL, 20)  # a connection so the block is in the graph
    tb.msg_connect(strobe, "strobe", disp, "snr")
    tb.start()
    # the two ports are served independently (no order between them): the SNR first, then the image
    disp._post(pmt.intern("snr"), pmt.to_pmt({"snr": 9.5}))
    t0 = time.time()
    while disp.snr != 9.5 and time.time() - t0 < 10:
        time.sleep(0.01)
    disp._post(pmt.intern("images"), pmt.cons(pmt.make_dict(), pmt.init_u8vector(len(png), png)))
    while disp.widget().pixmap is None and time.time() - t0 < 10:
        app.processEvents(); time.sleep(0.01)
    tb.stop(); tb.wait()
    app.processEvents()
    assert disp.widget().caption.text() == "SNR 9.5 dB"
    shot = QtGui.QImage.fromData(disp.grab_png(), "PNG")
    assert not shot.isNull() and shot.width() >= 300
    colors = {shot.pixel(xx, yy) for xx in range(0, shot.width(), 4) for yy in range(0, shot.height(), 4)}
    reds = sum(1 for c in colors if QtGui.QColor(c).red() > 200 and QtGui.QColor(c).green() < 80)
    assert len(colors) > 3 and reds > 0  # the image is on screen, not a blank widget


def test_snr_messages_of_every_form_and_nil_are_understood():
    from semcom.gr.digital_rx import snr_from_message
    assert snr_from_message(pmt.PMT_NIL) is None  # a strobe's default message is no SNR, not a crash
    assert snr_from_message(pmt.from_double(7.5)) == 7.5
    assert snr_from_message(pmt.to_pmt({"snr_db": 3.0})) == 3.0
    assert snr_from_message(pmt.cons(pmt.intern("snr"), pmt.from_double(-1.0))) == -1.0
    assert snr_from_message(pmt.intern("junk")) is None


def _ota_frames(seqs, size=16):
    from semcom.codecs import get_codec
    from semcom.ota import FrameTransmitter
    codec, tx = get_codec("ota-test:factor=2"), FrameTransmitter()
    image = torch.rand(1, 3, size, size, generator=torch.Generator().manual_seed(0))
    gap = np.zeros(1500, np.complex64)
    with torch.no_grad():
        return np.concatenate([gap] + [np.concatenate([tx.frame(codec.encode(image), "ota-test:factor=2", s), gap])
                                       for s in seqs])


def _run_rx(samples, out_dir, **kwargs):
    from semcom.gr import semantic_rx
    tb = gr.top_block()
    rx = semantic_rx(out_dir=str(out_dir), **kwargs)
    tb.connect(blocks.vector_source_c(samples.tolist(), False), rx)
    tb.run()
    return rx


def test_restarted_receiver_counts_frames_sent_while_it_was_down(tmp_path):
    """A receiver restarted on the same stats file continues its counters and its image numbering,
    and the frames sent while it was down (seq 3 to 6) count as lost."""
    import json
    first = _run_rx(_ota_frames([0, 1, 2]), tmp_path)
    assert first.stats["images"] == 3 and first.stats["lost"] == 0
    second = _run_rx(_ota_frames([7, 8]), tmp_path)
    st = json.loads((tmp_path / "stats.json").read_text())["receiver"]
    assert st["images"] == 5 and st["decoded"] == 5 and st["lost"] == 4 and st["resumed"] == 1, st
    assert second.stats["last_seq"] == 8
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["000000_seq0.png", "000001_seq1.png", "000002_seq2.png", "000003_seq7.png", "000004_seq8.png"]
    fresh = _run_rx(_ota_frames([0]), tmp_path / "other", resume=False)
    assert fresh.stats["images"] == 1 and fresh.stats["resumed"] == 0
    (tmp_path / "stats.json").write_text("{garbage")    # unreadable: counters start afresh ...
    assert _run_rx(_ota_frames([0]), tmp_path).stats["images"] == 1
    assert (tmp_path / "000005_seq0.png").is_file()      # ... and no earlier image is overwritten
    assert len(list(tmp_path.glob("*.png"))) == 6


def test_semantic_rx_decoding_in_a_child_process_writes_the_same_images(tmp_path):
    """decoder_process=True: the child (started with the flowgraph, the scheme preloaded) writes
    the same PNG files and per-frame PSNRs as the decoder thread, and stops with the flowgraph."""
    import json
    from semcom.ota import images as imgs
    ref = tmp_path / "ref.png"
    ref.write_bytes(imgs.to_png(torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))))
    frames = _ota_frames([0, 1, 2])
    runs = {}
    for proc in (False, True):
        out = tmp_path / str(proc)
        rx = _run_rx(frames, out, scheme="ota-test:factor=2", reference=str(ref), size=16, decoder_process=proc,
                     resume=False)
        st = json.loads((out / "stats.json").read_text())
        runs[proc] = ({p.name: p.read_bytes() for p in out.glob("*.png")}, [r.get("psnr") for r in st["frames"]])
        assert st["receiver"]["images"] == 3 and st["receiver"]["decode_errors"] == 0
        if proc:
            assert st["receiver"]["decoder_restarts"] == 0 and st["receiver"]["decoder_start_s"] > 0
            assert rx._decoder.preloaded == ["ota-test:factor=2"] and rx._decoder.pid is None   # stopped
    assert runs[True][0] == runs[False][0] and len(runs[True][0]) == 3
    assert runs[True][1] == runs[False][1] and all(p is not None and p > 10 for p in runs[True][1])


def test_decode_budget_refuses_frames_predicted_too_slow(tmp_path):
    """With a budget far below what a decode takes, the first frame (nothing measured yet) is
    decoded and the next ones are counted as rejected over_budget, not decoded."""
    import json
    rx = _run_rx(_ota_frames([0, 1, 2]), tmp_path, decode_budget=1e-9)
    st = json.loads((tmp_path / "stats.json").read_text())["receiver"]
    assert st["decoded"] == 3 and st["images"] == 1, st           # all three frames received ...
    assert st["rejected_by"] == {"over_budget": 2} and st["rejected"] == 2   # ... two refused by the budget
    assert rx.stats["decode_errors"] == 0


def test_rx_monitor_offscreen_shows_images_and_counters():
    from PyQt5 import QtGui, QtWidgets
    from semcom.gr import rx_monitor
    from semcom.ota import images as imgs
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    image = str(Path(__file__).resolve().parents[1] / "data" / "demo" / "astronaut.png")
    png = np.frombuffer(imgs.to_png(imgs.load(image, 64)), np.uint8)
    mon = rx_monitor(reference=image, size=64, samp_rate=1e6, title="link")
    mon.widget().resize(700, 500)
    mon.widget().show()
    tb = gr.top_block()
    strobe = blocks.message_strobe(pmt.PMT_NIL, 1000)   # a connection so the block is in the graph
    tb.msg_connect(strobe, "strobe", mon, "stats")
    tb.start()
    meta = dict(seq=3, scheme="ota-test", snr_est=17.25, cfo=0.7, psnr=24.5, lpips=0.1234,
                payload_uses=6192, overhead_uses=8048)
    mon._post(pmt.intern("images"), pmt.cons(pmt.to_pmt(meta), pmt.init_u8vector(len(png), png)))
    mon._post(pmt.intern("stats"), pmt.to_pmt(dict(detected=5, decoded=4, images=4, lost=1, dropped_busy=0,
                                                   header_failed=1, false_alarms=0, rejected=0,
                                                   samples=2_000_000, cpu_s=0.5)))
    t0 = time.time()
    w = mon.widget()
    while (w.views["received"][1] is None or w.values["lost"].text() != "1") and time.time() - t0 < 10:
        app.processEvents(); time.sleep(0.01)
    tb.stop(); tb.wait()
    app.processEvents()
    v = {k: lab.text() for k, lab in w.values.items()}
    assert v["detected"] == "5" and v["lost"] == "1" and v["header failed"] == "1"
    assert v["last seq"] == "3" and v["SNR estimate"] == "17.2 dB" and v["PSNR"] == "24.50 dB"
    assert v["LPIPS"] == "0.1234" and v["payload K (channel uses)"] == "6192"
    assert v["K / frame"] == f"{100 * 6192 / (6192 + 8048):.1f} %"
    assert v["RX CPU load"].startswith("25.0 %")                # 0.5 s of CPU for 2 s of samples
    assert w.views["original"][1] is not None and w.views["received"][1] is not None
    shot = QtGui.QImage.fromData(mon.grab_png(), "PNG")
    assert not shot.isNull() and shot.width() >= 600


def test_semantic_rx_drops_and_counts_frames_when_the_decoder_is_busy(tmp_path):
    """drop_when_busy: a frame finding the decoder queue full is counted (dropped_busy), never
    blocks work(); every received frame is queued or dropped; CPU time is accounted."""
    from semcom.gr.semantic_rx import semantic_rx
    from semcom.gr.semantic_tx import semantic_tx
    tx = semantic_tx(scheme="ota-test", images=str(Path(__file__).resolve().parents[1] / "data" / "demo" / "astronaut.png"),
                     size=32, repeat=0, gap=0, stats_file=str(tmp_path / "tx.json"))
    frames = [tx.make_frame(tx._next_image()) for _ in range(5)]
    s = np.concatenate([np.zeros(300, np.complex64)] + frames + [np.zeros(300, np.complex64)])
    rx = semantic_rx(scheme="ota-test", out_dir="", drop_when_busy=True, queue_size=2, resume=False)
    # no worker started: the queue holds 2 frames, the other 3 are dropped and counted
    t0 = time.time()
    for i in range(0, len(s), 4096):
        rx.work([s[i:i + 4096]], [])
    assert time.time() - t0 < 60
    st = rx.stats
    assert st["decoded"] == 5 and st["queued"] == 2 and st["dropped_busy"] == 3 and st["lost"] == 0
    assert st["cpu_s"] > 0 and st["work_calls"] == -(-len(s) // 4096)
    with pytest.raises(ValueError):
        semantic_rx(scheme="ota-test", out_dir="", queue_size=0)
    # the transmitter's stats file and a scheme switch while running (a bad spec keeps the old one)
    tx._write_stats()
    doc = json.loads((tmp_path / "tx.json").read_text())
    assert doc["next_seq"] == 5 and doc["encode_cpu_s"] > 0
    tx.set_scheme("no-such-codec")
    assert tx.scheme == "ota-test"
    tx.set_scheme("ota-test:factor=2")
    f2 = tx.make_frame(tx._next_image())
    assert tx.scheme == "ota-test:factor=2" and len(f2) != len(frames[0])


def test_semantic_tx_encoding_ahead_on_a_worker_sends_the_same_samples_and_ends():
    """encode_ahead > 0: the encoder runs on a worker thread; the flowgraph sends exactly the
    samples (and tags) of the in-work() encoder, frame for frame, and ends after the last image."""
    from gnuradio import blocks, gr
    from semcom.gr.semantic_tx import semantic_tx
    image = str(Path(__file__).resolve().parents[1] / "data" / "demo" / "astronaut.png")
    out = {}
    for ahead in (0, 3):
        tb = gr.top_block()
        tx = semantic_tx(scheme="ota-test", images=image, size=32, repeat=7, gap=50, encode_ahead=ahead)
        sink = blocks.vector_sink_c()
        tb.connect(tx, sink)
        t0 = time.time()
        tb.run()
        assert time.time() - t0 < 60
        tags = [(t.offset, pmt.symbol_to_string(t.key)) for t in sink.tags()]
        out[ahead] = (np.array(sink.data(), np.complex64), tags, tx.sent, tx.seq, tx.encode_cpu_s, tx.underruns)
    (s0, tags0, sent0, seq0, _, u0), (s3, tags3, sent3, seq3, enc3, _) = out[0], out[3]
    assert sent0 == sent3 == 7 and seq0 == seq3 == 7 and u0 == 0
    assert len(s0) == len(s3) > 7 * 50 and np.array_equal(s0, s3)
    assert tags0 == tags3 and sum(k == "tx_sob" for _, k in tags3) == 7
    assert enc3 > 0                      # measured in the worker thread
    with pytest.raises(ValueError):
        semantic_tx(scheme="ota-test", encode_ahead=-1)


def test_semantic_rx_constellation_pdus_at_most_every_symbols_period():
    """The symbols port carries the last frame's equalised REs of a work() call that completed
    frames, at most once every symbols_period seconds (0: every such call)."""
    from semcom.gr.semantic_rx import semantic_rx
    from semcom.gr.semantic_tx import semantic_tx
    tx = semantic_tx(scheme="ota-test", images=str(Path(__file__).resolve().parents[1] / "data" / "demo" / "astronaut.png"),
                     size=32, repeat=0, gap=0, stats_file="")
    frames = [tx.make_frame(tx._next_image()) for _ in range(6)]
    s = np.concatenate([np.zeros(300, np.complex64)] + frames + [np.zeros(300, np.complex64)])
    counts = {}
    for period in (0.0, 3600.0):
        rx = semantic_rx(scheme="ota-test", out_dir="", drop_when_busy=True, resume=False, symbols_period=period)
        sent, calls_with_frames = [], 0
        rx.message_port_pub = lambda port, msg: sent.append(pmt.symbol_to_string(port))
        for i in range(0, len(s), 4096):
            before = rx.receiver.stats["decoded"]
            rx.work([s[i:i + 4096]], [])
            calls_with_frames += rx.receiver.stats["decoded"] > before
        assert rx.receiver.stats["decoded"] == 6
        counts[period] = (sent.count("symbols"), calls_with_frames)
    assert counts[0.0][0] == counts[0.0][1] >= 5
    assert counts[3600.0][0] == 1
    with pytest.raises(ValueError, match="symbols_period"):
        semantic_rx(scheme="ota-test", out_dir="", symbols_period=-1)
