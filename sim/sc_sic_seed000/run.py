"""Seed 000 (SC-SIC, Khalid et al.): the shapes of Fig. 4, Table 1, Table 2 and Fig. 8a on CPU.

The 13 test photographs of ``semcom.data`` at ``--size`` x ``--size`` (default: the shipped
model's native size, 256; centre crops; the seed: 100 Cityscapes images at 512x512), the seed's channel ``awgn-real`` (real AWGN on the transmitted reals, SNR = P/sigma^2),
SNR in {1, 5, 10, 15, 20} dB, ``--runs`` noise draws per point:

- Fig. 4: PSNR / SSIM / LPIPS / FID vs SNR for
    sc-sic                              the shipped model (models/sc-sic), CR 48 (K = 2048 at 256 px),
                                        its receiver: the noise-fine-tuned Stage B below the model's
                                        high_snr_from_db, the clean-trained one from there
    sc-sic:high_snr_from_db=inf         the fine-tuned Stage B at every SNR (the seed's receiver)
    deepjscc:model_dir=models/deepjscc-c1
                                        DeepJSCC with c = 1 latent channel: the SAME K as SC-SIC
                                        (checked), if present
    deepjscc                            the shipped DeepJSCC (models/deepjscc, c = 4) at ITS K, 4x
                                        SC-SIC's (the K column says which), if present
    jpeg2000-ldpc:channel_uses=<K>      separation at the SAME K as SC-SIC (the seed's baseline;
                                        failures score PSNR 0, SSIM 0, LPIPS 1, FID 500 as in the seed)
    jpeg2000-ldpc:channel_uses=<K_dj>   separation at DeepJSCC's K
  FID on 13 small images is a small-sample statistic: read it for its shape only.
- Table 1: transmitted dimensionality and CR (C*H*W / reals sent, via Message.compression_ratio()).
- Table 2: predictability at each of ``--pred-snrs``: each of ``--pred-images`` images sent 25 times
  (fresh channel noise each time), mean +- std of pairwise LPIPS
  (``semcom.metrics.predictability``), averaged over the images. SC-SIC three times: with fresh Stage B
  sampling noise each run (``sc-sic:seed=none``, the seed's protocol: its pairwise LPIPS of 0.17-0.35
  means its samples differ), the same with the fine-tuned Stage B at every SNR, and with the
  codec's default fixed sampling seed (``sc-sic``: only the channel noise differs between runs).
- Fig. 8a: SC-SIC fine-tuned on noisy embeddings (at every SNR) vs not fine-tuned (the pretrained Stage B,
  ``models/sc-sic/pretrain/decoder``: the seed's comparison) and vs the ablation (the same number of
  further steps on clean embeddings, ``models/sc-sic/ablation/decoder``: equal training compute).

Writes results.json, fig4.png, fig8a.png, grid.png, examples_20db.png and the tables in README.md
(``--table2-only``: only Table 2, to table2_<size>px.json or ``--table2-json``, with each image's
mean and std and the command). Run from the root:

    .venv/bin/python sim/sc_sic_seed000/run.py
"""
from __future__ import annotations

import json
import math
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

import semcom
from semcom import data
from semcom.evaluation import evaluate, save
from semcom.transport import ANALOG, Message, Stream

HERE = Path(__file__).resolve().parent
SNRS = (1.0, 5.0, 10.0, 15.0, 20.0)
FINETUNED = "sc-sic:high_snr_from_db=inf"  # the noise-fine-tuned Stage B at every SNR (no switch)


def table1(size: int, scsic_shape: tuple) -> list:
    """(what, image, transmitted shape, CR, % of the original)."""
    entries = [("SC-SIC, 512 px (the seed)", (3, 512, 512), (16, 12, 12)),
               ("SC-SIC, 1024 px (the seed, Fig. 2)", (3, 1024, 1024), (16, 24, 24)),
               ("SC-SIC ablation embedding, 1024 px (the seed)", (3, 1024, 1024), (16, 32, 32)),
               ("Img2Img-SC (the seed's Table 1)", (3, 512, 512), (4, 64, 64)),
               ("DiffSC / CASC (the seed's Table 1)", (3, 512, 512), (8, 32, 32)),
               (f"SC-SIC here (models/sc-sic), {size} px", (3, size, size), tuple(scsic_shape))]
    rows = []
    for what, img, shape in entries:
        msg = Message(streams={"z": Stream(kind=ANALOG, data=torch.zeros(1, *shape))}, image_shape=img)
        cr = float(msg.compression_ratio()[0])
        rows.append({"what": what, "image": list(img), "transmitted": list(shape), "reals": math.prod(shape),
                     "channel_uses": int(msg.channel_uses()[0]), "cr": cr, "percent": 100.0 / cr})
    return rows


