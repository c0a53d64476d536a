#!/usr/bin/env python
"""Benchmark semcom.phy.ldpc.LDPC5GFastDecoder against Sionna's LDPC5GDecoder.

For each code: one batch of QPSK/AWGN blocks (Sionna Mapper/AWGN/app-Demapper) at a given
Eb/N0 is decoded by
  * Sionna ``LDPC5GDecoder(encoder, num_iter=N)`` (default flooding boxplus-phi),
  * ``LDPC5GFastDecoder(encoder, num_iter=N, early_stop=False)`` (same fixed N iterations),
  * ``LDPC5GFastDecoder(encoder, num_iter=N, early_stop=True)``,
and the decoded information bits per second (wall clock, best of --repeats, after warm-up)
and the BLER on exactly the same LLRs are reported. ``--write`` puts the table into the
"## LDPC decoder" section of BENCHMARKS.md (replacing an older one).

    .venv/bin/python scripts/bench_ldpc.py            # print the table
    .venv/bin/python scripts/bench_ldpc.py --write    # ... and update BENCHMARKS.md
"""
from __future__ import annotations

import argparse
import datetime as _dt
import os
import platform
import re
import sys
import time
from pathlib import Path

import semcom  # noqa: F401  (sets OMP_WAIT_POLICY before numba/torch threads start)

import numba
import torch
from tqdm import tqdm

import sionna.phy
from sionna.phy.channel import AWGN
from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
from sionna.phy.mapping import Demapper, Mapper

from semcom.phy.ldpc import LDPC5GFastDecoder
from semcom.snr import noise_variance, snr_db_from_ebno

SECTION = "## LDPC decoder"


def parse_codes(text):
    """'512,1024,1.75;300,700,1.75' -> [(512, 1024, 1.75), ...]"""
    out = []
    for item in text.split(";"):
        k, n, eb = item.split(",")
        out.append((int(k), int(n), float(eb)))
    return out


def make_llr(enc, ebno_db, batch, seed):
    sionna.phy.config.seed = seed
    g = torch.Generator().manual_seed(seed)
    u = torch.randint(0, 2, (batch, enc.k), generator=g).float()
    no = noise_variance(snr_db_from_ebno(ebno_db, 2, enc.k / enc.n))
    y = AWGN()(Mapper("qam", 2)(enc(u)), no)
    return u, Demapper("app", "qam", 2)(y, no)


