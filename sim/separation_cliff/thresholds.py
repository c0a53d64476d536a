"""Measure the SNR at which each coded MCS reaches 10 % block error rate.

The numbers feed ``semcom.codecs.separation.LDPC_THRESHOLDS_DB`` (the MCS rules ``adaptive`` and
``best`` pick the highest-rate MCS whose threshold + margin lies below the SNR). Full-length
blocks of ``DEFAULT_CODEWORD_BITS`` coded bits (the layout the separation codecs use for long
codestreams) over complex AWGN, the project's fast layered min-sum decoder, 20 iterations.

    .venv/bin/python sim/separation_cliff/thresholds.py [--blocks 300] [--target 0.1] [--mcs all]

``--mcs`` takes ``ladder`` (the 9 MCSes of DiffJSCC's adaptive ladder), ``all`` (every coded MCS of
``semcom.phy.MCS_TABLE``) or a ``+``-separated list. MCSes already in the output file are kept
as they are (their curves were measured with the generator of that run) unless ``--remeasure``;
each newly measured MCS gets its own generator, seeded from ``--seed`` and its index in the table.
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from semcom.channels import get_channel
from semcom.phy import DigitalReceiver, DigitalTransmitter, block_layout, get_mcs
from semcom.phy.mcs import MCS_TABLE
from semcom.phy.digital import CRC_BITS, DEFAULT_CODEWORD_BITS

LADDER = ["bpsk-1/2", "bpsk-2/3", "qpsk-1/2", "qpsk-3/4", "16qam-1/2", "16qam-3/4", "64qam-2/3",
          "64qam-3/4", "64qam-5/6"]


def bler(mcs, snr_db, blocks, gen, decoder="fast"):
    mcs = get_mcs(mcs)
    k_max = int(DEFAULT_CODEWORD_BITS * float(mcs.code_rate)) - CRC_BITS  # one full block
    tx, rx = DigitalTransmitter(mcs), DigitalReceiver(mcs, decoder=decoder)
    bits = torch.randint(0, 2, (blocks, k_max), generator=gen).float()
    y, csi = get_channel("awgn", generator=gen)(tx(bits), snr_db)
    _, ok = rx(y, csi.noise_var, num_bits=k_max)
    return 1.0 - ok.float().mean().item()


CODED = [name for name, m in MCS_TABLE.items() if m.coded]


def mcs_list(text: str) -> list:
    """``ladder`` | ``all`` | ``name+name+...`` -> MCS names."""
    if text == "ladder":
        return list(LADDER)
    if text == "all":
        return list(CODED)
    return [get_mcs(t).name for t in text.split("+")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--blocks", type=int, default=300)
    ap.add_argument("--target", type=float, default=0.1)
    ap.add_argument("--step", type=float, default=0.25)
    ap.add_argument("--mcs", default="all", help="ladder | all | name+name+...")
    ap.add_argument("--remeasure", action="store_true", help="measure MCSes already in --out again")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(Path(__file__).with_name("thresholds.json")))
    args = ap.parse_args()
    out = Path(args.out)
    old = json.loads(out.read_text()) if out.is_file() else {}
    if old and (old.get("target_bler"), old.get("blocks")) != (args.target, args.blocks):
        raise SystemExit(f"{out} holds target {old.get('target_bler')} / {old.get('blocks')} blocks; "
                         "use another --out or the same settings")
    result = dict(old.get("mcs", {})) if not args.remeasure else {}
    todo = [n for n in mcs_list(args.mcs) if n not in result]
    for name in tqdm(todo, desc="MCS"):
        gen = torch.Generator().manual_seed(args.seed + 1000 * (1 + CODED.index(name)))
        mcs = get_mcs(name)
        snr, curve = math.floor(mcs.shannon_snr_db / args.step) * args.step, []
        while True:
            p = bler(mcs, snr, args.blocks, gen)
            curve.append((snr, p))
            tqdm.write(f"{name:10s} {snr:6.2f} dB  BLER {p:.3f}")
            if p < args.target:
                break
            snr += args.step
        (s0, p0), (s1, p1) = curve[-2] if len(curve) > 1 else curve[-1], curve[-1]
        # interpolate log(BLER) linearly between the last two points
        if len(curve) > 1 and p1 > 0:
            t = (math.log(p0) - math.log(args.target)) / (math.log(p0) - math.log(p1))
            thr = s0 + t * (s1 - s0)
        else:
            thr = s1
        result[name] = {"threshold_db": round(thr, 2), "shannon_db": round(mcs.shannon_snr_db, 2),
                        "curve": curve, "block_coded_bits": block_layout(
                            int(DEFAULT_CODEWORD_BITS * float(mcs.code_rate)) - CRC_BITS, mcs).n}
    result = {n: result[n] for n in CODED if n in result}  # table order
    out.write_text(json.dumps({"target_bler": args.target, "blocks": args.blocks,
                               "mcs": result}, indent=1))
    for name, r in result.items():
        print(f"{name:10s} threshold {r['threshold_db']:6.2f} dB  (Shannon {r['shannon_db']:6.2f} dB)")


if __name__ == "__main__":
    main()
