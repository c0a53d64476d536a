"""The ``semcom`` command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def _parse_snrs(text: str) -> list:
    """``"0:10:2"`` (start:stop:step, stop included) or ``"1,5,10"``."""
    if ":" in text:
        parts = [float(p) for p in text.split(":")]
        start, stop, step = (parts + [1.0])[:3] if len(parts) == 2 else parts
        if step <= 0:
            raise click.BadParameter("the SNR step must be positive")
        n = int(round((stop - start) / step)) + 1
        return [round(start + i * step, 6) for i in range(n)]
    return [float(p) for p in text.split(",") if p.strip()]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="semcom")
def cli():
    """gr-semcom: generative semantic image communication over a real physical layer."""


@cli.command()
def info():
    """Versions of the stack and the models shipped in models/."""
    import importlib

    import semcom
    click.echo(f"semcom      {semcom.__version__}")
    for name, module in (("GNU Radio", "gnuradio.gr"), ("torch", "torch"), ("Sionna", "sionna"),
                         ("diffusers", "diffusers"), ("numpy", "numpy"), ("numba", "numba")):
        try:
            mod = importlib.import_module(module)
            version = mod.version() if module == "gnuradio.gr" else mod.__version__
        except Exception as exc:  # report, don't crash: info is what people run when things break
            version = f"not available ({type(exc).__name__}: {exc})"
        click.echo(f"{name:<11} {version}")
    models = semcom.models_dir()
    click.echo(f"models in {models}:")
    found = sorted(p.parent for p in models.glob("**/config.json") if "metrics" not in p.parts)
    for folder in found:
        config = json.loads((folder / "config.json").read_text())
        size = sum(f.stat().st_size for f in folder.glob("*.safetensors"))
        click.echo(f"  {folder.relative_to(models)}: {config.get('_class_name', '?')}, {size / 1e6:.1f} MB")
    if not found:
        click.echo("  (none)")


@cli.command()
def channels():
    """List the channels by registry name."""
    from .channels import CHANNELS
    for name, cls in sorted(CHANNELS.items()):
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        kind = "real" if cls.real else "complex"
        click.echo(f"{name:<18} {kind:<8} {doc}")


@cli.command()
def codecs():
    """List the schemes by registry name."""
    from .codecs import codec_names
    for name in codec_names():
        click.echo(name)


@cli.command()
def mcs():
    """The MCS table (802.11n HT indices first) with each scheme's Shannon SNR."""
    from .phy.mcs import HT_MCS, MCS_TABLE
    click.echo(f"{'name':<16}{'HT':>4}{'bits/use':>10}{'Shannon SNR (dB)':>18}")
    for name, m in MCS_TABLE.items():
        ht = str(HT_MCS.index(name)) if name in HT_MCS else ""
        click.echo(f"{name:<16}{ht:>4}{m.spectral_efficiency:>10.3f}{m.shannon_snr_db:>18.2f}")


@cli.command()
def metrics():
    """List the image metrics."""
    from . import metrics as m
    for name in sorted(m.METRICS):
        click.echo(name)


@cli.command()
@click.option("--mode", type=click.Choice(["digital", "analog"]), default="digital", show_default=True)
@click.option("--mcs", "mcs_name", default="qpsk-1/2", show_default=True, help="MCS name or HT index (ht0..ht7).")
@click.option("--channel", default="awgn", show_default=True, help="Channel name (semcom channels).")
@click.option("--snr", "snr_text", default="-2:6:1", show_default=True, help="start:stop:step or a list 1,5,10 (dB).")
@click.option("--bits", "num_bits", default=4000, show_default=True, help="Bits per message (digital).")
@click.option("--batch", default=64, show_default=True)
@click.option("--frames", default=4, show_default=True, help="Batches per SNR point.")
@click.option("--decoder", type=click.Choice(["fast", "sionna"]), default="fast", show_default=True)
@click.option("--equalizer", type=click.Choice(["zf", "mmse"]), default="zf", show_default=True)
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False),
              help="Analog mode: a .safetensors file whose first tensor is sent (else random N(0,1) [batch, 16, 12, 12]).")
