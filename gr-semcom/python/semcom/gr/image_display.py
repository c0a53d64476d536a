"""``image_display``: a Qt widget showing the latest image received on an ``images`` PDU port."""
from __future__ import annotations

import math

import numpy as np
import pmt
from gnuradio import gr
from PyQt5 import QtCore, QtGui, QtWidgets

from .digital_rx import snr_from_message


class _ImageWidget(QtWidgets.QWidget):
    """Image over a caption; updated through a queued signal (messages arrive on GR threads)."""

    image_ready = QtCore.pyqtSignal(bytes, str)

    def __init__(self, title, parent=None):
        super().__init__(parent)
        layout = QtWidgets.QVBoxLayout(self)
        self.title = QtWidgets.QLabel(title) if title else None
        if self.title is not None:
            layout.addWidget(self.title)
        self.image = QtWidgets.QLabel("waiting for an image")
        self.image.setAlignment(QtCore.Qt.AlignCenter)
        self.image.setMinimumSize(128, 128)
        layout.addWidget(self.image, 1)
        self.caption = QtWidgets.QLabel("")
        self.caption.setAlignment(QtCore.Qt.AlignCenter)
        layout.addWidget(self.caption)
        self.pixmap = None
        self.image_ready.connect(self._show, QtCore.Qt.QueuedConnection)

    def _show(self, data, caption):
        pixmap = QtGui.QPixmap()
        if not pixmap.loadFromData(data):
            self.caption.setText("undecodable image")
            return
        self.pixmap = pixmap
        self._rescale()
        self.caption.setText(caption)

    def _rescale(self):
        if self.pixmap is not None:
            size = self.image.size()
            self.image.setPixmap(self.pixmap.scaled(size, QtCore.Qt.KeepAspectRatio, QtCore.Qt.SmoothTransformation))

    def resizeEvent(self, event):  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._rescale()


class image_display(gr.basic_block):
    """Shows the latest image (PNG/JPEG bytes) from the ``images`` PDU port, captioned with the
    SNR: the PDU metadata's ``snr`` (dB) if present, else the latest ``snr`` message (e.g. from
    :class:`semcom.gr.snr_estimator`), plus the metadata's ``caption`` string if any.

    Use :meth:`widget` (a QWidget) in the Qt top block; in GRC the ``gui_hint`` places it. Works
    with ``QT_QPA_PLATFORM=offscreen``; :meth:`grab_png` returns the rendered widget.
    """

    def __init__(self, title="", parent=None):
        gr.basic_block.__init__(self, name="semcom_image_display", in_sig=None, out_sig=None)
        if QtWidgets.QApplication.instance() is None:
            raise RuntimeError("image_display needs a QApplication (create it before the block)")
        self._widget = _ImageWidget(title, parent)
        self.snr = float("nan")
        self.count = 0
        self.message_port_register_in(pmt.intern("images"))
        self.message_port_register_in(pmt.intern("snr"))
        self.set_msg_handler(pmt.intern("images"), self.handle_image)
        self.set_msg_handler(pmt.intern("snr"), self.handle_snr)

    def widget(self):
        return self._widget

    def handle_snr(self, msg):
        snr = snr_from_message(msg)
        if snr is not None:
            self.snr = snr

    def handle_image(self, msg):
        if pmt.is_pair(msg):
            meta, data = pmt.to_python(pmt.car(msg)) or {}, pmt.to_python(pmt.cdr(msg))
        else:
            meta, data = {}, pmt.to_python(msg)
        if isinstance(data, np.ndarray):
            data = data.astype(np.uint8).tobytes()
        elif not isinstance(data, (bytes, bytearray)):
            self.logger.warn("image_display: dropping a message without image bytes")
            return
        self.show_image(bytes(data), meta)

    def show_image(self, data, meta=None):
        meta = meta or {}
        snr = meta.get("snr", meta.get("snr_db", self.snr))
        parts = [f"SNR {float(snr):.1f} dB" if snr is not None and math.isfinite(float(snr)) else "SNR unknown"]
        if meta.get("caption"):
            parts.append(str(meta["caption"]))
        self.count += 1
        self._widget.image_ready.emit(data, " | ".join(parts))

    def grab_png(self):
        """The widget rendered to PNG bytes (for tests and screenshots)."""
        buf = QtCore.QBuffer()
        buf.open(QtCore.QIODevice.WriteOnly)
        self._widget.grab().save(buf, "PNG")
        return bytes(buf.data())
