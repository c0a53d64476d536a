"""Frame success against SNR for each radio impairment alone and all together, with and without the
receiver's tracking (issue 20).

Part 1, closed form (``semcom.ota.impairments`` in numpy): a stream of frames back to back with
short gaps, each impairment applied over the whole stream, the SAME impaired samples given to
``FrameReceiver(tracking=True)`` and ``FrameReceiver(tracking=False)``. A frame is a success when
it is detected, its header decodes and every block of its 16-QAM digital stream passes its CRC
with the sent bits; the analog stream's NMSE is reported beside it.

Part 2, GNU Radio (the must-show): ``semantic_tx`` (ota-test) -> ``semcom.channel`` (AWGN 20 dB,
static CFO) -> ``semcom.impairments`` (GNU Radio's channels blocks: 40 ppm SCO, CFO random walk,
100 Hz phase noise, 1 dB / 5 deg IQ imbalance, DC, TDL-C 300 ns selective fading) -> two
``semantic_rx`` (tracking on / off) on the same samples in one flowgraph, 1000 frames.

Writes results.json, frame_success.png and the tables in README.md. From the repository root:

    .venv/bin/python sim/ota_impairments/run.py [--frames 100] [--gr-frames 1000]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np  # noqa: E402
import torch  # noqa: E402

from semcom.ota import FrameReceiver, FrameTransmitter  # noqa: E402
from semcom.ota import impairments as imp  # noqa: E402
from semcom.transport import Message, Stream  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FS = 10e6
SNRS = [6.0, 10.0, 14.0, 17.0, 20.0, 25.0]
GAP = 400


def messages(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [Message({"img": Stream("analog", torch.rand(1, 3, 32, 64, generator=g) - 0.5),
                     "bits": Stream("digital", torch.randint(0, 2, (1, 1200), generator=g).float(),
                                    mcs="16qam-1/2")}, (3, 64, 64)) for _ in range(n)]


def cases(period, n_frames):
    drift = 6.0 / (1000 * period / FS)     # -3 -> +3 subcarrier spacings over 1000 frames
    return {
        "none": imp.Impairments(),
        "sco 40 ppm": imp.Impairments(sco_ppm=40),
        "cfo -3 sc drifting": imp.Impairments(cfo=-3.0, cfo_drift=drift),
        "phase noise 100 Hz": imp.Impairments(linewidth=100),
        "iq 1 dB / 5 deg": imp.Impairments(iq_gain_db=1, iq_phase_deg=5),
        "dc -20 dBc": imp.Impairments(dc=0.09 * np.exp(0.7j)),
        "tdl-c 300 ns": imp.Impairments(delay_spread=300e-9, fading_block=period),
        "all": imp.Impairments(sco_ppm=40, cfo=-3.0, cfo_drift=drift, linewidth=100, iq_gain_db=1,
                               iq_phase_deg=5, dc=0.09 * np.exp(0.7j), delay_spread=300e-9,
                               fading_block=period),
    }


def receive(y, msgs, tracking):
    rx = FrameReceiver(max_cfo=3.5, tracking=tracking)
    got = []
    for i in range(0, len(y), 8192):
        got += rx.push(y[i:i + 8192])
    ok, nmse = 0, []
    for f in got:
        ref = msgs[f.seq % len(msgs)]
        bits = f.message.streams["bits"]
        ok += bool(bits.block_ok.all()) and torch.equal(bits.data, ref.streams["bits"].data)
        a = ref.streams["img"].data
        nmse.append(10 * math.log10(float(((f.message.streams["img"].data - a) ** 2).mean() / (a ** 2).mean())))
    return ok, len(got), float(np.median(nmse)) if nmse else None, rx.stats


def part1(n_frames):
    msgs = messages(8)
    tx = FrameTransmitter()
    frames = [tx.frame(msgs[i % len(msgs)], "ota-test", i) for i in range(n_frames)]
    period = len(frames[0]) + GAP
    s = np.concatenate(sum([[np.zeros(GAP, np.complex64), f] for f in frames], []) + [np.zeros(GAP, np.complex64)])
    rows = []
    for name, impair in cases(period, n_frames).items():
        for snr in SNRS:
            y = impair.apply(s, snr, np.random.default_rng(int(snr * 10)))
            row = dict(impairment=name, snr_db=snr, frames=n_frames)
            for tracking in (True, False):
                t = time.process_time()
                ok, det, nmse, st = receive(y, msgs, tracking)
                key = "tracking" if tracking else "no_tracking"
                row[key] = dict(success=ok, decoded=det, success_rate=ok / n_frames, nmse_db=nmse,
                                cpu_s=round(time.process_time() - t, 2),
                                header_failed=st["header_failed"], false_alarms=st["false_alarms"])
            rows.append(row)
            print(f"{name:20s} {snr:5.1f} dB  tracking {row['tracking']['success']:4d}/{n_frames}  "
                  f"without {row['no_tracking']['success']:4d}/{n_frames}", flush=True)
    return dict(frame_samples=len(frames[0]), gap=GAP, frames_per_point=n_frames, rows=rows)


GR_SETTINGS = dict(snr=20.0, cfo=1.5, sco_ppm=40.0, cfo_std=100.0, cfo_max=1.5, linewidth=100.0,
                   iq_gain=1.0, iq_phase=5.0, dc_i=0.05, dc_q=0.03, delay_spread=300e-9, doppler=5.0)


def part2(n_frames):
    """The GNU Radio flowgraph with GNU Radio's channels blocks, two receivers on one stream."""
    from gnuradio import gr

    from semcom.gr.channel import channel
    from semcom.gr.impairments import impairments
    from semcom.gr.semantic_rx import semantic_rx
    from semcom.gr.semantic_tx import semantic_tx
    image = str(REPO / "data" / "demo" / "astronaut.png")
    g = GR_SETTINGS
    out = {}
    with tempfile.TemporaryDirectory() as d:
        tb = gr.top_block()
        tx = semantic_tx(scheme="ota-test:factor=2", images=image, size=64, repeat=n_frames, gap=GAP, snr=g["snr"])
        ch = channel(model="awgn", snr=g["snr"], cfo=g["cfo"] / 64, delay=137, seed=11)
        im = impairments(samp_rate=FS, sco_ppm=g["sco_ppm"], cfo_std=g["cfo_std"], cfo_max=g["cfo_max"],
                         linewidth=g["linewidth"], iq_gain=g["iq_gain"], iq_phase=g["iq_phase"],
                         dc_i=g["dc_i"], dc_q=g["dc_q"], delay_spread=g["delay_spread"], doppler=g["doppler"],
                         seed=12)
        rxs = {t: semantic_rx(out_dir=os.path.join(d, t), reference=image, size=64, max_cfo=3.5,
                              tracking=(t == "tracking"), resume=False)
               for t in ("tracking", "no_tracking")}
        tb.connect(tx, ch, im)
        for r in rxs.values():
            tb.connect(im, r)
        t0, c0 = time.time(), time.process_time()
        tb.run()
        out["wall_s"], out["cpu_s"] = round(time.time() - t0, 1), round(time.process_time() - c0, 1)
        for t, r in rxs.items():
            recs = [x for x in r.records if "seq" in x and "psnr" in x]
            good = [x for x in recs if not x["failures"]]
            cfos = [x["cfo"] for x in recs]
            st = r.stats
            out[t] = dict(frames=n_frames, decoded=st["decoded"], success=len(good),
                          success_rate=len(good) / n_frames,
                          lost=n_frames - len(good), header_failed=st["header_failed"],
                          detected=st["detected"], false_alarms=st["false_alarms"],
                          mean_psnr=float(np.mean([x["psnr"] for x in good])) if good else None,
                          cfo_range=[min(cfos), max(cfos)] if cfos else None)
    out["settings"] = g
    return out


