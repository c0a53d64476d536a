"""Give the C allocator's free memory back to the operating system, for long-running receivers.

A receiver that runs for hours allocates and frees arrays of many sizes in several threads (the
sample thread, the decoder worker, GNU Radio's schedulers). glibc's ``malloc`` keeps freed memory
in its heaps and returns it to the system only from a heap's top, so under bursts (the machine
busy, frames arriving in clumps) the resident size climbs to each new high-water mark and stays
there although nothing is live: measured on the ZMQ soak, ``malloc_trim(0)`` called from a debugger
released 52 MB of a 623 MB receiver whose Python objects (``tracemalloc``) and numba arrays (NRT
allocation counts) were not growing. :func:`release_free_memory` calls ``malloc_trim(0)``, which
also releases free pages in the middle of the heaps (``MADV_DONTNEED``); :class:`Trimmer` does it at
most once per period. Elsewhere than glibc it does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import time

__all__ = ["release_free_memory", "Trimmer"]

_trim = None


def _malloc_trim():
    global _trim
    if _trim is None:
        fn = False
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            fn = getattr(libc, "malloc_trim", False)
            if fn:
                fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
        except OSError:
            fn = False
        _trim = fn
    return _trim


def release_free_memory() -> bool:
    """``malloc_trim(0)``: True if the allocator returned memory to the system, False if it had
    none to return or this is not glibc."""
    fn = _malloc_trim()
    return bool(fn and fn(0))


class Trimmer:
    """Calls :func:`release_free_memory` when :meth:`maybe` finds ``period`` seconds passed since
    the last call (0: never). ``calls`` and ``seconds`` (wall time spent) are its counters."""

    def __init__(self, period: float = 5.0):
        if not period >= 0:
            raise ValueError(f"the trim period must be >= 0 seconds, got {period}")
        self.period = float(period)
        self.calls = 0
        self.seconds = 0.0
        self._next = time.monotonic() + self.period

    def maybe(self, now: float | None = None) -> bool:
        if not self.period:
            return False
        now = time.monotonic() if now is None else now
        if now < self._next:
            return False
        t = time.perf_counter()
        release_free_memory()
        self.seconds += time.perf_counter() - t
        self.calls += 1
        self._next = now + self.period
        return True
