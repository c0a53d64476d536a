"""``semantic_rx``: complex baseband samples -> frames -> semantic decode -> PNG files + PDUs.

:class:`semcom.ota.FrameReceiver` finds and decodes frames (Schmidl & Cox, LTS timing and CFO,
header, payload with the ESTIMATED SNR in the CSI); a worker thread hands each received message
to the semantic decoder, so the neural decoder does not stall the sample stream. With
``decoder_process`` the decoder runs in a child process (:class:`semcom.ota.decoding.DecoderProcess`):
a crash or a hang in a codec then costs a frame, not the receiver, and the decode does not share
the interpreter's lock with the sample thread (no measurable gain on a 2-core machine, where the
child competes for the CPU instead: ``BENCHMARKS.md``).

The air is untrusted (:mod:`semcom.ota.policy`): a frame is decoded only with a codec spec from
the receiver's own configuration (``accept``, or ``scheme`` for every frame), never with options
from the header; header fields outside the bounds (``max_image_side``, stream sizes, ...) and
frames predicted to decode for longer than ``decode_budget`` seconds are counted as rejected by
reason and not decoded; at most a few codecs stay loaded. For every image:

* ``<out_dir>/<n>_seq<seq>.png`` (``n`` numbers the images of the folder: neither a restarted
  transmitter nor a restarted receiver overwrites earlier files),
* a PDU on the ``images`` port: metadata dict (seq, scheme, snr_est, cfo, timing, failures, file,
  psnr/lpips when a reference is given, payload_uses / overhead_uses) and the PNG bytes as a
  u8vector,
* a PDU on the ``symbols`` port at most every ``symbols_period`` seconds: up to 1024 equalised
  payload REs of the last frame (c32vector; for a constellation display, e.g.
  ``qtgui.const_sink_c``'s ``in`` port),
* a dict on the ``stats`` port every ``stats_period`` (0.5) seconds while samples flow: the
  receiver counters (detected, decoded, lost, dropped_busy, images, ...),
* the JSON stats file (``stats_file``, default ``<out_dir>/stats.json``) rewritten after every
  frame the decoder thread handles when no other frame waits, else at most every
  :data:`STATS_WRITE_PERIOD` seconds (and at stop): receiver counters
  (detected, decoded, header_failed, truncated, lost, restarts, ...), images written,
  ``dropped_busy`` (frames received but dropped because the decoder was behind, with
  ``drop_when_busy``), the CPU time of both threads, the last frames' metadata, mean PSNR.

``reference``: the transmitter's image list (glob/list, same ``size``); frame ``seq`` is compared
with image ``seq % len(list)``.

``resume``: a receiver restarted on the same stats file continues its counters, its image
numbering and its sequence tracking, so frames sent while it was down count as ``lost``.
"""
from __future__ import annotations

import json
import logging
import math
import os
import queue
import threading
import time

import numpy as np
import pmt
from gnuradio import gr
from semcom.ota.policy import FrameRejected

log = logging.getLogger(__name__)

STATS_WRITE_PERIOD = 0.5    # seconds between stats-file rewrites while frames wait for the decoder