def predictability_table(specs, images, snrs, n=25, seed=0, measure_sizes=()) -> list:
    """Each image sent ``n`` times, each a separate transmission (batch of one: a codec with a fixed
    sampling seed decodes every run with the same sampling noise, as it would in use).

    Pairwise LPIPS is measured on the decodes as they are and, for each of ``measure_sizes``
    smaller than the images, on the same decodes downsampled to that size (antialiased bilinear):
    one row per (scheme, SNR, measured size)."""
    import torch.nn.functional as F
    from semcom.channels import get_channel
    from semcom.codecs import get_codec
    from semcom.csi import CSI
    from semcom.metrics import predictability
    from semcom.transport import send_message
    from tqdm import tqdm
    out = []
    codecs = {spec: get_codec(spec) for spec in specs}
    jobs = [(spec, snr) for spec in specs for snr in snrs]
    for spec, snr in tqdm(jobs, desc="Table 2", unit="point", mininterval=10):
        codec = codecs[spec]
        size = images.shape[-1]
        sizes = [size] + sorted({int(m) for m in measure_sizes if int(m) < size}, reverse=True)
        means, stds = {m: [] for m in sizes}, {m: [] for m in sizes}
        for i in range(images.shape[0]):
            gen = torch.Generator().manual_seed(seed + i)
            torch.manual_seed(seed + i)
            channel = get_channel("awgn-real", generator=gen)
            msg = codec.encode(images[i:i + 1], CSI.from_snr(snr, 1))
            dec = torch.cat([codec.decode(*send_message(msg, channel, snr)) for _ in range(n)])
            for m in sizes:
                small = dec if m == size else F.interpolate(dec, size=(m, m), mode="bilinear", antialias=True)
                mean, std = predictability(small)
                means[m].append(mean)
                stds[m].append(std)
        for m in sizes:
            out.append({"scheme": spec, "snr_db": snr, "runs": n, "images": images.shape[0], "measured_px": m,
                        "lpips_pairwise_mean": float(np.mean(means[m])), "lpips_pairwise_std": float(np.mean(stds[m])),
                        "per_image_mean": [float(v) for v in means[m]], "per_image_std": [float(v) for v in stds[m]]})
            print(f"predictability {spec} at {snr:g} dB, measured at {m} px: {out[-1]['lpips_pairwise_mean']:.4f} "
                  f"+- {out[-1]['lpips_pairwise_std']:.4f}", flush=True)
    return out


def paired_differences(results, scheme, reference, metric="lpips") -> list:
    """Per SNR: mean and standard error of ``metric`` of ``scheme`` minus ``reference`` over the
    (image, run) pairs of ``results`` (both decoded the same channel and sampling noise draws)."""
    rows = {(r["scheme"], r["snr_db"], r["image"], r["run"]): r[metric] for r in results["rows"]}
    out = []
    for snr in results["settings"]["snrs"]:
        diff = np.array([v - rows[(reference, s, i, k)] for (name, s, i, k), v in rows.items()
                         if name == scheme and s == snr and (reference, s, i, k) in rows])
        out.append({"snr_db": snr, "pairs": int(diff.size), "mean": float(diff.mean()),
                    "stderr": float(diff.std(ddof=1) / math.sqrt(diff.size)) if diff.size > 1 else float("nan"),
                    "wins": int((diff < 0).sum())})
    return out


def _average_set_metrics_over_runs(results):
    """semcom.evaluation.curves appends one set-metric value per (SNR, run); keep one per SNR (mean)."""
    for rec in results["curves"]:
        for key in results["settings"]["set_metrics"]:
            vals = []
            for snr in rec["results"]["snr_db"]:
                sel = [e[key] for e in results["sets"] if e["scheme"] == rec["name"]
                       and e["channel"] == rec["channel"] and e["snr_db"] == snr]
                vals.append(float(np.mean(sel)))
            rec["results"][key] = vals


