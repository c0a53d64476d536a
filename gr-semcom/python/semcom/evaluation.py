"""Schemes x channels x SNRs x images x runs: one results file, curves and an image grid.

Results follow one schema, ``semcom-eval/1``: ``rows`` (one per image and run), ``sets`` (set-level
metrics per scheme, channel, SNR and run) and ``curves`` (per scheme and channel, mean metrics
against SNR and CBR, in CompressAI's layout of name/description/results lists), so curves can be
re-plotted and compared across schemes and versions.

The engine is :mod:`semcom.sweep`: every row is computed on its own (one image, its own seed from
its key) and lands in a results store; :func:`evaluate` runs a grid serially into a store (a
throw-away in-memory one unless ``store`` is given) and returns the rendered results.
"""
from __future__ import annotations

from .sweep.rows import (ERASURE_GREY, FAILURE_FID, FAILURE_SCORES, Transmission, score,  # noqa: F401
                         transmit)
from .sweep.views import SCHEMA, curves, image_grid, save  # noqa: F401


def evaluate(schemes, channels, snrs, images, image_names=None, runs: int = 1,
             metrics=("psnr", "ssim", "ms_ssim", "lpips"), set_metrics=(), seed: int = 0,
             equalizer: str = "zf", decoder: str = "fast", progress: bool = True, store=None,
             keep_images: int = 1, **run_options) -> dict:
    """Run the grid and return results in the ``semcom-eval/1`` schema (also keeps
    ``_reconstructions`` of the first ``keep_images`` images of run 0 for the image grid; not
    serialised). ``store``: a :class:`~semcom.sweep.ResultStore` or a path (rows already there are
    reused); ``run_options`` go to :func:`semcom.sweep.run` (engine, workers, fresh, ...)."""
    from .sweep import Grid, ResultStore, run
    from .sweep.views import collect
    image_names = list(image_names or [f"img{i}" for i in range(images.shape[0])])
    grid = Grid(list(schemes), list(channels), list(snrs), images, image_names, draws=runs, seed=seed,
                metrics=tuple(metrics), set_metrics=tuple(set_metrics), equalizer=equalizer, decoder=decoder,
                keep_images=keep_images)
    owned = not isinstance(store, ResultStore)
    db = ResultStore(store if store is not None else ":memory:") if owned else store
    try:
        run(grid, db, progress=progress, **run_options)
        return collect(db, grid)
    finally:
        if owned:
            db.close()