@click.option("--seed", default=0, show_default=True)
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write a PNG curve here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the points as JSON here.")
def link(mode, mcs_name, channel, snr_text, num_bits, batch, frames, decoder, equalizer, input_path, seed,
         plot_path, json_path):
    """Random bits or a saved tensor through the PHY and a channel over an SNR range."""
    import sionna.phy
    import torch

    from . import link as lk
    sionna.phy.config.seed = seed
    torch.manual_seed(seed)
    snrs = _parse_snrs(snr_text)
    if mode == "digital":
        points = lk.simulate_digital(mcs_name, channel, snrs, num_bits, batch, frames, decoder=decoder,
                                     equalizer=equalizer)
        title = f"{mcs_name} over {channel}, {num_bits} bits/message"
    else:
        if input_path:
            from safetensors.torch import load_file
            tensors = load_file(input_path)
            if not tensors:
                raise click.BadParameter(f"{input_path} holds no tensor", param_hint="--input")
            tensor = next(iter(tensors.values())).float()
            if tensor.dim() < 2:
                tensor = tensor[None]
        else:
            tensor = torch.randn(batch, 16, 12, 12)
        points = lk.simulate_analog(tensor, channel, snrs, runs=frames, equalizer=equalizer)
        title = f"analog {tuple(tensor.shape)} over {channel}"
    click.echo(lk.format_table(points))
    if plot_path:
        lk.plot(points, plot_path, title)
        click.echo(f"wrote {plot_path}")
    if json_path:
        lk.save_json(points, json_path, mode=mode, mcs=mcs_name, channel=channel, seed=seed, bits=num_bits)
        click.echo(f"wrote {json_path}")


DEFAULT_METRICS = ("psnr", "ssim", "ms_ssim", "lpips")


@cli.command()
@click.argument("image")
@click.option("--scheme", default="deepjscc", show_default=True, help="Scheme spec, e.g. deepjscc or jpeg2000-ldpc:mcs=qpsk-1/2.")
@click.option("--channel", default="awgn", show_default=True)
@click.option("--snr", "snr_db", default=5.0, show_default=True, help="SNR in dB.")
@click.option("--size", default=128, show_default=True, help="Centre-crop and resize to size x size (0: keep).")
@click.option("--baseline", default="jpeg2000-ldpc", show_default=True,
              help="Scheme sent at the same number of channel uses for comparison ('none' to skip).")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--out", "out_dir", default="out/send", show_default=True, type=click.Path(file_okay=False))
def send(image, scheme, channel, snr_db, size, baseline, seed, out_dir):
    """Send IMAGE (a file, a data-set name, or 'demo') and write the reconstruction, a side-by-side
    PNG (original, scheme, baseline at the same channel uses) and the metrics."""
    report = run_send(image, scheme, channel, snr_db, size, baseline, seed, out_dir)
    for row in report["schemes"]:
        metrics_text = "  ".join(f"{k}={v:.4g}" for k, v in row["metrics"].items())
        status = "delivered" if row["failure"] is None else f"FAILED ({row['failure']})"
        click.echo(f"{row['scheme']:<36} K={row['channel_uses']:<6} CBR={row['cbr']:.4f}  {status}  {metrics_text}")
    click.echo(f"wrote {report['side_by_side']} and {Path(out_dir) / 'metrics.json'}")


