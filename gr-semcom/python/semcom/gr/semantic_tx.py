"""``semantic_tx``: images -> semantic codec -> over-the-air frames -> complex baseband samples.

Images come from files (a glob or a list, sent ``repeat`` times, 0 = forever) and/or the ``pdus``
message port (a PDU whose data is encoded image bytes, PNG/JPEG/...). Each image is encoded with
``get_codec(scheme)`` and framed by :class:`semcom.ota.FrameTransmitter` (sequence number ``seq``
incrementing from ``seq_start``); every frame is followed by ``gap`` samples of silence. The first
sample of a frame carries a ``tx_sob`` tag and the last silence sample a ``tx_eob`` tag (UHD burst
mode) plus ``semcom_seq`` on the frame start.

``encode_ahead`` > 0 moves the semantic encoder to a worker thread that keeps up to that many
encoded messages queued, as ``semantic_rx`` decodes on a worker: ``work()`` then only frames,
modulates and copies samples, the part that must keep pace with the radio. When the encoder is
behind, ``work()`` produces nothing for a moment and counts an ``underrun`` (a real radio then
sends silence).

SNR convention: the frame has unit power per resource element (OFDM symbols have mean power
52/64 per sample); ``amplitude`` scales it. With the channel block's ``signal_power = 1`` the
channel's SNR is the per-RE SNR of :mod:`semcom.snr`.
"""
from __future__ import annotations

import collections
import logging
import queue
import threading
import time

import numpy as np
import pmt
from gnuradio import gr

log = logging.getLogger(__name__)


