"""``rx_monitor``: a Qt panel of a semantic link: the original and the received image side by side
and the receiver's live counters."""
from __future__ import annotations

import math

import numpy as np
import pmt
from gnuradio import gr
from PyQt5 import QtCore, QtGui, QtWidgets

# (key in the stats dict, label) of the counters shown
COUNTERS = [("detected", "detected"), ("decoded", "decoded"), ("images", "images"), ("lost", "lost"),
            ("dropped_busy", "dropped (decoder busy)"), ("header_failed", "header failed"),
            ("false_alarms", "false alarms"), ("rejected", "rejected")]


def _fmt(v, spec="", unit=""):
    if v is None:
        return "-"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if not math.isfinite(f):
        return "-"
    if spec == "d":
        return f"{int(round(f))}{unit}"
    return f"{f:{spec}}{unit}"


class _MonitorWidget(QtWidgets.QWidget):
    """Two images over a table of values; updated through queued signals (messages arrive on GNU
    Radio's threads, widgets live in the GUI thread)."""

    image_ready = QtCore.pyqtSignal(bytes, bytes, dict)
    stats_ready = QtCore.pyqtSignal(dict)

    def __init__(self, title, parent=None):
        super().__init__(parent)
        outer = QtWidgets.QVBoxLayout(self)
        if title:
            outer.addWidget(QtWidgets.QLabel(f"<b>{title}</b>"))
        row = QtWidgets.QHBoxLayout()
        self.views = {}
        for name in ("original", "received"):
            box = QtWidgets.QVBoxLayout()
            caption = QtWidgets.QLabel(name)
            caption.setAlignment(QtCore.Qt.AlignCenter)
            view = QtWidgets.QLabel("waiting for a frame")
            view.setAlignment(QtCore.Qt.AlignCenter)
            view.setMinimumSize(160, 160)
            box.addWidget(caption)
            box.addWidget(view, 1)
            row.addLayout(box, 1)
            self.views[name] = [view, None]
        outer.addLayout(row, 1)
        grid = QtWidgets.QGridLayout()
        self.values = {}
        labels = [label for _, label in COUNTERS] + [
            "last seq", "scheme", "SNR estimate", "CFO estimate", "PSNR", "LPIPS",
            "payload K (channel uses)", "overhead (channel uses)", "K / frame", "RX CPU load"]
        for i, label in enumerate(labels):
            name = QtWidgets.QLabel(label + ":")
            value = QtWidgets.QLabel("-")
            value.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
            grid.addWidget(name, i % 9, 2 * (i // 9))
            grid.addWidget(value, i % 9, 2 * (i // 9) + 1)
            self.values[label] = value
        outer.addLayout(grid)
        self.image_ready.connect(self._show_images, QtCore.Qt.QueuedConnection)
        self.stats_ready.connect(self._show_stats, QtCore.Qt.QueuedConnection)

    def _set_view(self, name, data):
        if not data:
            return
        pixmap = QtGui.QPixmap()
        if pixmap.loadFromData(data):
            self.views[name][1] = pixmap
            self._rescale(name)

    def _rescale(self, name):
        view, pixmap = self.views[name]
        if pixmap is not None:
            view.setPixmap(pixmap.scaled(view.size(), QtCore.Qt.KeepAspectRatio, QtCore.Qt.SmoothTransformation))

    def resizeEvent(self, event):  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        for name in self.views:
            self._rescale(name)

    def _show_images(self, original, received, meta):
        self._set_view("original", original)
        self._set_view("received", received)
        v = self.values
        v["last seq"].setText(_fmt(meta.get("seq"), "d") if meta.get("seq") is not None else "-")
        v["scheme"].setText(str(meta.get("scheme", "-")))
        v["SNR estimate"].setText(_fmt(meta.get("snr_est"), ".1f", " dB"))
        cfo = meta.get("cfo")
        v["CFO estimate"].setText(_fmt(cfo, ".3f", " subcarriers"))
        v["PSNR"].setText(_fmt(meta.get("psnr"), ".2f", " dB"))
        v["LPIPS"].setText(_fmt(meta.get("lpips"), ".4f"))
        k, over = meta.get("payload_uses"), meta.get("overhead_uses")
        v["payload K (channel uses)"].setText(_fmt(k, "d") if k is not None else "-")
        v["overhead (channel uses)"].setText(_fmt(over, "d") if over is not None else "-")
        if k is not None and over is not None and k + over > 0:
            v["K / frame"].setText(f"{100 * k / (k + over):.1f} %")

    def _show_stats(self, st):
        for key, label in COUNTERS:
            if key in st:
                self.values[label].setText(str(int(st[key])))
        if st.get("samples") and st.get("cpu_s") is not None and self._rate:
            # CPU seconds per second of samples at the nominal rate: < 100 % keeps up
            load = st["cpu_s"] / (st["samples"] / self._rate)
            self.values["RX CPU load"].setText(f"{100 * load:.1f} % of a core at {self._rate / 1e6:g} Msps")

    _rate = 0.0


class rx_monitor(gr.basic_block):
    """Original and received image side by side, with the receiver's live counters.

    Parameters
    ----------
    reference : the transmitter's image list (glob, comma list or list; the same as its
        ``images``); frame ``seq`` shows image ``seq % len(list)`` as the original. Empty: no
        original.
    size : the transmitter's ``size`` (centre square crop + resize; 0 = as is).
    samp_rate : nominal sample rate of the receiver's input (Hz), for the CPU load line.
    title : heading of the panel.

    Message inputs: ``images`` (PDUs of :class:`semcom.gr.semantic_rx`: metadata dict + PNG bytes;
    seq, scheme, SNR and CFO estimates, PSNR/LPIPS, payload K and overhead channel uses) and
    ``stats`` (its counters dict: detected, decoded, images, lost, dropped_busy, header_failed,
    false_alarms, rejected, cpu_s, samples). :meth:`widget` is the QWidget; works offscreen.
    """

    def __init__(self, reference="", size=0, samp_rate=0.0, title=""):
        gr.basic_block.__init__(self, name="semcom_rx_monitor", in_sig=None, out_sig=None)
        if QtWidgets.QApplication.instance() is None:
            raise RuntimeError("rx_monitor needs a QApplication (create it before the block)")
        from semcom.ota import images as imgs
        self._imgs = imgs
        self.refs = imgs.expand(reference) if reference else []
        self.size = int(size)
        self._png = {}
        self._widget = _MonitorWidget(title)
        self._widget._rate = float(samp_rate)
        self.images = 0
        self.last_stats = {}
        self.message_port_register_in(pmt.intern("images"))
        self.message_port_register_in(pmt.intern("stats"))
        self.set_msg_handler(pmt.intern("images"), self.handle_image)
        self.set_msg_handler(pmt.intern("stats"), self.handle_stats)

    def widget(self):
        return self._widget

    def set_samp_rate(self, samp_rate):
        self._widget._rate = float(samp_rate)

    def _original(self, seq) -> bytes:
        if not self.refs or seq is None:
            return b""
        path = self.refs[int(seq) % len(self.refs)]
        if path not in self._png:
            try:
                self._png[path] = self._imgs.to_png(self._imgs.load(path, self.size))
            except Exception as exc:  # a missing file must not stop the display
                self.logger.warn(f"rx_monitor: cannot load {path}: {exc}")
                self._png[path] = b""
        return self._png[path]

    def handle_image(self, msg):
        if pmt.is_pair(msg):
            meta, data = pmt.to_python(pmt.car(msg)) or {}, pmt.to_python(pmt.cdr(msg))
        else:
            meta, data = {}, pmt.to_python(msg)
        if isinstance(data, np.ndarray):
            data = data.astype(np.uint8).tobytes()
        if not isinstance(data, (bytes, bytearray)) or not isinstance(meta, dict):
            self.logger.warn("rx_monitor: dropping a message that is no image PDU")
            return
        self.images += 1
        self._widget.image_ready.emit(self._original(meta.get("seq")), bytes(data), dict(meta))

    def handle_stats(self, msg):
        st = pmt.to_python(msg)
        if isinstance(st, dict):
            self.last_stats = st
            self._widget.stats_ready.emit(dict(st))

    def grab_png(self) -> bytes:
        """The panel rendered to PNG bytes (tests, screenshots)."""
        buf = QtCore.QBuffer()
        buf.open(QtCore.QIODevice.WriteOnly)
        self._widget.grab().save(buf, "PNG")
        return bytes(buf.data())