def examples_png(images, path, snr=20.0):
    """Rows: the test images, Stage A alone (encode -> decode), SC-SIC through awgn-real at ``snr``."""
    from PIL import Image
    from semcom.channels import get_channel
    from semcom.codecs import get_codec
    from semcom.models.sc_sic.stage_a import decode_latents, encode_latents
    from semcom.transport import send_message
    codec = get_codec("sc-sic")
    rx, csi = send_message(codec.encode(images), get_channel("awgn-real", generator=torch.Generator().manual_seed(0)), snr)
    y = codec.decode(rx, csi)
    with torch.no_grad():
        a = decode_latents(codec.pipe.vqgan, encode_latents(codec.pipe.vqgan, images)).clamp(0, 1)
    arr = torch.cat([torch.cat(list(r), dim=2) for r in (images, a, y)], dim=1)
    save_palette_png(Image.fromarray((arr.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)), path)


def save_palette_png(image, path):
    """Save a photo grid (a PIL image) as a 256-colour dithered PNG: a third of the bytes of RGB,
    so that re-runs do not grow the repository by megabytes each."""
    from PIL import Image
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                  dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)


def resave_as_palette_png(path):
    """:func:`save_palette_png` for a grid another module already wrote to ``path``."""
    from PIL import Image
    with Image.open(path) as im:
        save_palette_png(im, path)


def plot_curves(results, schemes, path, metrics, labels=None):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.6 * len(metrics), 3.2), squeeze=False)
    for ax, m in zip(axes[0], metrics):
        for rec in results["curves"]:
            if rec["name"] in schemes and m in rec["results"]:
                label = (labels or {}).get(rec["name"], rec["name"])
                ax.plot(rec["results"]["snr_db"], rec["results"][m], "o-", label=label, ms=3)
        ax.set_xlabel("SNR [dB] (awgn-real)")
        ax.set_ylabel(m.upper())
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _channel_uses(spec, image) -> int:
    """K (complex channel uses) that the codec ``spec`` sends for ``image`` [1, 3, H, W]."""
    from semcom.codecs import get_codec
    from semcom.csi import CSI
    return int(get_codec(spec).encode(image, CSI.from_snr(10.0, 1)).channel_uses()[0])


def table2_only(args, snrs):
    size = args.pred_size or args.size
    images = data.load_images("test", size=size, version=args.data_version)[:args.pred_images]
    measure = [int(m) for m in args.measure_sizes.split(",")] if args.measure_sizes else ()
    rows = predictability_table(args.pred_schemes.split(";"), images, snrs, measure_sizes=measure)
    out = Path(args.table2_json) if args.table2_json else HERE / f"table2_{size}px.json"
    out.write_text(json.dumps({"command": args.command, "size": size, "images": images.shape[0], "rows": rows}, indent=1))
    print(f"wrote {out}")
    return rows