class semantic_tx(gr.sync_block):
    """Semantic transmitter: image files / image PDUs -> complex64 frames.

    Parameters
    ----------
    scheme : codec spec for :func:`semcom.codecs.get_codec` (e.g. ``"deepjscc"``,
        ``"jpeg2000-ldpc:channel_uses=2048"``, ``"ota-test"``); sent in every frame header.
    images : glob pattern, comma-separated paths, or list; empty: PDU input only.
    size : > 0: centre square crop resized to ``size`` x ``size`` before encoding.
    repeat : passes over the image list (0 = forever).
    gap : silence samples after every frame (and before the first).
    interval : minimum seconds between frame starts (0: as fast as downstream takes them).
    snr : the SNR (dB) the encoder is told (SNR-adaptive codecs), run-time settable.
    seq_start : first sequence number.
    amplitude : scale of the output samples.
    stats_file : JSON file rewritten every ``stats_every`` frames and at stop: frames sent, the
        next sequence number, samples produced, the CPU time of ``work()`` ("" = none).
    encode_ahead : messages the encoder worker thread keeps ready (0: encode inside ``work()``).
    """

    def __init__(self, scheme="ota-test", images="", size=0, repeat=1, gap=2000, interval=0.0,
                 snr=10.0, seq_start=0, amplitude=1.0, stats_file="", stats_every=100, encode_ahead=4):
        gr.sync_block.__init__(self, name="semantic_tx", in_sig=None, out_sig=[np.complex64])
        from semcom.codecs import get_codec
        from semcom.ota import FrameTransmitter, images as imgs

        self.scheme = str(scheme)
        self.codec = get_codec(self.scheme)
        self._codec_state = (self.scheme, self.codec)
        self._imgs = imgs
        self.files = imgs.expand(images)
        self.size = int(size)
        self.repeat = int(repeat)
        self.gap = int(gap)
        self.interval = float(interval)
        self.amplitude = float(amplitude)
        self.set_snr(snr)
        self.seq = int(seq_start)
        self.sent = 0
        self._ftx = FrameTransmitter()
        self._cache = {}
        self._file_idx = 0
        self._pass = 0
        self._pdus = collections.deque()
        self._out = np.zeros(0, np.complex64)   # samples of the current frame not yet sent
        self._pos = 0
        self._tags = []                          # (offset in _out, key, value)
        self._next_time = 0.0
        self._done_flushed = False
        self.cpu_s = 0.0          # thread CPU time of work() (encode unless encode_ahead, framing, copying), s
        self.encode_cpu_s = 0.0   # the semantic encoder's (codec.encode), in work() or in the worker
        if int(encode_ahead) < 0:
            raise ValueError(f"encode_ahead must be >= 0, got {encode_ahead}")
        self.encode_ahead = int(encode_ahead)
        self._ready = queue.Queue(maxsize=max(1, self.encode_ahead))
        self._halt = threading.Event()
        self._worker = None
        self._encoder_done = False
        self._encoding = False
        self.underruns = 0
        self.samples = 0
        self.stats_file = str(stats_file or "")
        self.stats_every = max(1, int(stats_every))
        self.message_port_register_in(pmt.intern("pdus"))
        self.set_msg_handler(pmt.intern("pdus"), self._on_pdu)

    # ------------------------------------------------------------------ run-time
    def set_scheme(self, scheme):
        """Switch the codec while running (from the next frame on); an unknown or failing spec
        is logged and the current one kept."""
        from semcom.codecs import get_codec
        scheme = str(scheme)
        if scheme == self.scheme:
            return
        try:
            codec = get_codec(scheme)
        except Exception as exc:  # a GUI typo must not stop the flowgraph
            log.error("semantic_tx: keeping %r, cannot load %r: %s", self.scheme, scheme, exc)
            return
        self._codec_state = (scheme, codec)       # one assignment: work() sees old or new
        self.scheme, self.codec = scheme, codec

    def set_snr(self, snr):
        self.snr = float(snr)

    def set_interval(self, interval):
        self.interval = float(interval)

    def set_amplitude(self, amplitude):
        self.amplitude = float(amplitude)

    def _on_pdu(self, msg):
        try:
            data = pmt.cdr(msg) if pmt.is_pair(msg) else msg
            self._pdus.append(bytes(pmt.u8vector_elements(data)))
        except Exception as exc:  # a bad PDU must not stop the flowgraph
            log.warning("semantic_tx: ignoring PDU: %s", exc)

    # ------------------------------------------------------------------ frames
    def _files_left(self) -> bool:
        return bool(self.files) and (self.repeat <= 0 or self._pass < self.repeat)

    def _next_image(self):
        if self._pdus:
            try:
                return self._imgs.from_bytes(self._pdus.popleft(), self.size)
            except Exception as exc:
                log.warning("semantic_tx: undecodable image PDU: %s", exc)
                return None
        if self._files_left():
            path = self.files[self._file_idx]
            self._file_idx += 1
            if self._file_idx == len(self.files):
                self._file_idx, self._pass = 0, self._pass + 1
            if path not in self._cache:
                self._cache[path] = self._imgs.load(path, self.size)
            return self._cache[path]
        return None

    def _encode(self, image):
        """(scheme, message) of one image [1, 3, H, W] with the current codec."""
        import torch
        from semcom.csi import CSI
        scheme, codec = self._codec_state
        t = time.thread_time()
        with torch.no_grad():
            message = codec.encode(image, CSI.from_snr(self.snr, 1))
        self.encode_cpu_s += time.thread_time() - t
        return scheme, message

    def _frame(self, scheme, message) -> np.ndarray:
        frame = self._ftx.frame(message, scheme, self.seq) * np.complex64(self.amplitude)
        self.seq += 1
        return frame

    def make_frame(self, image) -> np.ndarray:
        """Encode one image [1, 3, H, W] and frame it (increments ``seq``)."""
        return self._frame(*self._encode(image))

    # ------------------------------------------------------------------ encoder worker
    def start(self):
        if self.encode_ahead:
            self._halt.clear()
            self._worker = threading.Thread(target=self._run_encoder, name="semantic_tx-encode", daemon=True)
            self._worker.start()
        return True

    def _run_encoder(self):
        """Encode images ahead of work(); a None in the queue: no image will come any more."""
        while not self._halt.is_set():
            image = self._next_image()
            if image is None:
                if self.files and not self._pdus and not self._files_left():
                    self._put(None)
                    return
                self._halt.wait(0.005)              # PDU input only: wait for the next image
                continue
            self._encoding = True
            try:
                item = self._encode(image)
            except Exception as exc:                # a failing codec must not stop the flowgraph
                log.error("semantic_tx: cannot encode an image: %s", exc)
                continue
            finally:
                self._encoding = False
            self._put(item)

    def _put(self, item):
        while not self._halt.is_set():
            try:
                self._ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _next_message(self):
        """The next (scheme, message), or None when there is none right now."""
        if not self.encode_ahead:
            image = self._next_image()
            return None if image is None else self._encode(image)
        try:
            item = self._ready.get(timeout=0.005)
        except queue.Empty:
            if self._encoding:                      # an image is waiting for the encoder: the radio idles
                self.underruns += 1
            return None
        if item is None:
            self._encoder_done = True
        return item

    def _load_next(self) -> bool:
        if self.interval > 0 and time.monotonic() < self._next_time:
            return False
        item = self._next_message()
        if item is None:
            return False
        frame = self._frame(*item)
        lead = self.gap if self.sent == 0 else 0
        self._out = np.concatenate([np.zeros(lead, np.complex64), frame,
                                    np.zeros(self.gap, np.complex64)])
        self._pos = 0
        self._tags = [(lead, "tx_sob", pmt.PMT_T), (lead, "semcom_seq", pmt.from_long(self.seq - 1)),
                      (len(self._out) - 1, "tx_eob", pmt.PMT_T)]
        self._next_time = time.monotonic() + self.interval
        self.sent += 1
        if self.sent % self.stats_every == 0:
            self._write_stats()
        return True

    def stop(self):
        self._halt.set()
        if self._worker is not None:
            self._worker.join(timeout=60)
        self._write_stats()
        return True

    def _write_stats(self):
        if not self.stats_file:
            return
        import json
        import os
        doc = dict(sent=self.sent, next_seq=self.seq, samples=self.samples, cpu_s=round(self.cpu_s, 4),
                   encode_cpu_s=round(self.encode_cpu_s, 4), underruns=self.underruns,
                   scheme=self.scheme, updated=time.time())
        try:
            with open(self.stats_file + ".tmp", "w") as fh:
                json.dump(doc, fh)
            os.replace(self.stats_file + ".tmp", self.stats_file)
        except OSError as exc:
            log.warning("semantic_tx: cannot write %s: %s", self.stats_file, exc)

    def _all_sent(self) -> bool:
        if self.encode_ahead:
            return self._encoder_done and self._ready.empty()
        return not self._pdus and not self._files_left() and bool(self.files)

    def work(self, input_items, output_items):
        t = time.thread_time()
        try:
            n = self._work(output_items[0])
            if n > 0:
                self.samples += n
            return n
        finally:
            self.cpu_s += time.thread_time() - t

    def _work(self, out):
        if self._pos >= len(self._out):
            if not self._load_next():
                if self._all_sent():
                    return -1                    # all files sent: done
                if not self.encode_ahead:
                    time.sleep(0.005)
                return 0
        n = min(len(out), len(self._out) - self._pos)
        out[:n] = self._out[self._pos:self._pos + n]
        base = self.nitems_written(0)
        for off, key, val in self._tags:
            if self._pos <= off < self._pos + n:
                self.add_item_tag(0, base + off - self._pos, pmt.intern(key), val)
        self._pos += n
        return n
