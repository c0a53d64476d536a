"""Link-level sweeps: random bits or a tensor through any PHY and channel over an SNR range."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm import tqdm

from .channels import get_channel
from .phy import AnalogDemapper, AnalogMapper, DigitalReceiver, DigitalTransmitter, get_mcs
from .phy.equalization import EQUALIZERS


@dataclass
class DigitalPoint:
    snr_db: float
    ebno_db: float
    bits: int
    bit_errors: int
    ber: float
    blocks: int
    block_errors: int
    bler: float
    flagged: int        # blocks the receiver reported as failed
    undetected: int     # blocks with errors that the receiver reported as ok (should be 0)


@dataclass
class AnalogPoint:
    snr_db: float
    elements: int
    mse: float
    nmse_db: float
    measured_snr_db: float


def simulate_digital(mcs, channel: str, snrs, num_bits: int = 4000, batch: int = 64, frames: int = 4,
                     codeword_bits: int = 1944, decoder: str = "fast", equalizer: str = "zf",
                     progress: bool = True) -> list:
    """BER/BLER of the digital chain over ``channel`` at each SNR in ``snrs``.

    ``frames`` batches of ``batch`` messages of ``num_bits`` random bits are sent per point.
    """
    mcs = get_mcs(mcs)
    tx = DigitalTransmitter(mcs, codeword_bits)
    rx = DigitalReceiver(mcs, codeword_bits, decoder=decoder)
    ch = get_channel(channel)
    if ch.real:
        raise ValueError(f"channel {channel!r} is real-valued: digital symbols need a complex channel")
    lay = tx.layout(num_bits)
    points = []
    for snr in tqdm(list(snrs), desc=f"link {mcs} over {channel}", disable=not progress):
        acc = dict(bit_errors=0, block_errors=0, flagged=0, undetected=0)
        for _ in range(frames):
            bits = torch.randint(0, 2, (batch, num_bits)).float()
            y, csi = ch(tx(bits), float(snr))
            no = csi.noise_var
            if csi.gain is not None and not csi.equalized:
                y, no = EQUALIZERS[equalizer](y, csi.gain, no)
            bits_hat, ok = rx(y, no, num_bits=num_bits)
            errors = bits_hat != bits
            acc["bit_errors"] += int(errors.sum())
            padded = torch.nn.functional.pad(errors, (0, lay.num_blocks * lay.payload_bits - num_bits))
            block_err = padded.reshape(batch, lay.num_blocks, -1).any(dim=-1)
            acc["block_errors"] += int(block_err.sum())
            if ok is not None:
                acc["flagged"] += int((~ok).sum())
                acc["undetected"] += int((block_err & ok).sum())
        n_bits, n_blocks = frames * batch * num_bits, frames * batch * lay.num_blocks
        ebno = float(snr) - 10 * torch.log10(torch.tensor(mcs.spectral_efficiency)).item()
        points.append(DigitalPoint(float(snr), ebno, n_bits, acc["bit_errors"], acc["bit_errors"] / n_bits,
                                   n_blocks, acc["block_errors"], acc["block_errors"] / n_blocks,
                                   acc["flagged"], acc["undetected"]))
    return points


def simulate_analog(tensor: torch.Tensor, channel: str, snrs, runs: int = 4, equalizer: str = "zf",
                    progress: bool = True) -> list:
    """MSE of a real tensor [B, ...] sent analog over ``channel`` at each SNR."""
    ch = get_channel(channel)
    points = []
    power = float(tensor.square().mean())
    for snr in tqdm(list(snrs), desc=f"analog over {channel}", disable=not progress):
        se = 0.0
        for _ in range(runs):
            if ch.real:
                z_hat, _ = ch(tensor, float(snr))
            else:
                x, scale = AnalogMapper()(tensor)
                y, csi = ch(x, float(snr))
                if csi.gain is not None and not csi.equalized:
                    y, _ = EQUALIZERS[equalizer](y, csi.gain, csi.noise_var)
                z_hat = AnalogDemapper()(y, scale, tensor.shape[1:])
            se += float((z_hat - tensor).square().mean())
        mse = se / runs
        nmse_db = 10 * torch.log10(torch.tensor(mse / power)).item()
        points.append(AnalogPoint(float(snr), tensor.numel(), mse, nmse_db, -nmse_db))
    return points


def format_table(points) -> str:
    """A fixed-width text table of link points."""
    if not points:
        return ""
    rows = [asdict(p) for p in points]
    keys = list(rows[0])
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)
    widths = [max(len(k), *(len(fmt(r[k])) for r in rows)) for k in keys]
    lines = ["  ".join(k.rjust(w) for k, w in zip(keys, widths))]
    lines += ["  ".join(fmt(r[k]).rjust(w) for k, w in zip(keys, widths)) for r in rows]
    return "\n".join(lines)


def save_json(points, path, **settings):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps({"schema": "semcom-link/1", "settings": settings,
                                      "points": [asdict(p) for p in points]}, indent=2))


def plot(points, path, title=""):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    snr = [p.snr_db for p in points]
    if isinstance(points[0], DigitalPoint):
        for key, label in (("ber", "BER"), ("bler", "BLER")):
            vals = [max(getattr(p, key), 1e-7) for p in points]
            ax.semilogy(snr, vals, "o-", label=label)
        ax.set_ylabel("error rate")
    else:
        ax.plot(snr, [p.nmse_db for p in points], "o-", label="NMSE")
        ax.set_ylabel("NMSE (dB)")
    ax.set_xlabel("SNR (dB)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title(title)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
