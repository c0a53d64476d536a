"""The ``semcom`` command line."""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import click

# Every argument is checked before any work starts; bad input is one line on stderr and exit 2.
MAX_SNR_POINTS = 1000
SNR_RANGE_DB = (-100.0, 100.0)


def _finite_snr(value: float, what: str = "SNR") -> float:
    lo, hi = SNR_RANGE_DB
    if not math.isfinite(value) or not lo <= value <= hi:
        raise click.BadParameter(f"{what} {value!r} dB is not a finite number in [{lo:g}, {hi:g}] dB")
    return value


def _parse_snrs(text: str) -> list:
    """``"0:10:2"`` (start:stop:step, stop included) or ``"1,5,10"``: at most
    :data:`MAX_SNR_POINTS` finite values in :data:`SNR_RANGE_DB`; anything else is a
    ``click.BadParameter``."""
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) not in (2, 3):
                raise click.BadParameter(f"{text!r} is not start:stop or start:stop:step")
            start, stop, step = (parts + [1.0])[:3]
            for v, what in ((start, "start"), (stop, "stop")):
                _finite_snr(v, f"the SNR {what}")
            if not (math.isfinite(step) and step > 0):
                raise click.BadParameter("the SNR step must be positive")
            n = int(math.floor((stop - start) / step + 1e-9)) + 1
            if n > MAX_SNR_POINTS:
                raise click.BadParameter(f"{text!r} has {n} SNR points; at most {MAX_SNR_POINTS}")
            snrs = [round(start + i * step, 6) for i in range(max(n, 0))]
        else:
            snrs = [_finite_snr(float(p)) for p in text.split(",") if p.strip()]
    except ValueError as exc:   # float() of a non-number
        raise click.BadParameter(f"{text!r} is not an SNR list or range ({exc})") from None
    if not snrs:
        raise click.BadParameter(f"{text!r} gives no SNR point")
    if len(snrs) > MAX_SNR_POINTS:
        raise click.BadParameter(f"{len(snrs)} SNR points; at most {MAX_SNR_POINTS}")
    return snrs


def _snrs_option(ctx, param, value):
    return _parse_snrs(value)


def _snr_option(ctx, param, value):
    return _finite_snr(float(value))


def _scheme_option(ctx, param, value):
    """One scheme spec or several separated by ';': known names and options, checked now."""
    from .codecs import check_spec
    specs = [s.strip() for s in value.split(";") if s.strip()]
    if not specs:
        raise click.BadParameter("no scheme given")
    for spec in specs:
        try:
            check_spec(spec)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def _baseline_option(ctx, param, value):
    return value if value in ("", "none") else _scheme_option(ctx, param, value)


def _channels_option(ctx, param, value):
    from .channels import CHANNELS
    names = [c.strip() for c in value.split(",") if c.strip()]
    unknown = [c for c in names if c not in CHANNELS]
    if unknown or not names:
        raise click.BadParameter(f"unknown channel {unknown[0] if unknown else value!r}; known: "
                                 f"{', '.join(sorted(CHANNELS))}")
    return value


def _metrics_option(ctx, param, value):
    from .metrics import METRICS, PER_IMAGE, SET_LEVEL
    allowed = SET_LEVEL if param.name == "set_metric_list" else PER_IMAGE
    names = [m.strip() for m in value.split(",") if m.strip()]
    for m in names:
        if m not in allowed:
            kind = "set-level" if allowed is SET_LEVEL else "per-image"
            raise click.BadParameter(f"{m!r} is not a {kind} metric; {kind} metrics: {', '.join(sorted(allowed))}"
                                     + ("" if m not in METRICS else " (it is the other kind)"))
    return value


POSITIVE = click.IntRange(min=1)
NON_NEGATIVE = click.IntRange(min=0)


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
                         ("diffusers", "diffusers"), ("transformers", "transformers"), ("numpy", "numpy"),
                         ("numba", "numba")):
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
        name = config.get("_class_name") or (config.get("architectures") or ["?"])[0]
        click.echo(f"  {folder.relative_to(models)}: {name}, {size / 1e6:.1f} MB")
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
@click.option("--channel", default="awgn", show_default=True, callback=_channels_option,
              help="Channel name (semcom channels).")
@click.option("--snr", "snr_text", default="-2:6:1", show_default=True, callback=_snrs_option,
              help="start:stop:step or a list 1,5,10 (dB).")
@click.option("--bits", "num_bits", default=4000, show_default=True, type=click.IntRange(1, 1 << 24),
              help="Bits per message (digital).")
