"""``sigmf_sink``: record a flowgraph's complex samples as a SigMF recording, annotated per frame.

The samples go to ``<path>.sigmf-data`` as they arrive (complex64, ``cf32_le``); at stop
``<path>.sigmf-meta`` is written (:func:`semcom.ota.recording.write_meta`): sample rate, centre
frequency, hardware string, emulator/radio settings (a JSON object), scheme, and one annotation per
frame reported on the ``frames`` message port. Connect ``semantic_rx``'s ``images`` port to it and
its input to the same stream as the receiver's: each decoded frame becomes an annotation (sequence
number, SNR and CFO estimates, payload and overhead channel uses) at the sample where it starts.
``save_images``: the decoded images are also written to ``<path>_images/`` and named in their
annotations (what a replay is compared with).
"""
from __future__ import annotations

import json
import logging
import os

import numpy as np
import pmt
from gnuradio import gr

log = logging.getLogger(__name__)


class sigmf_sink(gr.sync_block):
    """SigMF recorder (see the module docstring).

    Parameters
    ----------
    path : recording base path (``.sigmf-meta``/``.sigmf-data`` suffixes are added).
    samp_rate : Hz. center_freq : Hz. hardware : e.g. ``"USRP B210"`` or ``"emulator"``.
    settings : JSON object (string or dict) of the channel / radio settings.
    scheme : the codec spec on the air. description : free text.
    save_images : write the images of the ``frames`` PDUs beside the recording.
    """

    def __init__(self, path="recording", samp_rate=1e6, center_freq=0.0, hardware="", settings="{}",
                 scheme="", description="", save_images=False):
        gr.sync_block.__init__(self, name="semcom_sigmf_sink", in_sig=[np.complex64], out_sig=None)
        from semcom.ota.recording import base_of
        self.base = base_of(path)
        if not float(samp_rate) > 0:
            raise ValueError(f"samp_rate must be > 0, got {samp_rate!r}")
        self.samp_rate, self.center_freq = float(samp_rate), float(center_freq)
        self.hardware, self.scheme, self.description = str(hardware), str(scheme), str(description)
        self.settings = json.loads(settings) if isinstance(settings, str) else dict(settings or {})
        if not isinstance(self.settings, dict):
            raise ValueError("settings must be a JSON object")
        self.save_images = bool(save_images)
        self.annotations = []
        self.samples = 0
        self._fh = None
        self.message_port_register_in(pmt.intern("frames"))
        self.set_msg_handler(pmt.intern("frames"), self._on_frame)

    def start(self):
        os.makedirs(self.base.parent or ".", exist_ok=True)
        self._fh = open(self.base.with_suffix(".sigmf-data"), "wb")
        return True

    def work(self, input_items, output_items):
        x = input_items[0]
        self._fh.write(np.ascontiguousarray(x, np.complex64).tobytes())
        self.samples += len(x)
        return len(x)

    def _on_frame(self, msg):
        from semcom.ota.recording import annotation
        try:
            car = pmt.to_python(pmt.car(msg)) if pmt.is_pair(msg) else pmt.to_python(msg)
            if not isinstance(car, dict) or "timing" not in car:
                return
            if self.save_images and pmt.is_pair(msg):
                folder = self.base.parent / (self.base.name + "_images")
                folder.mkdir(parents=True, exist_ok=True)
                name = f"{len(self.annotations):06d}_seq{car.get('seq')}.png"
                (folder / name).write_bytes(bytes(pmt.u8vector_elements(pmt.cdr(msg))))
                car["image"] = f"{folder.name}/{name}"
            self.annotations.append(annotation(car))
        except Exception as exc:  # a bad message must not stop the recording
            log.warning("sigmf_sink: frame message ignored: %s", exc)

    def stop(self):
        from semcom.ota.recording import write_meta
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        ann = sorted((a for a in self.annotations if a["sample_start"] + a["sample_count"] <= self.samples),
                     key=lambda a: a["sample_start"])
        write_meta(self.base, self.samp_rate, self.center_freq, self.hardware, self.settings,
                   self.scheme, self.description, ann)
        return True
