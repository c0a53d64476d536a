"""The grid's tasks on Ray: a local instance (``num_cpus = workers``) or a cluster (``address``).

``workers`` actors (one CPU each) each hold a :class:`~semcom.sweep.rows.RowWorker`: an actor
loads a scheme's codec the first time it gets one of its tasks and keeps it for its life. Tasks go
out in the grid's order (draw, image, scheme, channel, SNR), two in flight per actor, so a run
stopped early has whole images done rather than whole schemes; each actor then loads each codec
once (seconds) instead of keeping to one scheme. The
images travel once through Ray's object store; the models load from each node's own
``models/`` (``$SEMCOM_MODELS``). Before any task, every actor reports the code version of every
scheme of the grid and the driver refuses to start if one differs from its own: rows are tagged
with the driver's version, so a node with other code or other weights must not compute them.
The driver is the store's only writer: it commits each task as it completes.

Ray is imported here only: the serial engine never needs it.
"""
from __future__ import annotations

import os
import time
from collections import deque

RAY_MISSING = ("the Ray engine needs the 'ray' package (pip install ray==2.60.0; scripts/setup.sh installs it); "
               "without it use --engine serial")


def ray_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("ray") is not None


def init_ray(workers: int, address: str | None):
    """Connect to ``address`` or start a quiet local instance (no dashboard UI, no log forwarding,
    advertised on 127.0.0.1; Ray's token authentication stays on: its gRPC servers listen on every
    interface and Ray 2.60 has no switch to bind them to loopback)."""
    import logging

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    os.environ.setdefault("RAY_DEDUP_LOGS", "0")
    import ray
    if ray.is_initialized():
        return ray
    # The local raylet and its workers inherit the driver's environment (PYTHONPATH included).
    for k, v in (("OMP_WAIT_POLICY", "PASSIVE"), ("HF_HUB_OFFLINE", "1")):
        os.environ.setdefault(k, v)
    kwargs = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    if address:
        ray.init(address=address, **kwargs)
    else:
        ray.init(num_cpus=int(workers), _node_ip_address="127.0.0.1", **kwargs)
    return ray


def _actor_class(ray):
    @ray.remote(num_cpus=1)
    class SweepActor:
        def __init__(self, images, threads, channels=()):
            import socket

            import torch
            torch.set_num_threads(int(threads))
            from semcom.sweep.engine import pin_process
            pin_process(channels)
            from semcom.sweep.rows import RowWorker
            self.worker = RowWorker(images, threads=threads)
            self.name = f"ray:{socket.gethostname()}:{os.getpid()}"

        def versions(self, specs):
            import semcom
            from semcom.sweep.version import code_version
            return {"package": os.path.dirname(semcom.__file__),
                    "versions": {s: code_version(s) for s in specs}}

        def compute(self, specs, metrics, feature_kinds, keep):
            return self.name, self.worker.compute(specs, metrics, feature_kinds, keep)

        def ping(self):
            return self.name

    return SweepActor


def run_ray(grid, tasks, store, run_id, commit, workers: int = 1, address: str | None = None, threads: int = 1,
            in_flight_per_actor: int = 2):
    """Run ``tasks`` on ``workers`` actors; ``commit(task, results, worker)`` for each completed task."""
    from .engine import images_by_name
    from .store import row_key
    from .version import code_version
    t0 = time.perf_counter()
    ray = init_ray(workers, address)
    actors = []
    timing = {}
    try:
        images_ref = ray.put(images_by_name(grid))
        Actor = _actor_class(ray)
        actors = [Actor.remote(images_ref, threads, list(grid.channels)) for _ in range(int(workers))]
        mine = {s: code_version(s) for s in grid.schemes}
        for report in ray.get([a.versions.remote(list(grid.schemes)) for a in actors]):
            bad = {s: v for s, v in report["versions"].items() if v != mine[s]}
            if bad:
                spec, version = next(iter(bad.items()))
                raise RuntimeError(f"a Ray worker (semcom at {report['package']}) computes {spec!r} as version "
                                   f"{version}, the driver as {mine[spec]}: same code and models on every node")
        timing["startup"] = time.perf_counter() - t0   # Ray up, actors built, versions checked
        queue = deque(tasks)   # grid order: a partial run covers whole images, draw by draw
        busy = {i: 0 for i in range(len(actors))}
        pending = {}

        def next_task(i):
            return queue.popleft() if queue else None

        def submit(i):
            task = next_task(i)
            if task is None:
                return False
            store.record_attempts([row_key(grid.fields(s)) for s in task.specs], run_id, task.index)
            ref = actors[i].compute.remote(task.specs, grid.metrics, grid.feature_kinds, task.keep)
            pending[ref] = (i, task)
            busy[i] += 1
            return True

        for _ in range(in_flight_per_actor):
            for i in range(len(actors)):
                submit(i)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                i, task = pending.pop(ref)
                busy[i] -= 1
                worker, results = ray.get(ref)
                commit(task, results, worker)
                submit(i)
    finally:
        for a in actors:
            try:
                ray.kill(a)
            except Exception:   # noqa: BLE001  (already gone)
                pass
        if not address:
            ray.shutdown()
    return timing


def task_overhead(workers: int = 1, tasks: int = 200, address: str | None = None) -> dict:
    """Round-trip time of a trivial actor call (the per-task overhead of the engine), in seconds:
    ``{"sequential": per call, one at a time; "pipelined": per call with ``workers`` x 2 in flight}``."""
    ray = init_ray(workers, address)
    try:
        Actor = _actor_class(ray)
        actors = [Actor.remote({}, 1) for _ in range(workers)]
        ray.get([a.ping.remote() for a in actors])
        t = time.perf_counter()
        for k in range(tasks):
            ray.get(actors[k % workers].ping.remote())
        sequential = (time.perf_counter() - t) / tasks
        t = time.perf_counter()
        ray.get([actors[k % workers].ping.remote() for k in range(tasks)])
        pipelined = (time.perf_counter() - t) / tasks
        return {"sequential": sequential, "pipelined": pipelined, "tasks": tasks, "workers": workers}
    finally:
        if not address:
            ray.shutdown()