@click.option("--batch", default=64, show_default=True, type=click.IntRange(1, 1 << 16))
@click.option("--frames", default=4, show_default=True, type=click.IntRange(1, 1 << 16), help="Batches per SNR point.")
@click.option("--decoder", type=click.Choice(["fast", "sionna"]), default="fast", show_default=True)
@click.option("--equalizer", type=click.Choice(["zf", "mmse"]), default="zf", show_default=True)
@click.option("--input", "input_path", type=click.Path(exists=True, dir_okay=False),
              help="Analog mode: a .safetensors file whose first tensor is sent (else random N(0,1) [batch, 16, 12, 12]).")
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE)
@click.option("--plot", "plot_path", type=click.Path(dir_okay=False), help="Write a PNG curve here.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the points as JSON here.")
def link(mode, mcs_name, channel, snr_text, num_bits, batch, frames, decoder, equalizer, input_path, seed,
         plot_path, json_path):
    """Random bits or a saved tensor through the PHY and a channel over an SNR range."""
    import sionna.phy
    import torch

    from . import link as lk
    from .phy import get_mcs
    get_mcs(mcs_name)   # an unknown MCS is a one-line error before any work
    tensor = _analog_input(input_path, batch) if mode == "analog" else None
    sionna.phy.config.seed = seed
    torch.manual_seed(seed)
    snrs = snr_text
    if mode == "digital":
        points = lk.simulate_digital(mcs_name, channel, snrs, num_bits, batch, frames, decoder=decoder,
                                     equalizer=equalizer)
        title = f"{mcs_name} over {channel}, {num_bits} bits/message"
    else:
        points = lk.simulate_analog(tensor, channel, snrs, runs=frames, equalizer=equalizer)
        title = f"analog {tuple(tensor.shape)} over {channel}"
    click.echo(lk.format_table(points))
    if plot_path:
        lk.plot(points, plot_path, title)
        click.echo(f"wrote {plot_path}")
    if json_path:
        lk.save_json(points, json_path, mode=mode, mcs=mcs_name, channel=channel, seed=seed, bits=num_bits)
        click.echo(f"wrote {json_path}")


def _analog_input(input_path, batch: int):
    """The tensor analog mode sends: the first tensor of a safetensors file (finite, floating
    point, at most 2^26 elements), else N(0, 1) [batch, 16, 12, 12]."""
    import torch
    if not input_path:
        return torch.randn(batch, 16, 12, 12)
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    try:
        tensors = load_file(input_path)
    except (SafetensorError, OSError) as exc:
        raise click.BadParameter(f"{input_path} is not a readable safetensors file ({exc})",
                                 param_hint="--input") from None
    if not tensors:
        raise click.BadParameter(f"{input_path} holds no tensor", param_hint="--input")
    name, tensor = next(iter(tensors.items()))
    if not (tensor.is_floating_point() or tensor.dtype in (torch.int8, torch.int16, torch.int32, torch.int64,
                                                         torch.uint8)):
        raise click.BadParameter(f"tensor {name!r} in {input_path} is {tensor.dtype}, not real numbers",
                                 param_hint="--input")
    if tensor.numel() == 0 or tensor.numel() > 1 << 26:
        raise click.BadParameter(f"tensor {name!r} in {input_path} has {tensor.numel()} elements (1 to 2^26)",
                                 param_hint="--input")
    tensor = tensor.float()
    if not bool(torch.isfinite(tensor).all()):
        raise click.BadParameter(f"tensor {name!r} in {input_path} holds NaN or Inf", param_hint="--input")
    return tensor if tensor.dim() >= 2 else tensor[None]


DEFAULT_METRICS = ("psnr", "ssim", "ms_ssim", "lpips")


@cli.command()
@click.argument("image")
@click.option("--scheme", default="deepjscc", show_default=True, callback=_scheme_option,
              help="Scheme spec, e.g. deepjscc or jpeg2000-ldpc:mcs=qpsk-1/2.")
@click.option("--channel", default="awgn", show_default=True, callback=_channels_option)
@click.option("--snr", "snr_db", default=5.0, show_default=True, type=float, callback=_snr_option, help="SNR in dB.")
@click.option("--size", default=128, show_default=True, type=click.IntRange(0, 4096),
              help="Centre-crop and resize to size x size (0: keep).")
@click.option("--baseline", default="jpeg2000-ldpc", show_default=True, callback=_baseline_option,
              help="Scheme sent at the same number of channel uses for comparison ('none' to skip).")
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE)
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

    from .codecs import get_codec
    source = data.demo_image_path() if image == "demo" else image
    x = data.load_image(source, size=size or None)
    specs = [scheme] + ([] if baseline in ("", "none") else [baseline])
    codecs = [get_codec(spec) for spec in specs]       # every model found and loaded before any work
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows, panels = [], [("original", x[0])]
    for index, (spec, codec) in enumerate(zip(specs, codecs)):
        sionna.phy.config.seed = seed
        torch.manual_seed(seed)
        if index > 0 and "channel_uses" not in parse_spec(spec)[1] and hasattr(codec, "channel_uses"):
            spec = f"{spec}{',' if ':' in spec else ':'}channel_uses={rows[0]['channel_uses']}"
            codec = get_codec(spec)
        result = transmit(codec, x, channel, snr_db)
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


