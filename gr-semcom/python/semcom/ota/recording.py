"""SigMF recordings of the air (``sigmf`` package) and their offline replay through the receiver.

A recording is ``<base>.sigmf-data`` (complex64 samples, ``cf32_le``) and ``<base>.sigmf-meta``:
the global sample rate, centre frequency, hardware (``core:hw``) or emulator settings
(``semcom:settings``), the scheme, and one annotation per received frame (``core:sample_start``,
``core:sample_count``, ``core:label`` ``seq <n>``, ``semcom:seq``, ``semcom:snr_est``,
``semcom:cfo``, ``semcom:payload_uses``, ``semcom:overhead_uses``, and ``semcom:image`` when the
decoded image was saved beside the recording).

:func:`replay` runs a recording through :class:`~semcom.ota.FrameReceiver` and the accepted codecs
(the policy of :mod:`semcom.ota.policy`), writing every decoded image and ``replay.json``.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

DATATYPE = "cf32_le"
MAX_RECORDING_BYTES = 4 << 30


def base_of(path) -> Path:
    """``x.sigmf-meta`` / ``x.sigmf-data`` / ``x`` -> ``x``."""
    p = Path(path)
    if p.suffix in (".sigmf-meta", ".sigmf-data"):
        return p.with_suffix("")
    return p


def write_meta(base, samp_rate: float, center_freq: float = 0.0, hardware: str = "",
               settings: dict | None = None, scheme: str = "", description: str = "",
               annotations=()) -> Path:
    """Write ``<base>.sigmf-meta`` for the samples in ``<base>.sigmf-data`` (checksummed and
    validated by the ``sigmf`` package)."""
    from sigmf import SigMFFile
    base = base_of(base)
    data = base.with_suffix(".sigmf-data")
    glob = {SigMFFile.DATATYPE_KEY: DATATYPE, SigMFFile.SAMPLE_RATE_KEY: float(samp_rate),
            SigMFFile.VERSION_KEY: "1.0.0", "core:recorder": "gr-semcom",
            SigMFFile.DESCRIPTION_KEY: description or "gr-semcom over-the-air frames",
            "semcom:scheme": str(scheme), "semcom:settings": dict(settings or {})}
    if hardware:
        glob[SigMFFile.HW_KEY] = str(hardware)
    meta = SigMFFile(data_file=str(data), global_info=glob)
    meta.add_capture(0, metadata={SigMFFile.FREQUENCY_KEY: float(center_freq),
                                  SigMFFile.DATETIME_KEY: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    for a in annotations:
        a = dict(a)
        start, count = int(a.pop("sample_start")), int(a.pop("sample_count"))
        meta.add_annotation(start, count, metadata={SigMFFile.LABEL_KEY: f"seq {a.get('seq')}",
                                                    **{f"semcom:{k}": v for k, v in a.items()}})
    path = base.with_suffix(".sigmf-meta")
    meta.tofile(str(path), pretty=True, overwrite=True)
    return path


def read(path):
    """A recording -> (samples complex64 [n] (memory-mapped), metadata dict). Anything that is not
    a readable cf32_le SigMF recording raises ValueError with one sentence."""
    base = base_of(path)
    meta_path, data_path = base.with_suffix(".sigmf-meta"), base.with_suffix(".sigmf-data")
    if not meta_path.is_file():
        raise ValueError(f"{meta_path} does not exist: a SigMF recording is <name>.sigmf-meta + <name>.sigmf-data")
    if not data_path.is_file():
        raise ValueError(f"{data_path} does not exist (the samples of {meta_path.name})")
    try:
        meta = json.loads(meta_path.read_text())
        glob = meta["global"]
        dtype, rate = glob["core:datatype"], float(glob["core:sample_rate"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{meta_path} is not SigMF metadata ({type(exc).__name__}: {exc})") from None
    if dtype != DATATYPE:
        raise ValueError(f"{meta_path.name}: datatype {dtype!r}; replay reads {DATATYPE} recordings")
    if not (np.isfinite(rate) and rate > 0):
        raise ValueError(f"{meta_path.name}: sample rate {rate!r} is not a positive number")
    size = data_path.stat().st_size
    if size % 8 or size > MAX_RECORDING_BYTES:
        raise ValueError(f"{data_path.name}: {size} bytes is not a whole number of complex64 samples "
                         f"(or over {MAX_RECORDING_BYTES >> 30} GiB)")
    samples = np.memmap(data_path, dtype=np.complex64, mode="r") if size else np.zeros(0, np.complex64)
    return samples, meta


def replay(path, out_dir, accept: str = "", scheme: str = "", max_cfo: float = 3.5,
           tracking: bool = True, chunk: int = 8192) -> dict:
    """Decode a recording offline: every frame through the receiver and the accepted codec; writes
    ``<out_dir>/<n>_seq<seq>.png`` and ``<out_dir>/replay.json`` -> the report."""
    import torch

    from . import FrameReceiver
    from . import images as imgs
    from .policy import CodecCache, FrameRejected, ReceiverPolicy
    samples, meta = read(path)
    policy = ReceiverPolicy(accept=accept)
    rx = FrameReceiver(max_cfo=max_cfo, policy=policy, decoder_spec=scheme, tracking=tracking)
    codecs = CodecCache(policy.max_codecs)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = []
    for a in range(0, len(samples), chunk):
        for f in rx.push(np.asarray(samples[a: a + chunk])):
            rec = dict(seq=int(f.seq), scheme=f.scheme, snr_est=round(float(f.snr_db), 3),
                       cfo=round(float(f.cfo), 5), timing=int(f.timing), length=int(f.length),
                       payload_uses=int(f.extra["uses"]["payload"]),
                       overhead_uses=int(f.extra["uses"]["overhead"]))
            try:
                with torch.no_grad():
                    image = codecs.get(f.decoder_spec or scheme or f.scheme).decode(f.message, f.csi)
                name = f"{len(records):06d}_seq{f.seq}.png"
                (out / name).write_bytes(imgs.to_png(image.float().clamp(0, 1)))
                rec["file"] = name
            except (FrameRejected, ValueError, RuntimeError) as exc:
                rec["error"] = str(exc)[:300]
            records.append(rec)
    report = dict(recording=str(base_of(path)), sample_rate=meta["global"]["core:sample_rate"],
                  samples=int(len(samples)), receiver=rx.stats, frames=records)
    (out / "replay.json").write_text(json.dumps(report, indent=1))
    return report


def annotation(record: dict) -> dict:
    """A receiver's frame record (``semantic_rx`` metadata) -> the annotation fields."""
    keys = ("seq", "snr_est", "cfo", "payload_uses", "overhead_uses", "scheme", "image")
    a = {k: record[k] for k in keys if k in record}
    a["sample_start"], a["sample_count"] = int(record["timing"]), int(record.get("length", 0))
    return a


def expected_size(meta_path) -> int:
    """Bytes of the data file a metadata file describes (for size checks)."""
    return os.path.getsize(base_of(meta_path).with_suffix(".sigmf-data"))