def plot(res, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    rows = res["part1"]["rows"]
    names = list(dict.fromkeys(r["impairment"] for r in rows))
    fig, axes = plt.subplots(2, 4, figsize=(16, 7), sharex=True, sharey=True)
    for ax, name in zip(axes.flat, names):
        rr = [r for r in rows if r["impairment"] == name]
        x = [r["snr_db"] for r in rr]
        ax.plot(x, [100 * r["tracking"]["success_rate"] for r in rr], "o-", label="tracking")
        ax.plot(x, [100 * r["no_tracking"]["success_rate"] for r in rr], "s--", label="without tracking")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.set_ylim(-3, 103)
    for ax in axes[1]:
        ax.set_xlabel("SNR [dB per RE]")
    for ax in axes[:, 0]:
        ax.set_ylabel("frame success [%]")
    axes[0, 0].legend(loc="lower right")
    n = res["part1"]["frames_per_point"]
    fig.suptitle(f"OTA frame success ({n} frames per point, 16-QAM-1/2 stream at the frame's end): "
                 "receiver tracking on vs off, same samples")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def tables(res) -> str:
    rows = res["part1"]["rows"]
    n = res["part1"]["frames_per_point"]
    lines = [f"### Frame success, closed-form impairments ({n} frames per point; tracking / without)", "",
             "| impairment | " + " | ".join(f"{s:g} dB" for s in SNRS) + " |",
             "|---|" + "---|" * len(SNRS)]
    for name in dict.fromkeys(r["impairment"] for r in rows):
        rr = {r["snr_db"]: r for r in rows if r["impairment"] == name}
        cells = [f"{rr[s]['tracking']['success']} / {rr[s]['no_tracking']['success']}" for s in SNRS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    p2 = res.get("part2")
    if p2:
        g = p2["settings"]
        lines += ["", f"### GNU Radio flowgraph, all impairments at {g['snr']:g} dB, {p2['tracking']['frames']} frames, "
                  "both receivers on the same samples", "",
                  "| receiver | frames decoded (no codec failure) | success | header failed | false alarms | "
                  "mean PSNR [dB] | CFO seen [sc] |", "|---|---|---|---|---|---|---|"]
        for t in ("tracking", "no_tracking"):
            r = p2[t]
            cfo = "-" if not r["cfo_range"] else f"{r['cfo_range'][0]:.2f} .. {r['cfo_range'][1]:.2f}"
            ps = "-" if r["mean_psnr"] is None else f"{r['mean_psnr']:.2f}"
            lines.append(f"| {t.replace('_', ' ')} | {r['success']}/{r['frames']} | {100 * r['success_rate']:.1f} % | "
                         f"{r['header_failed']} | {r['false_alarms']} | {ps} | {cfo} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=100, help="frames per (impairment, SNR) point")
    ap.add_argument("--gr-frames", type=int, default=1000, help="frames through the GNU Radio flowgraph (0: skip)")
    ap.add_argument("--skip-part1", action="store_true", help="keep part 1 of an earlier results.json")
    args = ap.parse_args()
    torch.set_num_threads(1)
    path = HERE / "results.json"
    res = json.loads(path.read_text()) if args.skip_part1 and path.exists() else {}
    if not args.skip_part1:
        res["part1"] = part1(args.frames)
    if args.gr_frames:
        res["part2"] = part2(args.gr_frames)
        print(json.dumps(res["part2"], indent=1))
    res["command"] = "sim/ota_impairments/run.py " + f"--frames {args.frames} --gr-frames {args.gr_frames}"
    res["date"] = time.strftime("%Y-%m-%d")
    path.write_text(json.dumps(res, indent=1))
    plot(res, HERE / "frame_success.png")
    text = tables(res)
    print(text)
    (HERE / "tables.md").write_text(text)


if __name__ == "__main__":
    main()