def _address_option(ctx, param, value):
    """A Ray address: ``auto``, ``host:port`` or ``ray://host:port``."""
    import re
    if value is None:
        return None
    if not re.fullmatch(r"auto|(ray://)?[A-Za-z0-9._\-\[\]:]+:\d{1,5}", value) or \
            (value != "auto" and not 0 < int(value.rsplit(":", 1)[1]) < 65536):
        raise click.BadParameter(f"{value!r} is not a Ray address (auto, host:port or ray://host:port)")
    return value


def _store_option(ctx, param, value):
    if value is None:
        return None
    from .sweep.store import StoreError, check_store_path
    try:
        check_store_path(value)
    except StoreError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def _choose_engine(engine: str, workers: int, address) -> str:
    """serial or ray, from --engine/--workers/--address; a UsageError (exit 2) if they disagree or
    Ray is wanted and not installed."""
    from .sweep.ray_engine import RAY_MISSING, ray_available
    if engine == "auto":
        engine = "ray" if (workers > 1 or address) else "serial"
    if engine == "serial" and (workers > 1 or address):
        raise click.UsageError("--engine serial runs in this process: it takes neither --workers > 1 nor --address")
    if engine == "ray" and not ray_available():
        raise click.UsageError(RAY_MISSING)
    return engine


@cli.command(name="eval")
@click.option("--schemes", default="deepjscc;jpeg2000-ldpc", show_default=True, callback=_scheme_option,
              help="Semicolon-separated scheme specs, e.g. 'deepjscc;jpeg2000-ldpc:channel_uses=768,mcs=qpsk-1/2'.")
@click.option("--channels", "channel_list", default="awgn", show_default=True, callback=_channels_option)
@click.option("--snr", "snr_text", default="0,5,10,20", show_default=True, callback=_snrs_option)
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "test", "all"]),
              help="Image split of semcom.data.")
@click.option("--images", "image_glob", default=None, help="A glob of image files instead of a split.")
@click.option("--size", default=64, show_default=True, type=click.IntRange(1, 4096))
@click.option("--limit", default=0, type=NON_NEGATIVE, help="Use only the first N images.")
@click.option("--runs", "--draws", "runs", default=1, show_default=True, type=click.IntRange(1, 10000),
              help="Draws (channel and sampling noise) per point.")
@click.option("--metrics", "metric_list", default=",".join(DEFAULT_METRICS), show_default=True, callback=_metrics_option)
@click.option("--set-metrics", "set_metric_list", default="", callback=_metrics_option, help="e.g. fid,kid (set-level).")
@click.option("--equalizer", type=click.Choice(["zf", "mmse"]), default="zf", show_default=True)
@click.option("--seed", default=0, show_default=True, type=NON_NEGATIVE)
@click.option("--store", "store_path", default=None, callback=_store_option, type=click.Path(dir_okay=False),
              help="Results store (SQLite) [default: OUT/results.sqlite]. Rows already there are not computed again.")
@click.option("--fresh", is_flag=True, help="Forget this grid's stored rows and compute them again.")
@click.option("--engine", default="auto", show_default=True, type=click.Choice(["auto", "serial", "ray"]),
              help="auto: Ray when --workers > 1 or --address, else serial (in this process, no Ray needed).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 4096),
              help="Ray actors (one CPU each); a local Ray instance gets this many CPUs.")
@click.option("--address", default=None, callback=_address_option,
              help="A Ray cluster to run on (auto, host:port or ray://host:port) instead of a local instance.")
@click.option("--task-rows", default=4, show_default=True, type=click.IntRange(1, 10000),
              help="Rows per task (one scheme, channel and image; consecutive SNRs).")
@click.option("--keep-images", default=1, show_default=True, type=click.IntRange(0, 100000),
              help="Keep the reconstructions of the first N images (draw 0) in the store, for grid.png.")
