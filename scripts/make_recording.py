#!/usr/bin/env python
"""Make the shipped SigMF recording: ota-test frames through the channel emulator and GNU Radio's
channels blocks (all the impairments of issue 20), received and annotated in the same flowgraph.

    .venv/bin/python scripts/make_recording.py [--frames 12] [--out data/recordings/ota_impairments]

semantic_tx (ota-test:factor=2, the demo photograph at 64x64) -> semcom.channel (AWGN 20 dB, CFO
1.2 subcarrier spacings, delay 137) -> semcom.impairments (40 ppm SCO, 100 Hz phase noise,
1 dB / 5 deg IQ imbalance, DC 0.05+0.03j, TDL-C 300 ns) -> semantic_rx + semcom.sigmf_sink (the
same stream). The metadata is then written from the receiver's records (one annotation per decoded
frame, its image saved beside the recording): tests/test_recording.py replays the recording and
expects those images.
"""
import argparse
import json
import shutil
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SETTINGS = dict(channel=dict(model="awgn", snr_db=20.0, cfo_subcarriers=1.2, delay=137, seed=21),
                impairments=dict(samp_rate=10e6, sco_ppm=40.0, linewidth=100.0, iq_gain=1.0, iq_phase=5.0,
                                 dc_i=0.05, dc_q=0.03, delay_spread=300e-9, doppler=5.0, seed=22))
SCHEME = "ota-test:factor=2"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--out", default=str(REPO / "data" / "recordings" / "ota_impairments"))
    args = ap.parse_args()
    import torch
    from gnuradio import gr

    from semcom.gr.channel import channel
    from semcom.gr.impairments import impairments
    from semcom.gr.semantic_rx import semantic_rx
    from semcom.gr.semantic_tx import semantic_tx
    from semcom.gr.sigmf_sink import sigmf_sink
    from semcom.ota.recording import annotation, base_of, write_meta
    torch.set_num_threads(1)
    base = base_of(args.out)
    base.parent.mkdir(parents=True, exist_ok=True)
    image = str(REPO / "data" / "demo" / "astronaut.png")
    c, i = SETTINGS["channel"], SETTINGS["impairments"]
    with tempfile.TemporaryDirectory() as d:
        tb = gr.top_block()
        tx = semantic_tx(scheme=SCHEME, images=image, size=64, repeat=args.frames, gap=400, snr=c["snr_db"])
        ch = channel(model="awgn", snr=c["snr_db"], cfo=c["cfo_subcarriers"] / 64, delay=c["delay"], seed=c["seed"])
        im = impairments(**i)
        rx = semantic_rx(out_dir=d, reference=image, size=64, max_cfo=3.5, resume=False)
        rec = sigmf_sink(path=str(base), samp_rate=i["samp_rate"], center_freq=2.45e9,
                         hardware="emulator: semcom.channel + semcom.impairments (GNU Radio channels blocks)",
                         settings=json.dumps(SETTINGS), scheme=SCHEME)
        tb.connect(tx, ch, im, rx)
        tb.connect(im, rec)
        tb.run()
        folder = base.parent / (base.name + "_images")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        anns = []
        for r in rx.records:
            if "file" not in r:
                continue
            name = Path(r["file"]).name
            shutil.copy(r["file"], folder / name)
            anns.append(annotation(dict(r, image=f"{folder.name}/{name}")))
        write_meta(base, i["samp_rate"], 2.45e9, rec.hardware, SETTINGS, SCHEME,
                   f"{len(anns)} {SCHEME} frames of the demo photograph (64x64) at 20 dB with 40 ppm SCO, "
                   "100 Hz phase noise, 1 dB / 5 deg IQ imbalance, DC offset, TDL-C 300 ns", anns)
        print(f"{rec.samples} samples, {len(anns)} frames annotated; receiver {rx.stats}")
        print(f"wrote {base}.sigmf-meta, {base}.sigmf-data and {folder}")


if __name__ == "__main__":
    main()
