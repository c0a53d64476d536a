"""The sweep: a grid of rows, what the store already holds, and the rest computed serially or on Ray.

:class:`Grid` lists the rows (draw, image, scheme, channel, SNR: a partial run covers whole
images of a draw, for every scheme); :func:`run` skips the rows the store holds (with every
metric and blob asked for), groups the others into tasks (``task_rows`` rows of one scheme,
channel and image), computes them with a :class:`~semcom.sweep.rows.RowWorker` (serial) or on Ray
actors (:mod:`semcom.sweep.ray_engine`), and writes each completed task to the store in one
transaction. results.json is re-rendered (atomically) every ``render_every`` seconds with
``"complete": false``, and in full at the end.
"""
from __future__ import annotations

import shlex
import sys
import time
from dataclasses import dataclass, field

import torch

from .rows import FEATURE_KIND, ROW_THREADS, RowSpec, RowWorker, canonical_snr, image_digest
from .store import ResultStore, row_key
from .version import code_version, git_commit


@dataclass
class Grid:
    """Schemes x channels x SNRs x images x draws, with what each row measures."""

    schemes: list
    channels: list
    snrs: list
    images: torch.Tensor                  # [N, 3, H, W]
    image_names: list
    draws: int = 1
    seed: int = 0
    metrics: tuple = ("psnr", "ssim", "ms_ssim", "lpips")
    set_metrics: tuple = ()
    equalizer: str = "zf"
    decoder: str = "fast"
    keep_images: int = 1                  # reconstructions of the first N images (draw 0) kept as PNG
    _shas: list = field(default=None, repr=False)

    def __post_init__(self):
        self.snrs = [canonical_snr(s) for s in self.snrs]
        self.metrics, self.set_metrics = tuple(self.metrics), tuple(self.set_metrics)
        if len(self.image_names) != self.images.shape[0]:
            raise ValueError(f"{len(self.image_names)} names for {self.images.shape[0]} images")
        if len(set(self.image_names)) != len(self.image_names):
            raise ValueError("image names must be unique")

    @property
    def image_shas(self) -> list:
        if self._shas is None:
            self._shas = [image_digest(im) for im in self.images]
        return self._shas

    @property
    def feature_kinds(self) -> tuple:
        return tuple(sorted({FEATURE_KIND[m] for m in self.set_metrics}))

    def specs(self) -> list:
        """Every row, in the order a run computes them: draw, image, scheme, channel, SNR."""
        return [RowSpec(s, c, snr, name, sha, d, self.seed, self.equalizer, self.decoder)
                for d in range(self.draws) for name, sha in zip(self.image_names, self.image_shas)
                for s in self.schemes for c in self.channels for snr in self.snrs]

    def fields(self, spec: RowSpec) -> dict:
        return {"scheme": spec.scheme, "channel": spec.channel, "snr_db": spec.snr_db, "image": spec.image,
                "image_sha": spec.image_sha, "draw": spec.draw, "seed": spec.seed, "equalizer": spec.equalizer,
                "decoder": spec.decoder, "version": code_version(spec.scheme)}

    def keeps_image(self, spec: RowSpec) -> bool:
        return spec.draw == 0 and self.image_names.index(spec.image) < self.keep_images

    def settings(self) -> dict:
        return {"schemes": list(self.schemes), "channels": list(self.channels), "snrs": list(self.snrs),
                "images": list(self.image_names), "image_shape": list(self.images.shape[1:]), "runs": self.draws,
                "metrics": list(self.metrics), "set_metrics": list(self.set_metrics), "seed": self.seed,
                "equalizer": self.equalizer, "decoder": self.decoder}


@dataclass
class Task:
    index: int
    specs: list
    keep: tuple          # positions in specs whose reconstruction is kept

    @property
    def scheme(self) -> str:
        return self.specs[0].scheme


def plan(grid: Grid, store: ResultStore) -> tuple:
    """``(tasks, done, total)``: the rows still to compute, grouped into tasks."""
    specs = grid.specs()
    keys = [row_key(grid.fields(s)) for s in specs]
    stored = store.stored(keys)
    blobs = store.stored_blob_kinds(keys)
    todo = []
    for spec, key in zip(specs, keys):
        want = set(grid.feature_kinds) | ({"png"} if grid.keeps_image(spec) else set())
        if key in stored and set(grid.metrics) <= stored[key] and want <= blobs.get(key, set()):
            continue
        todo.append(spec)
    return todo, len(specs) - len(todo), len(specs)


