"""``zmq_source``: complex64 samples from a ZMQ PULL or SUB socket that no message can stop.

GNU Radio's own ZMQ sources end their thread on a message whose length is not a multiple of the
item size ("Incompatible vector sizes"); the flowgraph lives on and receives nothing more. This
source parses each message with :func:`semcom.ota.messages.parse_samples`: a message that carries
no whole samples (empty, a bad length, longer than ``max_message_bytes``) is counted by reason and
skipped, non-finite samples are zeroed and counted, and the next message is read as usual. Messages
are raw complex64 samples as GNU Radio's ZMQ sinks send them without tags.

The socket connects to ``address`` (or binds it with ``bind=True``); the default address is on the
loopback interface. ``stats``: messages, samples, skipped messages by reason, non-finite samples;
written to ``stats_file`` (JSON) as they change, at most once a second, and at stop.
"""
from __future__ import annotations

import json
import logging
import os
import time

import numpy as np
import zmq
from gnuradio import gr

from semcom.ota.messages import MAX_MESSAGE_BYTES, MessageError, parse_samples

log = logging.getLogger(__name__)


class zmq_source(gr.sync_block):
    """ZMQ sample source (PULL or SUB) that counts and skips bad messages.

    Parameters
    ----------
    address : ZMQ endpoint, e.g. ``"tcp://127.0.0.1:5555"``.
    pattern : ``"pull"`` or ``"sub"`` (subscribes to everything).
    bind : bind the address instead of connecting to it.
    timeout : milliseconds one ``work()`` call waits for a message.
    hwm : receive high-water mark in messages (-1: ZMQ's default).
    max_message_bytes : longer messages are refused by ZMQ itself (the peer is disconnected).
    stats_file : JSON file for the counters ("" = none).
    """

    def __init__(self, address="tcp://127.0.0.1:5555", pattern="pull", bind=False, timeout=100, hwm=-1,
                 max_message_bytes=MAX_MESSAGE_BYTES, stats_file=""):
        gr.sync_block.__init__(self, name="semcom_zmq_source", in_sig=None, out_sig=[np.complex64])
        if pattern not in ("pull", "sub"):
            raise ValueError(f"pattern must be 'pull' or 'sub', not {pattern!r}")
        self.address = str(address)
        self.timeout = max(1, int(timeout))
        self.max_message_bytes = int(max_message_bytes)
        self.stats_file = str(stats_file or "")
        self.stats = dict(messages=0, samples=0, skipped=0, skipped_by={}, nonfinite=0)
        self._context = zmq.Context.instance()
        self._socket = self._context.socket(zmq.PULL if pattern == "pull" else zmq.SUB)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.setsockopt(zmq.MAXMSGSIZE, self.max_message_bytes)
        if int(hwm) >= 0:
            self._socket.setsockopt(zmq.RCVHWM, int(hwm))
        if pattern == "sub":
            self._socket.setsockopt(zmq.SUBSCRIBE, b"")
        (self._socket.bind if bind else self._socket.connect)(self.address)
        self._poller = zmq.Poller()
        self._poller.register(self._socket, zmq.POLLIN)
        self._pending = np.zeros(0, np.complex64)
        self._pos = 0
        self._dirty, self._written = False, 0.0

    # ------------------------------------------------------------------ messages
    def _receive(self) -> bool:
        """Read one message into the pending samples; False if none arrived within the timeout."""
        if not self._poller.poll(self.timeout):
            return False
        parts = self._socket.recv_multipart(copy=False)
        self.stats["messages"] += 1
        self._dirty = True
        data = parts[0].buffer if len(parts) == 1 else b"".join(bytes(p.buffer) for p in parts)
        try:
            samples, nonfinite = parse_samples(data, self.max_message_bytes)
        except MessageError as exc:
            self.stats["skipped"] += 1
            self.stats["skipped_by"][exc.reason] = self.stats["skipped_by"].get(exc.reason, 0) + 1
            if self.stats["skipped"] <= 10 or self.stats["skipped"] % 1000 == 0:
                log.warning("zmq_source: skipped message %d (%s)", self.stats["messages"], exc)
            return True
        self.stats["nonfinite"] += nonfinite
        self._pending, self._pos = samples, 0
        return True

    def work(self, input_items, output_items):
        out = output_items[0]
        if self._pos >= len(self._pending):
            self._receive()
            self._write_stats()
            if self._pos >= len(self._pending):
                return 0
        n = min(len(out), len(self._pending) - self._pos)
        out[:n] = self._pending[self._pos:self._pos + n]
        self._pos += n
        self.stats["samples"] += n
        return n

    def stop(self):
        self._write_stats(force=True)
        self._socket.close(linger=0)
        return True

    def _write_stats(self, force: bool = False):
        if not self.stats_file or not (self._dirty or force):
            return
        now = time.monotonic()
        if not force and now - self._written < 1.0:
            return
        tmp = self.stats_file + ".tmp"
        try:
            with open(tmp, "w") as fh:
                json.dump(dict(self.stats, address=self.address, updated=time.time()), fh, indent=1)
            os.replace(tmp, self.stats_file)
        except OSError as exc:
            log.warning("zmq_source: cannot write %s: %s", self.stats_file, exc)
        self._dirty, self._written = False, now