def run_send(image, scheme, channel, snr_db, size, baseline, seed, out_dir) -> dict:
    import sionna.phy
    import torch
    from PIL import Image

    from . import data
    from .codecs import parse_spec
    from .evaluation import score, transmit

    source = data.demo_image_path() if image == "demo" else image
    x = data.load_image(source, size=size or None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    from .codecs import get_codec
    rows, panels = [], [("original", x[0])]
    for index, spec in enumerate([scheme] + ([] if baseline in ("", "none") else [baseline])):
        sionna.phy.config.seed = seed
        torch.manual_seed(seed)
        if index > 0 and "channel_uses" not in parse_spec(spec)[1]:
            spec = f"{spec}{',' if ':' in spec else ':'}channel_uses={rows[0]['channel_uses']}"
        result = transmit(get_codec(spec), x, channel, snr_db)
        values = score(x, result, DEFAULT_METRICS)
        name = parse_spec(spec)[0]
        Image.fromarray(_to_uint8(result.images[0])).save(out / f"{name}.png")
        rows.append({"scheme": spec, "channel_uses": result.channel_uses[0], "cbr": result.cbr[0],
                     "bpp": result.bpp[0], "failure": result.failures[0],
                     "metrics": {k: v[0] for k, v in values.items()}})
        caption = f"{name}  PSNR {values['psnr'][0]:.1f} dB  LPIPS {values['lpips'][0]:.3f}"
        panels.append((caption if result.failures[0] is None else f"{name}: failed ({result.failures[0]})",
                       result.images[0]))
    side = out / "side_by_side.png"
    _side_by_side(panels, side, f"{channel}, SNR {snr_db:g} dB, K = {rows[0]['channel_uses']} channel uses")
    report = {"image": str(source), "channel": channel, "snr_db": snr_db, "size": list(x.shape[-2:]),
              "seed": seed, "schemes": rows, "side_by_side": str(side)}
    (out / "metrics.json").write_text(json.dumps(report, indent=2))
    return report


def _to_uint8(img):
    return (img.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype("uint8")


def _side_by_side(panels, path, title):
    from PIL import Image, ImageDraw
    h, w = panels[0][1].shape[-2:]
    scale = max(1, 256 // max(h, w))
    tw, th = w * scale, h * scale
    canvas = Image.new("RGB", (tw * len(panels), th + 36), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((4, 2), title, fill="black")
    for i, (caption, img) in enumerate(panels):
        tile = Image.fromarray(_to_uint8(img)).resize((tw, th), Image.NEAREST)
        canvas.paste(tile, (i * tw, 16))
        draw.text((i * tw + 4, th + 20), caption, fill="black")
    canvas.save(path)


@cli.command()
@click.option("-o", "--out", "out_dir", default="out/demo", show_default=True, type=click.Path(file_okay=False))
def demo(out_dir):
    """The main job on the shipped defaults: the bundled photograph over AWGN at 5 dB through
    SC-SIC (at the shipped model's native size) and through DeepJSCC (128x128, CBR 1/24), each
    beside JPEG2000 + LDPC at the same channel uses; then a link-level BER/BLER curve of the 5G
    LDPC chain."""
    from . import link as lk
    from .codecs.sc_sic import native_image_size
    ctx = click.get_current_context()
    for scheme, size in (("sc-sic", native_image_size()), ("deepjscc", 128)):
        click.echo(f"--- {scheme} ---")
        ctx.invoke(send, image="demo", scheme=scheme, channel="awgn", snr_db=5.0, size=size,
                   baseline="jpeg2000-ldpc", seed=0, out_dir=str(Path(out_dir) / scheme))
    points = lk.simulate_digital("qpsk-1/2", "awgn", [-1, 0, 0.5, 1, 1.5, 2, 3], num_bits=2000, batch=32,
                                 frames=2)
    click.echo(lk.format_table(points))
    lk.plot(points, Path(out_dir) / "link_qpsk_awgn.png", "QPSK 1/2, 5G LDPC, AWGN")
    click.echo(f"wrote {Path(out_dir) / 'link_qpsk_awgn.png'}")


@cli.command(name="eval")
@click.option("--schemes", default="deepjscc;jpeg2000-ldpc", show_default=True,
              help="Semicolon-separated scheme specs, e.g. 'deepjscc;jpeg2000-ldpc:channel_uses=768,mcs=qpsk-1/2'.")
@click.option("--channels", "channel_list", default="awgn", show_default=True)
@click.option("--snr", "snr_text", default="0,5,10,20", show_default=True)
@click.option("--split", default="test", show_default=True, help="Image split of semcom.data.")
@click.option("--images", "image_glob", default=None, help="A glob of image files instead of a split.")
@click.option("--size", default=64, show_default=True)
@click.option("--limit", default=0, help="Use only the first N images.")
@click.option("--runs", default=1, show_default=True)
@click.option("--metrics", "metric_list", default=",".join(DEFAULT_METRICS), show_default=True)
@click.option("--set-metrics", "set_metric_list", default="", help="e.g. fid,kid (set-level).")
@click.option("--equalizer", type=click.Choice(["zf", "mmse"]), default="zf", show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--out", "out_dir", default="out/eval", show_default=True, type=click.Path(file_okay=False))
def evaluate_cmd(schemes, channel_list, snr_text, split, image_glob, size, limit, runs, metric_list,
                 set_metric_list, equalizer, seed, out_dir):
    """Schemes x channels x SNRs x images to results.json, PNG curves and an image grid."""
    import glob

    import torch

    from . import data
    from .evaluation import evaluate, save
    if image_glob:
        paths = sorted(glob.glob(image_glob))
        if not paths:
            raise click.BadParameter(f"no file matches {image_glob!r}", param_hint="--images")
        images = torch.cat([data.load_image(p, size=size) for p in paths])
        names = [Path(p).stem for p in paths]
    else:
        images, names = data.load_images(split, size=size), data.list_images(split)
    if limit:
        images, names = images[:limit], names[:limit]
    scheme_list = [s.strip() for s in schemes.split(";") if s.strip()]
    results = evaluate(scheme_list, channel_list.split(","), _parse_snrs(snr_text), images, names, runs=runs,
                       metrics=[m for m in metric_list.split(",") if m],
                       set_metrics=[m for m in set_metric_list.split(",") if m], seed=seed, equalizer=equalizer)
    for rec in results["curves"]:
        r = rec["results"]
        click.echo(f"{rec['name']} / {rec['channel']}")
        keys = ["snr_db", "delivered", "cbr"] + [m for m in results["settings"]["metrics"]]
        click.echo("  " + "  ".join(f"{k:>9}" for k in keys))
        for i in range(len(r["snr_db"])):
            click.echo("  " + "  ".join(f"{r[k][i]:>9.4g}" for k in keys))
    for name, path in save(results, out_dir).items():
        click.echo(f"wrote {path}")


def main(argv=None):
    """Entry point; ``main([...])`` runs a command in-process (tests) and returns its exit code."""
    try:
        cli.main(args=argv, prog_name="semcom", standalone_mode=False)
    except click.exceptions.Abort:
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (ValueError, OSError) as exc:  # bad input or files (missing, unreadable): a message, not a traceback
        click.echo(f"Error: {exc}", err=True)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
