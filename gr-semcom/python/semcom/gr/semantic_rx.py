"""``semantic_rx``: complex baseband samples -> frames -> semantic decode -> PNG files + PDUs.

:class:`semcom.ota.FrameReceiver` finds and decodes frames (Schmidl & Cox, LTS timing and CFO,
header, payload with the ESTIMATED SNR in the CSI); a worker thread decodes each received
message with ``get_codec(scheme)`` (the header's scheme unless ``scheme`` overrides it), so the
neural decoder does not stall the sample stream. For every image:

* ``<out_dir>/<n>_seq<seq>.png`` (``n`` counts received images, so a restarted transmitter does
  not overwrite earlier files),
* a PDU on the ``images`` port: metadata dict (seq, scheme, snr_est, cfo, timing, failures, file,
  psnr/lpips when a reference is given) and the PNG bytes as a u8vector,
* the JSON stats file (``stats_file``, default ``<out_dir>/stats.json``) rewritten: receiver counters
  (detected, decoded, header_failed, truncated, lost, restarts, ...), images written, the last
  frames' metadata, mean PSNR.

``reference``: the transmitter's image list (glob/list, same ``size``); frame ``seq`` is compared
with image ``seq % len(list)``.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time

import numpy as np
import pmt
from gnuradio import gr

log = logging.getLogger(__name__)


class semantic_rx(gr.sync_block):
    """Semantic receiver: complex64 samples -> decoded images (PNG files, ``images`` PDUs, stats).

    Parameters
    ----------
    scheme : codec spec overriding the headers' (empty: use the header's).
    out_dir : folder for PNGs and the stats file ("" = do not write PNGs).
    reference : reference image(s) for PSNR/LPIPS (glob/list; empty: none).
    size : crop/resize of the reference images (as the transmitter's ``size``).
    lpips : also compute LPIPS against the reference (needs the metric weights).
    stats_file : JSON stats path ("" = ``<out_dir>/stats.json``).
    decoder : LDPC decoder of digital streams ("fast" or "sionna").
    max_cfo : CFO search range, subcarrier spacings.
    """

    def __init__(self, scheme="", out_dir="rx_images", reference="", size=0, lpips=False,
                 stats_file="", decoder="fast", max_cfo=2.5):
        gr.sync_block.__init__(self, name="semantic_rx", in_sig=[np.complex64], out_sig=None)
        from semcom.ota import FrameReceiver, images as imgs

        self._imgs = imgs
        self.scheme = str(scheme or "")
        self.out_dir = str(out_dir or "")
        if self.out_dir:
            os.makedirs(self.out_dir, exist_ok=True)
        self.stats_file = str(stats_file) or (os.path.join(self.out_dir, "stats.json") if self.out_dir else "")
        self.refs = imgs.expand(reference) if reference else []
        self.size = int(size)
        self.want_lpips = bool(lpips)
        self.receiver = FrameReceiver(max_cfo=float(max_cfo), decoder=decoder)
        self.count = 0
        self.records = []
        self._codecs, self._ref_cache = {}, {}
        self._lock = threading.Lock()
        self._queue = queue.Queue(maxsize=64)
        self._worker = None
        self.message_port_register_out(pmt.intern("images"))

    # ------------------------------------------------------------------ GNU Radio
    def start(self):
        self._worker = threading.Thread(target=self._run, name="semantic_rx-decode", daemon=True)
        self._worker.start()
        return True

    def stop(self):
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(timeout=300)
        self._write_stats()
        return True

    def work(self, input_items, output_items):
        x = input_items[0]
        with self._lock:
            frames = self.receiver.push(x)
        for f in frames:
            self._queue.put(f)          # blocks when the decoder is 64 frames behind
        return len(x)

    # ------------------------------------------------------------------ decoding
    @property
    def stats(self) -> dict:
        with self._lock:
            st = dict(self.receiver.stats)
        st["images"] = self.count
        return st

    def _codec(self, spec):
        if spec not in self._codecs:
            from semcom.codecs import get_codec
            self._codecs[spec] = get_codec(spec)
        return self._codecs[spec]

    def _reference(self, seq):
        if not self.refs:
            return None
        path = self.refs[seq % len(self.refs)]
        if path not in self._ref_cache:
            self._ref_cache[path] = self._imgs.load(path, self.size)
        return self._ref_cache[path]

    def _run(self):
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            try:
                self._handle(frame)
            except Exception as exc:  # a bad frame must not kill the receiver
                log.warning("semantic_rx: frame seq %s not decoded: %s", frame.seq, exc)
                self.records.append(dict(seq=frame.seq, error=str(exc)))
                self._write_stats()

    def decode(self, frame):
        """Received frame -> (image [1, 3, H, W], codec failures)."""
        import torch
        codec = self._codec(self.scheme or frame.scheme)
        with torch.no_grad():
            image = codec.decode(frame.message, frame.csi)
        return image.float().clamp(0, 1), list(getattr(codec, "last_failures", []) or [])

    def _handle(self, frame):
        image, failures = self.decode(frame)
        png = self._imgs.to_png(image)
        n = self.count
        meta = dict(n=n, seq=int(frame.seq), scheme=frame.scheme, snr_est=round(float(frame.snr_db), 3),
                    cfo=round(float(frame.cfo), 5), timing=int(frame.timing),
                    failures=[str(f) for f in failures if f is not None], time=time.time())
        ref = self._reference(frame.seq)
        if ref is not None and ref.shape == image.shape:
            from semcom.metrics import psnr
            meta["psnr"] = round(float(psnr(ref, image)[0]), 3)
            if self.want_lpips:
                try:
                    from semcom.metrics import lpips
                    meta["lpips"] = round(float(lpips(ref, image)[0]), 4)
                except Exception as exc:  # weights not converted
                    meta["lpips_error"] = str(exc)[:200]
        if self.out_dir:
            path = os.path.join(self.out_dir, f"{n:06d}_seq{frame.seq}.png")
            with open(path, "wb") as fh:
                fh.write(png)
            meta["file"] = path
        self.count += 1
        self.records.append(meta)
        self.records = self.records[-1000:]
        car = pmt.to_pmt({k: v for k, v in meta.items() if not isinstance(v, list)})
        self.message_port_pub(pmt.intern("images"),
                              pmt.cons(car, pmt.init_u8vector(len(png), np.frombuffer(png, np.uint8))))
        self._write_stats()

    def _write_stats(self):
        if not self.stats_file:
            return
        psnrs = [r["psnr"] for r in self.records if "psnr" in r]
        doc = dict(receiver=self.stats, images=self.count,
                   mean_psnr=float(np.mean(psnrs)) if psnrs else None,
                   mean_snr_est=float(np.mean([r["snr_est"] for r in self.records if "snr_est" in r]))
                   if self.records else None,
                   frames=self.records[-100:], updated=time.time())
        tmp = self.stats_file + ".tmp"
        try:
            with open(tmp, "w") as fh:
                json.dump(doc, fh, indent=1)
            os.replace(tmp, self.stats_file)
        except OSError as exc:
            log.warning("semantic_rx: cannot write %s: %s", self.stats_file, exc)
