#!/usr/bin/env python
"""Real time at 10 Msps: the semantic TX and RX blocks in ONE GNU Radio flowgraph without a
throttle, frames back to back, each block's rate against a 10 Msps radio stream.

    semantic_tx (ota-test:factor=1, 64x64 image, gap 0; the semantic encode on its worker
                 thread, encode_ahead=4: work() frames, modulates and streams)
      -> channels.channel_model (C++: AWGN 20 dB, CFO 0.7 subcarrier spacings)
      -> semantic_rx (detection, sync, header, demodulation, payload LDPC in work();
                      the semantic decode in its worker thread, frames dropped and counted
                      when it is behind)

Each block measures its own ``work()`` thread CPU time (``time.thread_time``): ``samples /
cpu_s / 10 Msps`` is the fraction of one core's worth of a 10 Msps stream it sustains (>= 1:
keeps up on one core). Also reported: the whole process's CPU time (all threads: TX, channel,
RX, decoder worker, GNU Radio's schedulers), the wall-clock rate of the whole flowgraph, the
load average (the machine is shared: CPU time is the primary figure), and a per-stage CPU
breakdown of the receiver on the same frames (``FrameReceiver.push`` outside GNU Radio).

    .venv/bin/python scripts/bench_realtime.py [--frames 2000] [--write]

``--write`` replaces the "## Real time" section of BENCHMARKS.md.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import re
import resource
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RATE = 10e6
KEEP = "<!-- notes below are kept by scripts/bench_realtime.py --write -->"
IMAGE = str(REPO / "data" / "demo" / "astronaut.png")
SCHEME = "ota-test:factor=1"


def process_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def warm_up():
    """Load the compiled kernels (numba's on-disk cache) and the codec before timing."""
    from semcom.gr.semantic_tx import semantic_tx
    from semcom.ota import FrameReceiver
    tx = semantic_tx(scheme=SCHEME, images=IMAGE, size=64, repeat=1, gap=0)
    frame = tx.make_frame(tx._next_image())
    rx = FrameReceiver()
    rx.push(np.concatenate([np.zeros(500, np.complex64), frame, frame]))
    return frame


def flowgraph(frames: int, snr_db: float = 20.0, cfo: float = 0.7, min_buffer: int = 0, decoder_process: bool = True):
    from gnuradio import channels, gr
    from semcom.gr.semantic_rx import semantic_rx
    from semcom.gr.semantic_tx import semantic_tx
    from semcom.ota import noise_voltage
    tb = gr.top_block()
    tx = semantic_tx(scheme=SCHEME, images=IMAGE, size=64, repeat=frames, gap=0, snr=snr_db, encode_ahead=4)
    ch = channels.channel_model(noise_voltage=noise_voltage(snr_db), frequency_offset=cfo / 64,
                                epsilon=1.0, taps=[1.0 + 0j], noise_seed=1)
    rx = semantic_rx(scheme=SCHEME, out_dir="", drop_when_busy=True, resume=False, decoder_process=decoder_process)
    if min_buffer:
        ch.set_min_output_buffer(min_buffer)
    tb.connect(tx, ch, rx)
    tb.start()      # the blocks' start() (the RX's decoder process: imports, codec) before the clock
    c0, t0 = process_cpu(), time.perf_counter()
    tb.wait()
    wall, cpu = time.perf_counter() - t0, process_cpu() - c0
    st = rx.stats
    samples = int(st["samples"])
    return dict(decoder="process" if decoder_process else "thread", frames=frames, samples=samples, wall_s=wall, process_cpu_s=cpu,
                tx_cpu_s=tx.cpu_s, tx_encode_cpu_s=tx.encode_cpu_s, rx_cpu_s=rx.cpu_s, decoder_cpu_s=st["decoder_cpu_s"],
                tx_ratio=samples / tx.cpu_s / RATE, tx_encoder_ratio=samples / max(tx.encode_cpu_s, 1e-9) / RATE,
                tx_underruns=tx.underruns,
                rx_ratio=samples / rx.cpu_s / RATE,
                process_ratio=samples / cpu / RATE, wall_ratio=samples / wall / RATE,
                samples_per_rx_call=samples / max(1, st["work_calls"]), receiver=st)


def channel_output(frame: np.ndarray, frames: int, snr_db: float = 20.0, cfo: float = 0.7) -> np.ndarray:
    """``frames`` copies of the frame back to back, CFO ``cfo`` subcarrier spacings, AWGN."""
    from semcom.ota import noise_voltage
    rng = np.random.default_rng(0)
    s = np.tile(frame, frames)
    s = s * np.exp(2j * np.pi * cfo / 64 * np.arange(len(s)))
    s = s + noise_voltage(snr_db) / np.sqrt(2) * (rng.standard_normal(len(s)) + 1j * rng.standard_normal(len(s)))
    return s.astype(np.complex64)


def separate(frame: np.ndarray, frames: int, decoder_process: bool = True) -> dict:
    """Each side in a flowgraph of its own, as on two hosts: ``semantic_tx`` -> null sink, and a
    vector source of the channel's output (C++) -> ``semantic_rx`` (decoder on its worker)."""
    from gnuradio import blocks, gr
    from semcom.gr.semantic_rx import semantic_rx
    from semcom.gr.semantic_tx import semantic_tx
    tb = gr.top_block()
    tx = semantic_tx(scheme=SCHEME, images=IMAGE, size=64, repeat=frames, gap=0, encode_ahead=4)
    tb.connect(tx, blocks.null_sink(gr.sizeof_gr_complex))
    tb.run()
    s = channel_output(frame, frames)
    tb = gr.top_block()
    rx = semantic_rx(scheme=SCHEME, out_dir="", drop_when_busy=True, resume=False, decoder_process=decoder_process)
    tb.connect(blocks.vector_source_c(s, False), rx)
    tb.run()
    st = rx.stats
    return dict(decoder="process" if decoder_process else "thread", tx_ratio=tx.samples / tx.cpu_s / RATE, tx_encoder_ratio=tx.samples / max(tx.encode_cpu_s, 1e-9) / RATE,
                rx_ratio=st["samples"] / rx.cpu_s / RATE, rx_decoded=st["decoded"], rx_images=st["images"],
                rx_dropped_busy=st["dropped_busy"], rx_lost=st["lost"], samples_per_rx_call=st["samples"] / max(1, st["work_calls"]))


def stages(frame: np.ndarray, frames: int, snr_db: float = 20.0):
    """Per-stage CPU per frame of FrameReceiver.push on the same frames, back to back."""
    from semcom.ota import FrameReceiver
    s = channel_output(frame, frames, snr_db)
    rx = FrameReceiver()
    acc = collections.Counter()

    def timed(name, f):
        def g(*a):
            t = time.thread_time()
            try:
                return f(*a)
            finally:
                acc[name] += time.thread_time() - t
        return g

    for name in ("_detect", "_sync", "_header", "_payload"):
        setattr(rx, name, timed(name.strip("_"), getattr(rx, name)))
    rx._fe.process = timed("front end", rx._fe.process)
    t = time.thread_time()
    got = 0
    for i in range(0, len(s), 8192):
        got += len(rx.push(s[i:i + 8192]))
    total = time.thread_time() - t
    ms = {k: 1e3 * v / frames for k, v in acc.items()}
    ms["other (push, buffer)"] = 1e3 * total / frames - sum(ms.values())
    return dict(total_ms=1e3 * total / frames, stages=ms, decoded=got, budget_ms=1e3 * len(frame) / RATE,
                ratio=len(s) / total / RATE)


def median(rows, key, decoder):
    """Median of ``key`` over the rows of one decoder mode (nan when there are none)."""
    vals = sorted(r[key] for r in rows if r["decoder"] == decoder)
    return vals[len(vals) // 2] if vals else float("nan")


def main():
    global SCHEME
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3, help="flowgraph runs (all reported)")
    ap.add_argument("--json", default="", help="also write the results here")
    ap.add_argument("--min-buffer", type=int, default=0,
                    help="minimum output buffer of the channel block, items (0: GNU Radio's default)")
    ap.add_argument("--write", action="store_true", help="update BENCHMARKS.md")
    ap.add_argument("--scheme", default=SCHEME,
                    help="codec spec of TX and RX (a neural one, e.g. deepjscc, keeps the RX decoder busy)")
    ap.add_argument("--separate-only", action="store_true",
                    help="only the separate TX and RX flowgraphs, printed (no --write): with a neural --scheme "
                         "the one-flowgraph runs are bound by the TX encoder")
    ap.add_argument("--decoder", choices=["both", "process", "thread"], default="both",
                    help="semantic_rx's decoder in a child process, in a thread, or both side by side "
                         "(alternating, --runs each)")
    ap.add_argument("--push-only", type=int, default=0, metavar="PASSES",
                    help="only FrameReceiver.push on --frames frames, PASSES times: print the best pass (for "
                         "side-by-side runs against another checkout: PYTHONPATH=<checkout>/gr-semcom/python)")
    args = ap.parse_args()
    SCHEME = args.scheme
    torch.set_num_threads(1)
    frame = warm_up()
    if args.push_only:
        import semcom
        best = min((stages(frame, args.frames) for _ in range(args.push_only)), key=lambda r: r["total_ms"])
        print(f"push: {Path(semcom.__file__).parents[2]}: best of {args.push_only}: {best['total_ms']:.3f} ms per "
              f"{len(frame)}-sample frame, x {best['ratio']:.2f} of 10 Msps", flush=True)
        return
    modes = {"both": [True, False], "process": [True], "thread": [False]}[args.decoder]
    runs = []
    for _ in range(0 if args.separate_only else args.runs):
        for mode in modes:
            runs.append(flowgraph(args.frames, min_buffer=args.min_buffer, decoder_process=mode))
            r = runs[-1]
            print(f"decoder in a {r['decoder']}: TX x{r['tx_ratio']:.2f} (encoder worker x{r['tx_encoder_ratio']:.2f}, underruns {r['tx_underruns']})  RX x{r['rx_ratio']:.2f}  process x{r['process_ratio']:.2f}  "
                  f"wall x{r['wall_ratio']:.2f}  samples/RX call {r['samples_per_rx_call']:.0f}  decoded {r['receiver']['decoded']}  images {r['receiver']['images']}  "
                  f"dropped_busy {r['receiver']['dropped_busy']}  load {os.getloadavg()[0]:.1f}", flush=True)
    seps = []
    for _ in range(args.runs):
        for mode in modes:
            seps.append(separate(frame, args.frames, decoder_process=mode))
            r = seps[-1]
            print(f"separate flowgraphs, decoder in a {r['decoder']}: TX x{r['tx_ratio']:.2f} (encoder worker x{r['tx_encoder_ratio']:.2f})  RX x{r['rx_ratio']:.2f}  "
                  f"decoded {r['rx_decoded']}  images {r['rx_images']}  dropped_busy {r['rx_dropped_busy']}", flush=True)
    if args.separate_only:
        for mode in ("process", "thread"):
            if any(r["decoder"] == mode for r in seps):
                print(f"decoder in a {mode}: median RX x{median(seps, 'rx_ratio', mode):.2f} of 10 Msps "
                      f"over {args.runs} runs")
        return
    st = stages(frame, min(args.frames, 400))
    load = os.getloadavg()
    doc = dict(frame_samples=len(frame), runs=runs, separate=seps, stages=st, load=load, date=time.strftime("%Y-%m-%d %H:%M"))
    if args.json:
        Path(args.json).write_text(json.dumps(doc, indent=1, default=str))
    med = sorted(runs, key=lambda r: r["rx_ratio"])[len(runs) // 2]
    lines = [
        "## Real time",
        "",
        f"Measured {doc['date']} UTC with `.venv/bin/python scripts/bench_realtime.py --frames {args.frames} "
        f"--runs {args.runs}{f' --min-buffer {args.min_buffer}' if args.min_buffer else ''}{f' --decoder {args.decoder}' if args.decoder != 'both' else ''}{f' --scheme {SCHEME}' if SCHEME != 'ota-test:factor=1' else ''} --write` ({platform.machine()}, {os.cpu_count()} cores shared with other jobs, "
        f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end).",
        "",
        f"ONE GNU Radio flowgraph, no throttle: `semantic_tx` (`{SCHEME}`, 64x64 image"
        f"{': one analog stream of 6144 channel uses + one digital stream' if SCHEME == 'ota-test:factor=1' else ''}, "
        f"{len(frame)}-sample frames, **back to back**, gap 0; the "
        "semantic encode on the block's worker thread, `encode_ahead=4`, so `work()` frames, LDPC-encodes, "
        "modulates and streams) -> "
        "`channels.channel_model` (C++, AWGN 20 dB, CFO 0.7 subcarrier spacings) -> `semantic_rx` (detection, "
        "sync, header LDPC, demodulation, tracking, payload LDPC in `work()`; the semantic decode in its worker "
        "thread, which hands each frame to the decoder: a child process by default (`decoder_process=True`), or "
        "the same thread (`decoder_process=False`, the receiver before the child process); both run here, "
        "alternating; `drop_when_busy`: frames it cannot take are dropped and counted). **x 10 Msps** = samples / "
        "CPU time / 10 Msps; CPU time = the block's `work()` thread CPU time (`time.thread_time`), so >= 1 means "
        "the block keeps up with a 10 Msps stream on one core. Process = all threads of the process "
        "(TX, channel, RX, decoder worker, schedulers) on the 2 cores; wall = the whole flowgraph by the clock "
        "(moves with the load of the shared machine).",
        "",
        "| run | decoder | frames | samples | **TX x 10 Msps (CPU)** | TX encoder worker x 10 Msps | TX underruns | **RX x 10 Msps (CPU)** | "
        "process CPU x 10 Msps | wall x 10 Msps | samples per RX work() | RX decoded | images decoded | dropped (decoder busy) | lost |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for i, r in enumerate(runs):
        rc = r["receiver"]
        lines.append(f"| {i + 1} | {r['decoder']} | {r['frames']} | {r['samples']} | **{r['tx_ratio']:.2f}** | {r['tx_encoder_ratio']:.2f} | "
                     f"{r['tx_underruns']} | **{r['rx_ratio']:.2f}** | "
                     f"{r['process_ratio']:.2f} | {r['wall_ratio']:.2f} | {r['samples_per_rx_call']:.0f} | {rc['decoded']} | {rc['images']} | "
                     f"{rc['dropped_busy']} | {rc['lost']} |")
    if len(modes) == 2:
        rp, rt = median(runs, "rx_ratio", "process"), median(runs, "rx_ratio", "thread")
        wp, wt = median(runs, "wall_ratio", "process"), median(runs, "wall_ratio", "thread")
        lines += ["", f"Side by side, medians: RX **{rp:.2f}** of 10 Msps with the decoder in a child process against "
                  f"**{rt:.2f}** with it in a thread (ratio **{rp / rt:.2f}**); wall {wp:.2f} against {wt:.2f} "
                  f"(ratio {wp / wt:.2f})."]
    lines += ["", f"Median run: TX **{med['tx_ratio']:.2f}** and RX **{med['rx_ratio']:.2f}** of 10 Msps on one core "
              f"(TX {med['tx_cpu_s']:.2f} s and RX {med['rx_cpu_s']:.2f} s of CPU for {med['samples'] / RATE:.2f} s "
              f"of a 10 Msps stream; the TX encoder thread used {med['tx_encode_cpu_s']:.2f} s and the RX decoder "
              f"({med['decoder']}) {med['decoder_cpu_s']:.2f} s).", "",
              "Each side in a flowgraph of its own, as on two hosts (same frames; TX: `semantic_tx` -> null sink; "
              "RX: a C++ vector source of the channel's output -> `semantic_rx`, the decoder on its worker, "
              "`drop_when_busy`):", "",
              "| run | decoder | **TX x 10 Msps (CPU)** | TX encoder worker x 10 Msps | **RX x 10 Msps (CPU)** | samples per RX work() | "
              "RX decoded | images decoded | dropped (decoder busy) | lost |", "|---|---|---|---|---|---|---|---|---|---|",
              *[f"| {i + 1} | {r['decoder']} | **{r['tx_ratio']:.2f}** | {r['tx_encoder_ratio']:.2f} | **{r['rx_ratio']:.2f}** | "
                f"{r['samples_per_rx_call']:.0f} | {r['rx_decoded']} | {r['rx_images']} | {r['rx_dropped_busy']} | {r['rx_lost']} |"
                for i, r in enumerate(seps)], ""]
    if len(modes) == 2:
        sp, stt = median(seps, "rx_ratio", "process"), median(seps, "rx_ratio", "thread")
        lines += [f"Medians: RX {sp:.2f} with the decoder in a child process, {stt:.2f} in a thread (ratio {sp / stt:.2f}).", ""]
    lines += [
              f"Receiver CPU per frame by stage (same frames through `FrameReceiver.push` in 8192-sample chunks, "
              f"{st['decoded']} frames decoded; budget at 10 Msps {st['budget_ms']:.3f} ms per frame):", "",
              "| stage | ms per frame |", "|---|---|"]
    for k, v in sorted(st["stages"].items(), key=lambda kv: -kv[1]):
        lines.append(f"| {k} | {v:.3f} |")
    lines.append(f"| **total** | **{st['total_ms']:.3f}** (x {st['ratio']:.2f} of 10 Msps) |")
    lines += ["", "How: every pass over the samples and every chain of per-frame operations is one compiled "
              "numba call (`semcom.ota.kernels`: front end, Schmidl & Cox running sums, CFO removal fused with the "
              "FFT windows, LTS search, LTF channel estimate, pilot tracking + equalisation, header refit; "
              "LDPC demapping/descrambling and the CRC in `semcom.phy.digital`); numpy only for the FFTs. "
              "No per-sample Python loop in any `work()`."]
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        path = REPO / "BENCHMARKS.md"
        text = path.read_text()
        pat = re.compile(r"## Real time\n.*?(?=\n## |\Z)", re.S)
        found = pat.search(text)
        if found:
            old = found.group(0)      # hand-written notes after the marker stay
            kept = old[old.index(KEEP):].rstrip("\n") if KEEP in old else KEEP
            text = pat.sub(lambda m: section.rstrip("\n") + "\n\n" + kept + "\n", text)
        else:
            text = text.replace("## GNU Radio chains", section + "\n## GNU Radio chains", 1)
        path.write_text(text)
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
