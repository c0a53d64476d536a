"""DeepJSCC against the separation baselines at equal channel uses (issue: codecs and baselines).

The 13 test photographs of data manifest v1 (``--data-version 1``, the default; 2 gives the 51 of v2) at
64x64 (centre crops), K = 512 complex channel uses per image (DeepJSCC's
CBR 1/24), AWGN and block Rayleigh (ZF), SNR 0-20 dB, 2 noise draws per point:
  deepjscc                 the shipped SNR-adaptive model (models/deepjscc)
  jpeg2000-ldpc / bpg-ldpc OpenJPEG / HEVC intra + CRC + 5G LDPC + QAM, DiffJSCC's adaptive MCS
  jpeg2000-capacity        the same codestreams through an ideal code at the same K

Writes results.json (semcom-eval/1), metrics_vs_snr.png, metrics_vs_cbr.png, grid.png and the
tables in README.md. Run from the repository root:

    .venv/bin/python sim/deepjscc_vs_separation/run.py
"""
import sys
import time
from pathlib import Path

import click

from semcom import data
from semcom.evaluation import evaluate, save

HERE = Path(__file__).resolve().parent
K = 512
SCHEMES = ["deepjscc", f"jpeg2000-ldpc:channel_uses={K}", f"bpg-ldpc:channel_uses={K}",
           f"jpeg2000-capacity:channel_uses={K}"]


@click.command()
@click.option("--snr", "snrs", default="0,2,5,10,15,20", show_default=True)
@click.option("--channels", default="awgn,rayleigh-block", show_default=True)
@click.option("--runs", default=2, show_default=True)
@click.option("--size", default=64, show_default=True)
@click.option("--data-version", default=1, show_default=True,
              help="semcom.data manifest version whose test split to use (the results here are on v1)")
@click.option("--out", "out_dir", default=str(HERE), show_default=True)
def main(snrs, channels, runs, size, data_version, out_dir):
    images = data.load_images("test", size=size, version=data_version)
    names = data.list_images("test", version=data_version)
    start = time.time()
    results = evaluate(SCHEMES, channels.split(","), [float(s) for s in snrs.split(",")], images, names,
                       runs=runs, metrics=["psnr", "ssim", "ms_ssim", "lpips"])
    save(results, out_dir)
    lines = [f"Made by `.venv/bin/python sim/deepjscc_vs_separation/run.py` in {time.time() - start:.0f} s "
             f"({len(names)} test images of data manifest v{data_version} at {size}x{size}, K = {K}, {runs} runs "
             "per point).", ""]
    for channel in channels.split(","):
        lines += [f"### {channel}", "", "| scheme | " + " | ".join(f"{s:g} dB" for s in results["settings"]["snrs"]) + " |",
                  "| --- |" + " --- |" * len(results["settings"]["snrs"])]
        for rec in (r for r in results["curves"] if r["channel"] == channel):
            r = rec["results"]
            cells = [f"{p:.1f} / {l:.3f} / {d:.0%}" for p, l, d in zip(r["psnr"], r["lpips"], r["delivered"])]
            lines.append(f"| {rec['name']} | " + " | ".join(cells) + " |")
        lines += ["", "Cells: PSNR (dB) / LPIPS-alex / share of images delivered; failures score PSNR 0, LPIPS 1.", ""]
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else ""
    marker = "## Results"
    head = text.split(marker)[0] if marker in text else __doc__.strip() + "\n\n"
    readme.write_text(head + marker + "\n\n" + "\n".join(lines) + "\n")
    click.echo("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
