"""What the flowgraph tests share: the environment GNU Radio needs, grcc on grc/, free ports, the
receivers' JSON stats files, waiting on a condition while the processes live."""
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
IMAGE = str(REPO / "data" / "demo" / "astronaut.png")


def env() -> dict:
    e = dict(os.environ)
    e["PATH"] = f"{Path(PY).parent}:{e.get('PATH', '')}"
    e["GRC_BLOCKS_PATH"] = str(REPO / "gr-semcom" / "grc")
    e["GR_CONF_GRC_LOCAL_BLOCKS_PATH"] = str(REPO / "gr-semcom" / "grc")
    e.setdefault("QT_QPA_PLATFORM", "offscreen")
    e.setdefault("OMP_NUM_THREADS", "1")
    e["PYTHONUNBUFFERED"] = "1"
    return e


def compile_all(out: Path) -> dict:
    """grcc on every .grc of grc/ (all of them, nobody's skipped) -> {name: generated .py}."""
    grcs = sorted((REPO / "grc").glob("*.grc"))
    res = subprocess.run(["grcc", "-o", str(out), *map(str, grcs)], env=env(), capture_output=True,
                         text=True, timeout=300, cwd=REPO)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    generated = {}
    for g in grcs:
        py = out / (g.stem + ".py")
        assert py.exists(), f"grcc produced nothing for {g.name}:\n{res.stdout[-2000:]}"
        generated[g.stem] = py
    return generated


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_stats(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def wait_for(pred, timeout, procs=()):
    """``pred()``'s first true value within ``timeout`` seconds (None if none), failing at once
    when one of ``procs`` has exited."""
    t = time.time()
    while time.time() - t < timeout:
        for p in procs:
            assert p.poll() is None, f"process exited early: {p.args}\n{p.stdout.read()[-3000:] if p.stdout else ''}"
        v = pred()
        if v:
            return v
        time.sleep(0.3)
    return None


def rss_mb(pid: int) -> float:
    """Resident memory of a process, MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def stop(procs, logs=()):
    """SIGTERM the processes (SIGKILL after 20 s) and close the log files."""
    import signal
    for p in procs:
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        if p is not None:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    for f in logs:
        f.close()