def timed(fn, repeats):
    best = float("inf")
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--codes", default="512,1024,1.75;300,700,1.75;1024,1152,4.25",
                    help="'k,n,EbN0dB;...' (QPSK over AWGN)")
    ap.add_argument("--batch", type=int, default=500, help="blocks per code (same for both)")
    ap.add_argument("--iters", type=int, default=20, help="decoder iterations")
    ap.add_argument("--repeats", type=int, default=3,
                    help="timing repeats of the fast decoder (best is kept)")
    ap.add_argument("--sionna-repeats", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--write", action="store_true", help=f"update '{SECTION}' in BENCHMARKS.md")
    args = ap.parse_args(argv)

    codes = parse_codes(args.codes)
    rows = []
    steps = tqdm(total=len(codes) * 4, desc="bench_ldpc", unit="step")
    for k, n, eb in codes:
        enc = LDPC5GEncoder(k, n)
        u, llr = make_llr(enc, eb, args.batch, args.seed)
        bits = args.batch * k

        steps.set_postfix_str(f"({k},{n}) warm-up")
        ref = LDPC5GDecoder(enc, num_iter=args.iters)
        fixed = LDPC5GFastDecoder(enc, num_iter=args.iters, early_stop=False)
        early = LDPC5GFastDecoder(enc, num_iter=args.iters, early_stop=True)
        ref(llr[:8])
        fixed(llr)  # numba compile / cache load + warm caches
        early(llr)
        steps.update(1)

        steps.set_postfix_str(f"({k},{n}) sionna")
        t_ref, u_ref = timed(lambda: ref(llr), args.sionna_repeats)
        steps.update(1)
        steps.set_postfix_str(f"({k},{n}) fast fixed")
        t_fix, (u_fix, _) = timed(lambda: fixed(llr), args.repeats)
        steps.update(1)
        steps.set_postfix_str(f"({k},{n}) fast early-stop")
        t_es, (u_es, ok_es) = timed(lambda: early(llr), args.repeats)
        avg_it = float(early.last_num_iter.mean())
        steps.update(1)

        def bler(uh):
            return (uh != u).any(dim=-1).float().mean().item()

        r_ref = bits / t_ref / 1e6
        rows.append(dict(code=f"({k}, {n})", bg=enc._bg, z=enc.z, eb=eb,
                         dec="Sionna LDPC5GDecoder (flooding boxplus-phi)",
                         it=f"{args.iters}", bler=bler(u_ref), mbps=r_ref, ratio=1.0))
        rows.append(dict(code=f"({k}, {n})", bg=enc._bg, z=enc.z, eb=eb,
                         dec="LDPC5GFastDecoder, fixed iterations",
                         it=f"{args.iters}", bler=bler(u_fix), mbps=bits / t_fix / 1e6,
                         ratio=t_ref / t_fix))
        rows.append(dict(code=f"({k}, {n})", bg=enc._bg, z=enc.z, eb=eb,
                         dec="LDPC5GFastDecoder, early stop",
                         it=f"<= {args.iters} (avg {avg_it:.1f})", bler=bler(u_es),
                         mbps=bits / t_es / 1e6, ratio=t_ref / t_es))
    steps.close()

    hdr = ("| code (k, n) | BG, Z | Eb/N0 [dB] | decoder | iterations | BLER | "
           "info Mbit/s | speed-up vs Sionna |")
    lines = [hdr, "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['code']} | {r['bg']}, {r['z']} | {r['eb']:.2f} | {r['dec']} | "
                     f"{r['it']} | {r['bler']:.4f} | {r['mbps']:.3f} | {r['ratio']:.0f}x |")
    table = "\n".join(lines)
    print()
    print(table)

    if args.write:
        cmd = "OMP_WAIT_POLICY=PASSIVE .venv/bin/python scripts/bench_ldpc.py " + " ".join(
            a if re.match(r"^[\w.,=-]+$", a) else repr(a) for a in (argv or sys.argv[1:]))
        try:
            load = "%.1f / %.1f / %.1f" % os.getloadavg()
        except OSError:
            load = "n/a"
        body = "\n".join([
            SECTION,
            "",
            f"Measured {_dt.date.today().isoformat()} with `{cmd.strip()}` "
            f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"numba {numba.__version__} with {numba.get_num_threads()} threads, "
            f"torch {torch.__version__} with {torch.get_num_threads()} threads, "
            f"load average {load} at the end of the run).",
            "",
            f"QPSK over AWGN (Sionna Mapper/AWGN/app Demapper), {args.batch} blocks per code, "
            "the *same* LLRs for every decoder. Throughput = decoded information bits per "
            "second of wall-clock time (Sionna: best of "
            f"{args.sionna_repeats}, fast decoder: best of {args.repeats}, after warm-up; "
            "numba compilation excluded). Speed-up = Sionna time / fast decoder time. "
            "The fast decoder is layered normalised min-sum (alpha=0.75) in numba; Sionna's is "
            "its default flooding boxplus-phi. The machine is shared, so absolute figures "
            "vary with load; both decoders are measured in the same run.",
            "",
            table,
            "",
        ])
        path = semcom.repo_root() / "BENCHMARKS.md"
        text = path.read_text() if path.exists() else "# Benchmarks\n\n"
        pat = re.compile(r"^## LDPC decoder\n.*?(?=^## |\Z)", re.S | re.M)
        if pat.search(text):
            text = pat.sub(lambda _m: body + "\n", text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + body
        path.write_text(text.rstrip("\n") + "\n")
        print(f"\nwrote section '{SECTION}' to {path}")


if __name__ == "__main__":
    main()
