"""Mean, median and total compute time per scheme (and image size) in a results store, from its
computation log: what a sweep's rows cost, to plan a larger one.

    .venv/bin/python scripts/sweep_costs.py out/all_schemes/results.sqlite [--markdown]
"""
from __future__ import annotations

import argparse
import sqlite3
import sys

import numpy as np


def costs(path) -> list:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = con.execute("SELECT r.scheme, c.seconds FROM computations c JOIN rows r ON r.key = c.row_key "
                            "WHERE c.seconds IS NOT NULL").fetchall()
    finally:
        con.close()
    by = {}
    for scheme, seconds in found:
        by.setdefault(scheme, []).append(seconds)
    return [{"scheme": s, "rows": len(v), "mean": float(np.mean(v)), "median": float(np.median(v)),
             "total": float(np.sum(v))} for s, v in sorted(by.items())]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("store")
    p.add_argument("--markdown", action="store_true")
    args = p.parse_args(argv)
    rows = costs(args.store)
    if args.markdown:
        print("| scheme | rows | mean s/row | median s/row | total s |\n| --- | --- | --- | --- | --- |")
        for r in rows:
            print(f"| {r['scheme']} | {r['rows']} | {r['mean']:.2f} | {r['median']:.2f} | {r['total']:.0f} |")
    else:
        for r in rows:
            print(f"{r['scheme']:<44} {r['rows']:>6} rows  mean {r['mean']:7.2f} s  median {r['median']:7.2f} s  "
                  f"total {r['total']:9.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