def group(grid: Grid, todo: list, task_rows: int) -> list:
    tasks, current = [], []
    for spec in todo:
        if current and (len(current) >= task_rows or (spec.scheme, spec.channel, spec.image, spec.draw) !=
                        (current[0].scheme, current[0].channel, current[0].image, current[0].draw)):
            tasks.append(current)
            current = []
        current.append(spec)
    if current:
        tasks.append(current)
    return [Task(i, specs, tuple(j for j, s in enumerate(specs) if grid.keeps_image(s)))
            for i, specs in enumerate(tasks)]


def pin_process(channels):
    """What a process computing rows sets once: Dr.Jit (Sionna RT's path solver) on one thread when
    a ray-traced channel is in the grid. Its multi-threaded tracing is not bit-reproducible under
    load (measured: 1 of 6 concurrent traces of rt-street gave other last bits), and the traced
    channel is computed once per process, so it would tie a row's bits to its worker."""
    from ..channels import CHANNELS
    from ..channels.raytraced import RayTracedChannel
    if any(isinstance(CHANNELS.get(c), type) and issubclass(CHANNELS[c], RayTracedChannel) for c in channels):
        import drjit
        drjit.set_thread_count(1)


def images_by_name(grid: Grid) -> dict:
    return {name: grid.images[i].contiguous() for i, name in enumerate(grid.image_names)}


def run(grid: Grid, store: ResultStore, engine: str = "serial", workers: int = 1, address: str | None = None,
        fresh: bool = False, task_rows: int = 4, progress: bool = True, out_dir=None, render_every: float = 120.0,
        command: str | None = None, threads: int = ROW_THREADS, on_task=None) -> dict:
    """Compute the grid's missing rows into ``store``; render ``out_dir`` (if given) from it.

    Returns ``{"computed": rows computed now, "skipped": rows already stored, "total": grid rows,
    "seconds": wall time, "startup": Ray's start-up within it (s), "run_id": ..., "tasks": ...}``. ``on_task(task, results)`` is called after each task
    is committed (tests use it to kill a run at a chosen point).
    """
    from tqdm import tqdm

    from . import views
    start = time.time()
    if fresh:
        store.delete(row_key(grid.fields(s)) for s in grid.specs())
    todo, done, total = plan(grid, store)
    tasks = group(grid, todo, max(1, int(task_rows)))
    command = command if command is not None else shlex.join(sys.argv)
    run_id = store.start_run(command, grid.settings(), engine, workers, git_commit())
    if out_dir is not None:
        views.render(store, grid, out_dir, json_only=True)   # a killed run leaves complete: false
    bar = tqdm(total=total, initial=done, desc="sweep", unit="row", disable=not progress, smoothing=0.05,
               dynamic_ncols=True, mininterval=1.0)
    last_render = time.time()
    status = "failed"
    timing = {"startup": 0.0}
    try:
        def commit(task, results, worker):
            nonlocal last_render
            store.insert([(grid.fields(s), r) for s, r in zip(task.specs, results)], run_id, worker)
            bar.update(len(task.specs))
            if on_task is not None:
                on_task(task, results)
            if out_dir is not None and time.time() - last_render > render_every:
                views.render(store, grid, out_dir, json_only=True)
                last_render = time.time()

        if tasks and engine == "ray":
            from .ray_engine import run_ray
            timing = run_ray(grid, tasks, store, run_id, commit, workers=workers, address=address, threads=threads)
        elif tasks:
            pin_process(grid.channels)
            worker = RowWorker(images_by_name(grid), threads=threads)
            name = f"serial:{_host()}:{_pid()}"
            for task in tasks:
                store.record_attempts([row_key(grid.fields(s)) for s in task.specs], run_id, task.index)
                results = worker.compute(task.specs, grid.metrics, grid.feature_kinds, task.keep)
                commit(task, results, name)
        status = "complete"
    finally:
        bar.close()
        store.finish_run(run_id, status)
    if out_dir is not None:
        views.render(store, grid, out_dir)
    return {"computed": len(todo), "skipped": done, "total": total, "seconds": time.time() - start,
            "run_id": run_id, "tasks": len(tasks), "startup": timing.get("startup", 0.0)}


def _host() -> str:
    import socket
    return socket.gethostname()


def _pid() -> int:
    import os
    return os.getpid()