def main(argv=None):
    import argparse
    p = argparse.ArgumentParser(description="SC-SIC seed 000 figures and tables")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--pred-images", type=int, default=4)
    p.add_argument("--pred-snrs", default="1,5,10,15,20", help="comma-separated SNRs [dB] of Table 2")
    p.add_argument("--size", type=int, default=None,
                   help="test images are centre-cropped to size x size (default: the model's native size)")
    p.add_argument("--pred-size", type=int, default=None,
                   help="image size of Table 2 (default --size; the seed measures at 512 and 1024)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data-version", type=int, default=1,
                   help="semcom.data manifest version whose test split to use (the results here are on v1's 13)")
    p.add_argument("--no-fid", action="store_true")
    p.add_argument("--table2-only", action="store_true",
                   help="only Table 2 (at --pred-size, --pred-snrs), written to table2_<size>px.json; "
                        "README and figures untouched")
    p.add_argument("--pred-schemes", default="sc-sic:seed=none;sc-sic",
                   help="semicolon-separated schemes of --table2-only (the full run also adds DeepJSCC)")
    p.add_argument("--measure-sizes", default=None,
                   help="--table2-only: also measure pairwise LPIPS on the decodes downsampled to these "
                        "comma-separated sizes (how the spread depends on the measured area)")
    p.add_argument("--table2-json", default=None,
                   help="--table2-only: write here instead of table2_<size>px.json in this folder")
    p.add_argument("--reuse", action="store_true", help="take Fig. 4 / 8a from results.json, redo the tables")
    args = p.parse_args(argv)
    args.command = ".venv/bin/python sim/sc_sic_seed000/run.py " + shlex.join(sys.argv[1:] if argv is None else argv)
    torch.set_num_threads(args.threads)
    if args.size is None:
        from semcom.codecs.sc_sic import native_image_size
        args.size = native_image_size()
    start = time.time()
    images = data.load_images("test", size=args.size, version=args.data_version)
    names = data.list_images("test", version=args.data_version)
    pred_snrs = [float(s) for s in args.pred_snrs.split(",")]
    if args.table2_only:
        return table2_only(args, pred_snrs)
    models = Path(semcom.models_dir())
    ablation = models / "sc-sic" / "ablation" / "decoder"
    from semcom.codecs import get_codec
    shipped = get_codec("sc-sic")
    scsic_shape = shipped.embedding_shape(args.size, args.size)
    k = math.prod(scsic_shape) // 2
    switch = shipped.pipe.high_snr_from_db
    schemes = ["sc-sic", FINETUNED, f"jpeg2000-ldpc:channel_uses={k}"]
    labels = {"sc-sic": f"SC-SIC (shipped receiver{f': clean-trained Stage B from {switch:g} dB' if switch is not None else ''}), K={k}",
              FINETUNED: f"SC-SIC fine-tuned Stage B at every SNR, K={k}",
              f"jpeg2000-ldpc:channel_uses={k}": f"JPEG2000+LDPC, K={k}"}
    k_dj = None
    if (models / "deepjscc" / "config.json").is_file():
        k_dj = _channel_uses("deepjscc", images[:1])
        schemes += ["deepjscc", f"jpeg2000-ldpc:channel_uses={k_dj}"]
        labels.update({"deepjscc": f"DeepJSCC, K={k_dj}", f"jpeg2000-ldpc:channel_uses={k_dj}": f"JPEG2000+LDPC, K={k_dj}"})
    equal_k = models / "deepjscc-c1"
    dj_equal = f"deepjscc:model_dir={semcom.portable_path(equal_k)}"
    if (equal_k / "config.json").is_file():
        k_eq = _channel_uses(dj_equal, images[:1])
        if k_eq != k:
            raise SystemExit(f"{equal_k} sends K={k_eq}, SC-SIC K={k}: not the equal-K DeepJSCC")
        schemes.append(dj_equal)
        labels[dj_equal] = f"DeepJSCC c=1 (same K as SC-SIC), K={k}"
    abl_spec = f"sc-sic:decoder_dir={semcom.portable_path(ablation)}"
    if ablation.is_dir():
        schemes.append(abl_spec)
        labels[abl_spec] = f"SC-SIC ablation (same further steps, clean), K={k}"
    pretrained = models / "sc-sic" / "pretrain" / "decoder"
    pre_spec = f"sc-sic:decoder_dir={semcom.portable_path(pretrained)}"
    if pretrained.is_dir():
        schemes.append(pre_spec)
        labels[pre_spec] = f"SC-SIC not fine-tuned (pretrained Stage B), K={k}"
    set_metrics = () if args.no_fid else ("fid",)
    if args.reuse:
        results = json.loads((HERE / "results.json").read_text())
        args.runs = results["settings"]["runs"]
        set_metrics = tuple(results["settings"]["set_metrics"])
    else:
        results = evaluate(schemes, ["awgn-real"], list(SNRS), images, names, runs=args.runs,
                           metrics=["psnr", "ssim", "lpips"], set_metrics=set_metrics)
        _average_set_metrics_over_runs(results)
        if "grid" in save(results, HERE):
            resave_as_palette_png(HERE / "grid.png")
    fig4 = [s for s in schemes if s not in (abl_spec, pre_spec)]
    plot_curves(results, fig4, HERE / "fig4.png", ["psnr", "ssim", "lpips"] + list(set_metrics), labels)
    plot_curves(results, [FINETUNED, pre_spec, abl_spec], HERE / "fig8a.png", ["psnr", "ssim", "lpips"] + list(set_metrics),
                labels)
    examples_png(images, HERE / "examples_20db.png")
    t1 = table1(args.size, scsic_shape)
    pred_specs = ["sc-sic:seed=none", f"{FINETUNED},seed=none", "sc-sic"] + ([dj_equal] if dj_equal in schemes else ["deepjscc"] if k_dj else [])
    pred_size = args.pred_size or args.size
    pred_images = images if pred_size == args.size else data.load_images("test", size=pred_size,
                                                                           version=args.data_version)
    t2 = predictability_table(pred_specs, pred_images[:args.pred_images], pred_snrs)
    (HERE / "tables.json").write_text(json.dumps({"table1": t1, "table2": t2}, indent=1))

    lines = [f"Made by `{args.command}` in "
             f"{time.time() - start:.0f} s ({len(names)} test images at {args.size}x{args.size}, channel awgn-real, {args.runs} runs "
             "per point, CPU).", "", "### Fig. 4 / Fig. 8a: metric vs SNR", "",
             "| scheme | K | " + " | ".join(f"{s:g} dB" for s in SNRS) + " |",
             "| --- | --- |" + " --- |" * len(SNRS)]
    for rec in results["curves"]:
        r = rec["results"]
        cells = [f"{p:.2f} / {s:.3f} / {l:.3f}" + (f" / {f:.0f}" if "fid" in r else "")
                 for p, s, l, f in zip(r["psnr"], r["ssim"], r["lpips"], r.get("fid", [0] * len(SNRS)))]
        lines.append(f"| {labels.get(rec['name'], rec['name'])} | {int(max(r['channel_uses']))} | " + " | ".join(cells) + " |")
    lines += ["", "Cells: PSNR [dB] / SSIM / LPIPS-alex" + (f" / FID ({len(names)} images: small-sample, shape only)"
                                                             if set_metrics else "")
              + "; separation failures score PSNR 0, SSIM 0, LPIPS 1 (FID 500 if nothing is delivered).", "",
              "![Fig. 4](fig4.png)", "", "![Fig. 8a](fig8a.png)", "", "![grid](grid.png)", "",
              "Rows: the 13 test images; Stage A alone; SC-SIC through awgn-real at 20 dB (sampling seed 0):", "",
              "![examples](examples_20db.png)"]
    if abl_spec in schemes:
        lines += ["", "### Fig. 8a, paired: fine-tuned minus clean ablation, per image and noise draw", "",
                  "Both decode the same channel and sampling noise in each run; negative = the fine-tune is better.", "",
                  "| SNR | pairs | LPIPS difference (mean +- s.e.) | fine-tune better in |", "| --- | --- | --- | --- |"]
        for d in paired_differences(results, FINETUNED, abl_spec):
            lines.append(f"| {d['snr_db']:g} dB | {d['pairs']} | {d['mean']:+.4f} +- {d['stderr']:.4f} | "
                         f"{d['wins']} / {d['pairs']} |")
    lines += ["", "### Table 1: transmitted dimensionality", "",
              "| transmitted | image | shape | reals | complex channel uses | CR | % of original |",
              "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in t1:
        lines.append(f"| {r['what']} | {r['image']} | {r['transmitted']} | {r['reals']} | {r['channel_uses']} | "
                     f"{r['cr']:.2f} | {r['percent']:.2f} % |")
    lines += ["", f"### Table 2: predictability (awgn-real, 25 transmissions per image, {args.pred_images} images "
              f"at {pred_size}x{pred_size}; mean +- std of pairwise LPIPS over the 300 pairs, averaged over the images)",
              "", "| scheme | " + " | ".join(f"{s:g} dB" for s in pred_snrs) + " |", "| --- |" + " --- |" * len(pred_snrs)]
    for spec in pred_specs:
        name = {"sc-sic:seed=none": "SC-SIC, fresh Stage B sampling noise each run (the seed's protocol)",
                f"{FINETUNED},seed=none": "SC-SIC fine-tuned Stage B at every SNR, fresh sampling noise each run",
                "sc-sic": "SC-SIC, fixed sampling seed (the codec's default; channel noise only)"}.get(spec, labels.get(spec, spec))
        cells = [f"{r['lpips_pairwise_mean']:.4f} +- {r['lpips_pairwise_std']:.4f}" for r in t2 if r["scheme"] == spec]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else ""
    marker = "## Results"
    head = text.split(marker)[0] if marker in text else "# SC-SIC (seed 000) on CPU\n\n" + __doc__.strip() + "\n\n"
    readme.write_text(head + marker + "\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
