"""Sample messages from a socket (ZMQ) -> complex64 samples, whatever arrives.

A message on a sample socket is raw complex64 samples (8 bytes each, native byte order, what GNU
Radio's ZMQ sinks send without tags). Anything else, empty, a length that is not a whole number of
samples, more than the receiver accepts, is refused with a :class:`MessageError` carrying a short
reason, so the caller counts it and goes on with the next message. Non-finite samples (NaN, Inf)
are replaced by zeros and counted.
"""
from __future__ import annotations

import numpy as np

ITEM_BYTES = np.dtype(np.complex64).itemsize
MAX_MESSAGE_BYTES = 64 << 20
REASONS = ("empty", "length", "too_long")


class MessageError(ValueError):
    """A message that carries no samples; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def parse_samples(message, max_bytes: int = MAX_MESSAGE_BYTES) -> tuple:
    """One message (bytes-like) -> (complex64 samples [n], number of non-finite samples zeroed).

    Raises :class:`MessageError` for an empty message, a length that is not a multiple of
    :data:`ITEM_BYTES`, or one longer than ``max_bytes``."""
    view = memoryview(message).cast("B")
    n = view.nbytes
    if n == 0:
        raise MessageError("empty", "a message of 0 bytes")
    if n > max_bytes:
        raise MessageError("too_long", f"a message of {n} bytes (at most {max_bytes})")
    if n % ITEM_BYTES:
        raise MessageError("length", f"a message of {n} bytes is not a whole number of "
                           f"{ITEM_BYTES}-byte complex64 samples")
    samples = np.frombuffer(view, dtype=np.complex64)
    bad = ~np.isfinite(samples)
    count = int(np.count_nonzero(bad))
    if count:
        samples = np.where(bad, np.complex64(0), samples)
    return samples, count