class semantic_rx(gr.sync_block):
    """Semantic receiver: complex64 samples -> decoded images (PNG files, ``images`` PDUs, stats).

    Parameters
    ----------
    scheme : codec spec decoding every frame (empty: the accepted spec the header's scheme matches).
    out_dir : folder for PNGs and the stats file ("" = do not write PNGs).
    reference : reference image(s) for PSNR/LPIPS (glob/list; empty: none).
    size : crop/resize of the reference images (as the transmitter's ``size``).
    lpips : also compute LPIPS against the reference (needs the metric weights).
    stats_file : JSON stats path ("" = ``<out_dir>/stats.json``).
    decoder : LDPC decoder of digital streams ("fast" or "sionna").
    max_cfo : CFO search range, subcarrier spacings.
    accept : decoder specs accepted from headers, separated by ``;`` (empty: every registered
        scheme with its default options).
    max_image_side : largest image height/width a header may declare, pixels.
    decode_budget : largest predicted decode time per frame, seconds (0: none).
    resume : continue the counters of an existing stats file.
    tracking : track residual CFO, phase noise and sampling-clock drift from the pilots and remove
        DC offset and IQ imbalance (:class:`semcom.ota.FrameReceiver`); False: the receiver
        without tracking, for comparison.
    drop_when_busy : a frame that finds ``queue_size`` frames already waiting for the decoder
        is dropped and counted (``dropped_busy``) instead of stalling the sample stream (what a
        radio needs: a stalled receiver overflows the radio's buffers, uncounted). False: the
        sample stream waits for the decoder (offline runs where every frame must be decoded).
    queue_size : frames waiting for the decoder at most.
    trim_period : every this many seconds the decoder thread hands the C allocator's free memory
        back to the system (:mod:`semcom.ota.memory`; 0: never), so a receiver running for hours
        keeps its resident size; not the sample thread, as a trim takes 10-20 ms. ``trims`` and
        ``trim_s`` in the stats count the calls and their time.
    symbols_period : the ``symbols`` port gets the equalised REs of at most one frame every this
        many seconds (0: every frame). A display needs a few per second; at 10 Msps frames come
        by the hundred, and turning 1024 REs into a PMT costs about 0.1 ms of the sample thread.
    decoder_process : decode in a child process (default off: in a thread of this process). A
        child that dies is replaced at the next frame; its frame counts in ``decode_errors`` and
        ``decoder_restarts``. The child starts (imports, the ``scheme`` or ``accept`` codecs) in
        ``start()``, a few seconds before samples flow.
    decode_timeout : longest decode of one frame in the child, seconds, including its start and
        the codec's loading (0: none); a child over it is killed (``decoder_timeouts``).

    ``cpu_s`` (also in the stats) is the CPU time of the sample thread's ``work()`` (thread CPU
    time, seconds) and ``samples`` the samples it consumed: ``samples / cpu_s`` is the rate one
    core sustains for detection, sync, header, demodulation and payload LDPC (the semantic decode
    runs in the decoder process or thread, ``decoder_cpu_s``).
    """

    def __init__(self, scheme="", out_dir="rx_images", reference="", size=0, lpips=False,
                 stats_file="", decoder="fast", max_cfo=2.5, accept="", max_image_side=1024,
                 decode_budget=60.0, resume=True, tracking=True, drop_when_busy=False, queue_size=64,
                 trim_period=5.0, symbols_period=0.1, decoder_process=False, decode_timeout=300.0):
        gr.sync_block.__init__(self, name="semantic_rx", in_sig=[np.complex64], out_sig=None)
        from semcom.ota import FrameReceiver, images as imgs
        from semcom.ota.decoding import DecoderProcess, FrameDecoder
        from semcom.ota.memory import Trimmer
        from semcom.ota.policy import DecodeBudget, ReceiverPolicy

        self.scheme = str(scheme or "")
        self.out_dir = str(out_dir or "")
        if self.out_dir:
            os.makedirs(self.out_dir, exist_ok=True)
        self.stats_file = str(stats_file) or (os.path.join(self.out_dir, "stats.json") if self.out_dir else "")
        self.refs = imgs.expand(reference) if reference else []
        self.size = int(size)
        self.want_lpips = bool(lpips)
        side = int(max_image_side)
        self.policy = ReceiverPolicy(accept=accept, max_image_side=side, max_image_pixels=side * side,
                                     decode_budget_s=float(decode_budget))
        self.receiver = FrameReceiver(max_cfo=float(max_cfo), decoder=decoder, policy=self.policy,
                                      decoder_spec=self.scheme, tracking=bool(tracking))
        self.count = 0
        self._file_index = self._next_file_index()
        self.records = []
        self.worker_stats = dict(decode_errors=0, rejected_by={}, codec_failures=0)
        self.resumed = 0
        self._budget = DecodeBudget(self.policy.decode_budget_s)
        if decoder_process:
            preload = [self.scheme] if self.scheme else list(self.policy.accept)[:self.policy.max_codecs] if accept else []
            self._decoder = DecoderProcess(self.policy.max_codecs, self.refs, self.size, self.want_lpips,
                                           timeout_s=float(decode_timeout), trim_period=float(trim_period),
                                           preload=preload)
        else:
            self._decoder = FrameDecoder(self.policy.max_codecs, self.refs, self.size, self.want_lpips)
        self._lock = threading.Lock()
        self.drop_when_busy = bool(drop_when_busy)
        if int(queue_size) < 1:
            raise ValueError(f"queue_size must be >= 1, got {queue_size}")
        self._queue = queue.Queue(maxsize=int(queue_size))
        self.dropped_busy = 0
        self.cpu_s = 0.0
        self.decoder_cpu_s = 0.0
        self.work_calls = 0
        self._trimmer = Trimmer(float(trim_period))
        self._worker = None
        self.message_port_register_out(pmt.intern("images"))
        self.message_port_register_out(pmt.intern("symbols"))
        self.message_port_register_out(pmt.intern("stats"))
        self.stats_period = 0.5
        self._next_stats = 0.0
        self._stats_written = -math.inf
        self.set_symbols_period(symbols_period)
        self._next_symbols = 0.0
        if resume:
            self._resume()

    # ------------------------------------------------------------------ GNU Radio
    def start(self):
        # a child process imports torch and loads the codecs before the first samples come: frames
        # arriving meanwhile would wait in the queue or, with drop_when_busy, be dropped
        try:
            self._decoder.start(wait=True)
        except Exception as exc:  # DecoderLost: counted; the first frame starts another child
            log.warning("semantic_rx: the decoder process did not start: %s", exc)
        for spec, err in getattr(self._decoder, "preload_errors", {}).items():
            log.warning("semantic_rx: codec %s did not load: %s", spec, err)
        self._worker = threading.Thread(target=self._run, name="semantic_rx-decode", daemon=True)
        self._worker.start()
        return True

    def stop(self):
        self._queue.put(None)
        if self._worker is not None:
            self._worker.join(timeout=300)
        self._decoder.close()
        self._write_stats(force=True)
        return True

    def set_drop_when_busy(self, drop_when_busy):
        self.drop_when_busy = bool(drop_when_busy)

    def set_symbols_period(self, symbols_period):
        if not float(symbols_period) >= 0:
            raise ValueError(f"symbols_period must be >= 0 seconds, got {symbols_period!r}")
        self.symbols_period = float(symbols_period)

    def work(self, input_items, output_items):
        t = time.thread_time()
        x = input_items[0]
        with self._lock:
            frames = self.receiver.push(x)
        now = time.monotonic()
        if frames and now >= self._next_symbols:
            c = frames[-1].extra.get("constellation")
            if c is not None and len(c):
                self._next_symbols = now + self.symbols_period
                self.message_port_pub(pmt.intern("symbols"),
                                      pmt.cons(pmt.make_dict(), pmt.init_c32vector(len(c), c.astype(np.complex64))))
        for f in frames:
            if self.drop_when_busy:
                try:
                    self._queue.put_nowait(f)
                except queue.Full:          # the decoder is queue_size frames behind: count it
                    self.dropped_busy += 1
            else:
                self._queue.put(f)          # waits while the decoder is queue_size frames behind
        if now >= self._next_stats:
            self._next_stats = now + self.stats_period
            self._publish_stats()
        self.cpu_s += time.thread_time() - t
        self.work_calls += 1
        return len(x)

    def _publish_stats(self):
        """The counters as a dict message on the ``stats`` port (for live displays)."""
        st = self.stats
        flat = {k: v for k, v in st.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        self.message_port_pub(pmt.intern("stats"), pmt.to_pmt(flat))

    # ------------------------------------------------------------------ decoding
    @property
    def stats(self) -> dict:
        """Receiver counters plus the decoder thread's: ``rejected``/``rejected_by`` include
        frames refused for the decode budget, ``decode_errors`` frames whose codec raised."""
        with self._lock:
            st = dict(self.receiver.stats)
            st["false_alarm_at"] = [list(x) for x in self.receiver.false_alarm_at]
            by = dict(st.get("rejected_by", {}))
        for reason, n in self.worker_stats["rejected_by"].items():
            by[reason] = by.get(reason, 0) + n
        st["rejected"] = sum(by.values())
        st["rejected_by"] = by
        st["decode_errors"] = self.worker_stats["decode_errors"]
        st["codec_failures"] = self.worker_stats.get("codec_failures", 0)   # decoded, a stream's CRC failed
        st["dropped_busy"] = self.dropped_busy
        st["queued"] = self._queue.qsize()
        st["cpu_s"] = round(self.cpu_s, 4)
        st["work_calls"] = self.work_calls
        st["decoder_cpu_s"] = round(self.decoder_cpu_s + getattr(self._decoder, "cpu_s", 0.0), 4)
        st["decoder_restarts"] = getattr(self._decoder, "restarts", 0)
        st["decoder_timeouts"] = getattr(self._decoder, "timeouts", 0)
        st["decoder_start_s"] = round(getattr(self._decoder, "start_s", 0.0), 3)
        st["trims"] = self._trimmer.calls
        st["trim_s"] = round(self._trimmer.seconds, 4)
        st["images"] = self.count
        st["last_seq"] = self.receiver.last_seq
        st["resumed"] = self.resumed
        return st

    def _next_file_index(self) -> int:
        """One more than the highest ``<n>_seq<seq>.png`` already in ``out_dir``: a restarted
        receiver never overwrites earlier images, whatever its stats file says."""
        if not self.out_dir:
            return 0
        taken = [int(name.split("_", 1)[0]) for name in os.listdir(self.out_dir)
                 if name.endswith(".png") and "_seq" in name and name.split("_", 1)[0].isdigit()]
        return max(taken, default=-1) + 1

    def _resume(self):
        """Continue from the stats file of an earlier run of this receiver (if there is one)."""
        if not self.stats_file or not os.path.isfile(self.stats_file):
            return
        try:
            with open(self.stats_file) as fh:
                saved = json.load(fh)["receiver"]
            counters = {k: int(v) for k, v in saved.items()
                        if k in self.receiver.stats and k != "rejected_by" and not isinstance(v, (dict, list))}
            by = {str(k): int(v) for k, v in dict(saved.get("rejected_by", {})).items()}
            last_seq = saved.get("last_seq")
            last_seq = None if last_seq is None else int(last_seq)
            images, resumed = int(saved.get("images", 0)), int(saved.get("resumed", 0)) + 1
            errors = int(saved.get("decode_errors", 0))
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("semantic_rx: not resuming from %s: %s", self.stats_file, exc)
            return
        self.receiver.stats.update(counters)
        self.receiver.stats["rejected_by"] = {k: v for k, v in by.items() if k != "over_budget"}
        self.worker_stats.update(decode_errors=errors, rejected_by={k: v for k, v in by.items() if k == "over_budget"})
        self.receiver.last_seq = last_seq
        self.count, self.resumed = images, resumed

    def _run(self):
        while True:
            frame = self._queue.get()
            if frame is None:
                return
            t = time.thread_time()
            try:
                self._handle(frame)
            except FrameRejected as exc:
                by = self.worker_stats["rejected_by"]
                by[exc.reason] = by.get(exc.reason, 0) + 1
                self.records.append(dict(seq=frame.seq, rejected=exc.reason, error=str(exc)[:300]))
                self._write_stats()
            except Exception as exc:  # a bad frame must not kill the receiver
                log.warning("semantic_rx: frame seq %s not decoded: %s", frame.seq, exc)
                self.worker_stats["decode_errors"] += 1
                self.records.append(dict(seq=frame.seq, error=str(exc)[:300]))
                self._write_stats()
            finally:
                self.decoder_cpu_s += time.thread_time() - t
                self._trimmer.maybe()     # here, not in work(): a trim takes ~10-20 ms

    def _handle(self, frame):
        spec = frame.decoder_spec or self.scheme or frame.scheme
        pixels = int(np.prod(frame.message.image_shape[-2:]))
        self._budget.check(spec, pixels)
        out = self._decoder.decode(spec, frame.message, frame.csi, int(frame.seq))
        self._budget.record(spec, pixels, out["seconds"])
        png = out["png"]
        n = self._file_index
        meta = dict(n=n, seq=int(frame.seq), scheme=frame.scheme, decoder=frame.decoder_spec, snr_est=round(float(frame.snr_db), 3),
                    cfo=round(float(frame.cfo), 5), timing=int(frame.timing), length=int(frame.length),
                    payload_uses=int(frame.extra.get("uses", {}).get("payload", 0)),
                    overhead_uses=int(frame.extra.get("uses", {}).get("overhead", 0)),
                    failures=out["failures"], time=time.time())
        if "psnr" in out:
            meta["psnr"] = round(out["psnr"], 3)
        if "lpips" in out:
            meta["lpips"] = round(out["lpips"], 4)
        if "lpips_error" in out:
            meta["lpips_error"] = out["lpips_error"]
        if self.out_dir:
            path = os.path.join(self.out_dir, f"{n:06d}_seq{frame.seq}.png")
            with open(path, "wb") as fh:
                fh.write(png)
            meta["file"] = path
        if meta["failures"]:
            self.worker_stats["codec_failures"] = self.worker_stats.get("codec_failures", 0) + 1
        self.count += 1
        self._file_index += 1
        self.records.append(meta)
        car = pmt.to_pmt({k: v for k, v in meta.items() if not isinstance(v, list)})
        # (from a list: from a numpy array the binding converts element by element, ~5 ms per
        # 10 kB PNG holding the GIL; a list of ints takes a tenth of that)
        self.message_port_pub(pmt.intern("images"), pmt.cons(car, pmt.init_u8vector(len(png), list(png))))
        self._write_stats()

    def _write_stats(self, force: bool = False):
        """Rewrite the stats file: at once when ``force`` or when no frame waits for the decoder,
        else at most every :data:`STATS_WRITE_PERIOD` seconds (the JSON of the last 100 frames
        takes milliseconds of the GIL, which the sample thread needs at full rate)."""
        self.records = self.records[-1000:]
        if not self.stats_file:
            return
        now = time.monotonic()
        if not force and not self._queue.empty() and now < self._stats_written + STATS_WRITE_PERIOD:
            return
        self._stats_written = now
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
