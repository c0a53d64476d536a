#!/usr/bin/env python
"""Soak of the ZMQ flowgraph pair at the full rate: semcom_zmq_tx (throttled at 10 Msps, frames
back to back: interval 0, gap 0, forever) -> ZMQ over loopback -> semcom_zmq_rx (AWGN 20 dB and a
CFO, or every impairment with ``--channel all``; tracking on, the decoder dropping and counting
frames it cannot take) for ``--minutes``.

Every ``--every`` seconds: the resident memory (VmRSS) of both processes and the receiver's
counters. At the end the TX is stopped first (its stats file says how many frames it sent), the RX
drains, and every frame sent is accounted for:

    sent = decoded by the receiver + lost (sequence gaps, truncated, rejected; header failures are
           gaps) + tail (frames after the last sequence number the receiver saw)
    decoded by the receiver = images + dropped (decoder busy) + decode errors + rejected by the
           decoder budget + still queued

Memory growth = (RSS at the end - RSS after the warm-up) / RSS after the warm-up, per process
(the warm-up: the first ``--warmup`` seconds, while numba, torch and the codec load).

ZMQ PUSH/PULL does not drop samples: with high-water marks of 4 messages on both sockets, when
the receiver is slower than 10 Msps the sender waits instead of queueing without bound (the
achieved sample rate is reported; on this shared 2-core machine the receiver, the channel
emulator and the impairment blocks share the cores with other jobs).

    .venv/bin/python sim/ota_soak/soak.py [--minutes 10] [--fg out/fg]

Writes sim/ota_soak/soak.json and soak.png.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "tests"))
from flowgraphs import compile_all, env, free_port, read_stats, rss_mb, stop  # noqa: E402

LIGHT = ["--snr", "20", "--cfo", "1.5", "--max-cfo", "3.5"]
IMPAIRMENTS = ["--snr", "20", "--cfo", "1.5", "--sco-ppm", "40", "--cfo-std", "100", "--cfo-max", "1.5",
               "--linewidth", "100", "--iq-gain", "1", "--iq-phase", "5", "--dc-i", "0.05", "--dc-q", "0.03",
               "--delay-spread", "300e-9", "--doppler", "5", "--max-cfo", "3.5"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--every", type=float, default=5.0, help="sampling period, seconds")
    ap.add_argument("--warmup", type=float, default=90.0, help="seconds before the memory baseline")
    ap.add_argument("--channel", choices=["awgn", "all"], default="awgn",
                    help="awgn: AWGN 20 dB + CFO 1.5 subcarrier spacings (the receiver's channel emulator only); "
                         "all: every impairment of the must-show (GNU Radio's channels blocks too, several times "
                         "slower to emulate)")
    ap.add_argument("--fg", default="", help="folder of grcc-generated flowgraphs (default: compile into --work)")
    ap.add_argument("--work", default="out/soak")
    ap.add_argument("--scheme", default="ota-test:factor=1")
    ap.add_argument("--samp-rate", default="10e6")
    ap.add_argument("--out", default=str(HERE), help="where soak.json and soak.png go")
    args = ap.parse_args()
    work = (REPO / args.work).resolve()
    if work.exists():
        import shutil
        shutil.rmtree(work)
    work.mkdir(parents=True)
    fg = Path(args.fg).resolve() if args.fg else None
    if fg is None:
        fg = work / "fg"
        fg.mkdir()
        compile_all(fg)
    port = free_port()
    chan = IMPAIRMENTS if args.channel == "all" else LIGHT
    image = str(REPO / "data" / "demo" / "astronaut.png")
    rx_dir, tx_stats = work / "rx", work / "tx_stats.json"
    e = env()
    rx_log, tx_log = open(work / "rx.log", "w"), open(work / "tx.log", "w")
    rx = subprocess.Popen([sys.executable, str(fg / "semcom_zmq_rx.py"), "--port", str(port), "--out-dir", str(rx_dir),
                           "--reference", image, "--size", "64", "--tracking", "1", "--drop-busy", "1", "--hwm", "4"] + chan,
                          env=e, stdout=rx_log, stderr=subprocess.STDOUT, cwd=REPO)
    time.sleep(5)
    tx = subprocess.Popen([sys.executable, str(fg / "semcom_zmq_tx.py"), "--port", str(port), "--images", image,
                           "--size", "64", "--repeat", "0", "--interval", "0", "--gap", "0",
                           "--samp-rate", args.samp_rate, "--scheme", args.scheme, "--tx-stats", str(tx_stats), "--hwm", "4"],
                          env=e, stdout=tx_log, stderr=subprocess.STDOUT, cwd=REPO)
    t0 = time.time()
    samples = []
    try:
        while time.time() - t0 < 60 * args.minutes:
            time.sleep(args.every)
            for p in (rx, tx):
                if p.poll() is not None:
                    raise RuntimeError(f"{p.args[1]} exited with {p.returncode}; see {work}")
            st = (read_stats(rx_dir / "stats.json") or {}).get("receiver", {})
            ts = read_stats(tx_stats) or {}
            samples.append(dict(t=round(time.time() - t0, 1), rx_rss_mb=rss_mb(rx.pid), tx_rss_mb=rss_mb(tx.pid),
                                load=os.getloadavg()[0], tx_sent=ts.get("sent"),
                                **{k: st.get(k) for k in ("samples", "detected", "decoded", "images", "lost",
                                                          "dropped_busy", "header_failed", "truncated",
                                                          "false_alarms", "decode_errors", "codec_failures",
                                                          "cpu_s", "decoder_cpu_s")}))
            print(json.dumps(samples[-1]), flush=True)
        elapsed = time.time() - t0
        stop([tx])                              # the TX writes its final count at stop
        last, stable, t1 = None, 0, time.time()
        while stable < 4 and time.time() - t1 < 300:        # the RX drains what is in flight
            time.sleep(2)
            st = (read_stats(rx_dir / "stats.json") or {}).get("receiver", {})
            key = (st.get("samples"), st.get("decoded"), st.get("images"), st.get("queued"))
            stable = stable + 1 if key == last and not st.get("queued") else 0
            last = key
        rx_rss_end = rss_mb(rx.pid)
    finally:
        stop([tx, rx], [rx_log, tx_log])
    doc = json.loads((rx_dir / "stats.json").read_text())
    r = doc["receiver"]
    sent = json.loads(tx_stats.read_text())["sent"]
    last_seq = r["last_seq"] if r["last_seq"] is not None else -1
    tail = sent - 1 - last_seq
    worker_rejected = r["rejected_by"].get("over_budget", 0)
    acc_sent = r["decoded"] + r["lost"] + tail
    acc_decoded = r["images"] + r["dropped_busy"] + r["decode_errors"] + worker_rejected + r.get("queued", 0)
    base = [s for s in samples if s["t"] >= args.warmup] or samples
    growth = {k: (samples[-1][k] - base[0][k]) / base[0][k] for k in ("rx_rss_mb", "tx_rss_mb")}
    growth["rx_rss_mb_after_drain"] = (rx_rss_end - base[0]["rx_rss_mb"]) / base[0]["rx_rss_mb"]
    res = dict(command=f"sim/ota_soak/soak.py --minutes {args.minutes:g} --channel {args.channel}", date=time.strftime("%Y-%m-%d %H:%M"),
               scheme=args.scheme, channel=args.channel, rx_arguments=chan, throttle=float(args.samp_rate), seconds=round(elapsed, 1),
               sent=sent, receiver=r, tail_after_last_seq=tail,
               accounting=dict(sent=sent, decoded_plus_lost_plus_tail=acc_sent, every_frame_accounted=acc_sent == sent,
                               decoded=r["decoded"], images_plus_dropped_plus_errors=acc_decoded,
                               every_decoded_frame_accounted=acc_decoded == r["decoded"]),
               rate_msps=r["samples"] / elapsed / 1e6, memory_growth=growth,
               memory_ok=all(v < 0.10 for v in growth.values()),
               rss_mb=dict(rx_start=base[0]["rx_rss_mb"], rx_end=samples[-1]["rx_rss_mb"], tx_start=base[0]["tx_rss_mb"],
                           tx_end=samples[-1]["tx_rss_mb"]),
               mean_psnr=doc.get("mean_psnr"), samples=samples)
    out = Path(args.out)
    (out / "soak.json").write_text(json.dumps(res, indent=1))
    plot(res, out / "soak.png")
    print(json.dumps({k: v for k, v in res.items() if k != "samples"}, indent=1, default=str))


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    s = res["samples"]
    t = [x["t"] / 60 for x in s]
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True)
    a1.plot(t, [x["rx_rss_mb"] for x in s], label="RX process")
    a1.plot(t, [x["tx_rss_mb"] for x in s], label="TX process")
    a1.set_ylabel("resident memory [MB]")
    a1.set_ylim(bottom=0)
    a1.legend()
    a1.set_title(f"ZMQ pair soak, {res['seconds'] / 60:.1f} min, channel {res['channel']}: memory growth "
                 f"RX {100 * res['memory_growth']['rx_rss_mb']:+.1f} %, TX {100 * res['memory_growth']['tx_rss_mb']:+.1f} %",
                 fontsize=9)
    for key, label in (("tx_sent", "sent (TX)"), ("decoded", "decoded (RX)"), ("images", "images (decoder)"),
                       ("dropped_busy", "dropped, decoder busy"), ("lost", "lost")):
        a2.plot(t, [x[key] or 0 for x in s], label=label)
    a2.set_xlabel("minutes")
    a2.set_ylabel("frames")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
