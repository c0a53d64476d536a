"""Sweeps at scale: every result a row of an SQLite store, computed serially or on Ray.

- :mod:`.rows`: one row (one image, scheme, channel, SNR, draw) and its seed from its key.
- :mod:`.store`: the results store (rows, blobs, computations, attempts, runs).
- :mod:`.engine`: the grid, what is left to compute, the serial engine.
- :mod:`.ray_engine`: the same tasks on Ray actors (imported only when used).
- :mod:`.views`: results.json, curves and grids rendered from the store.
- :mod:`.version`: the code version in each row's key.
"""
from .engine import Grid, plan, run
from .store import ResultStore, StoreError, check_store_path

__all__ = ["Grid", "ResultStore", "StoreError", "check_store_path", "plan", "run"]