@click.option("-o", "--out", "out_dir", default="out/eval", show_default=True, type=click.Path(file_okay=False))
def evaluate_cmd(schemes, channel_list, snr_text, split, image_glob, size, limit, runs, metric_list,
                 set_metric_list, equalizer, seed, store_path, fresh, engine, workers, address, task_rows,
                 keep_images, out_dir):
    """Schemes x channels x SNRs x images x draws into a results store (one row per image, resumable),
    rendered to results.json, PNG curves and an image grid."""
    import glob

    import torch

    from . import data
    engine = _choose_engine(engine, workers, address)
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
    from .sweep import Grid, ResultStore, run
    from .sweep.views import collect
    grid = Grid([s.strip() for s in schemes.split(";") if s.strip()], channel_list.split(","), snr_text, images,
                names, draws=runs, seed=seed, metrics=[m for m in metric_list.split(",") if m],
                set_metrics=[m for m in set_metric_list.split(",") if m], equalizer=equalizer,
                keep_images=keep_images)
    store = ResultStore(store_path or Path(out_dir) / "results.sqlite")
    try:
        report = run(grid, store, engine=engine, workers=workers, address=address, fresh=fresh,
                     task_rows=task_rows, out_dir=out_dir)
        results = collect(store, grid, with_images=False)
        counts = store.counts()
    finally:
        store.close()
    for rec in results["curves"]:
        r = rec["results"]
        click.echo(f"{rec['name']} / {rec['channel']}")
        keys = ["snr_db", "delivered", "cbr"] + [m for m in results["settings"]["metrics"]]
        click.echo("  " + "  ".join(f"{k:>9}" for k in keys))
        for i in range(len(r["snr_db"])):
            click.echo("  " + "  ".join(f"{r[k][i]:>9.4g}" if r[k][i] is not None else f"{'-':>9}" for k in keys))
    click.echo(f"{report['computed']} rows computed, {report['skipped']} already stored, of {report['total']} "
               f"({engine}, {report['seconds']:.1f} s); store {store.path}: {counts['rows']} rows, "
               f"{counts['computations']} computations, {counts['duplicates']} computed twice")
    for name in ("results.json", "metrics_vs_snr.png", "metrics_vs_cbr.png", "grid.png"):
        if (Path(out_dir) / name).exists():
            click.echo(f"wrote {Path(out_dir) / name}")


def _recording_option(ctx, param, value):
    from .ota.recording import read
    read(value)                      # raises ValueError: one line, exit 2
    return value


def _accept_option(ctx, param, value):
    if value:
        from .ota.policy import ReceiverPolicy
        try:
            ReceiverPolicy(accept=value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return value


def _replay_scheme_option(ctx, param, value):
    return _scheme_option(ctx, param, value) if value else value


@cli.command()
@click.argument("recording", callback=_recording_option)
@click.option("-o", "--out", "out_dir", default="out/replay", show_default=True, type=click.Path(file_okay=False))
@click.option("--accept", default="", help="Decoder specs accepted from headers, separated by ';' (empty: all).",
              callback=_accept_option)
@click.option("--scheme", default="", callback=_replay_scheme_option,
              help="A codec spec that decodes every frame (empty: the header's, as accepted).")
@click.option("--max-cfo", default=3.5, show_default=True, type=click.FloatRange(0.5, 16.0),
              help="CFO search range, subcarrier spacings.")
@click.option("--no-tracking", is_flag=True, help="The receiver without tracking (for comparisons).")
def replay(recording, out_dir, accept, scheme, max_cfo, no_tracking):
    """Decode a SigMF RECORDING (<name>.sigmf-meta + .sigmf-data, cf32_le) offline: every frame
    through the over-the-air receiver and its codec; images and replay.json in the output folder."""
    from .ota.recording import replay as run
    report = run(recording, out_dir, accept=accept, scheme=scheme, max_cfo=max_cfo, tracking=not no_tracking)
    st = report["receiver"]
    for r in report["frames"]:
        status = r.get("file") or f"not decoded ({r.get('error')})"
        click.echo(f"seq {r['seq']:<6} SNR {r['snr_est']:6.2f} dB  CFO {r['cfo']:+.3f} sc  "
                   f"K={r['payload_uses']} + overhead {r['overhead_uses']}  {status}")
    click.echo(f"{len(report['frames'])} frames from {report['samples']} samples: detected {st['detected']}, "
               f"decoded {st['decoded']}, header_failed {st['header_failed']}, lost {st['lost']}; "
               f"wrote {Path(out_dir) / 'replay.json'}")


def main(argv=None):
    """Entry point; ``main([...])`` runs a command in-process (tests) and returns its exit code."""
    try:
        cli.main(args=argv, prog_name="semcom", standalone_mode=False)
    except click.exceptions.Abort:
        return 1
    except click.UsageError as exc:   # bad arguments: one line, no usage block
        where = f" (see: semcom {exc.ctx.info_name} --help)" if exc.ctx is not None and exc.ctx.parent else ""
        click.echo(f"Error: {_one_line(exc.format_message())}{where}", err=True)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (ValueError, OSError) as exc:  # bad input or files (missing, unreadable): a message, not a traceback
        click.echo(f"Error: {_one_line(exc)}", err=True)
        return 2
    return 0


def _one_line(exc) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 2000 else text[:2000] + " ..."


if __name__ == "__main__":
    sys.exit(main())
