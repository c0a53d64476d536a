"""Semantic decoding of received frames, in the receiver's process or in a child process.

:class:`FrameDecoder` turns a received frame's message and CSI into the image's PNG bytes and its
metrics against the reference. It keeps the codecs loaded (:class:`~semcom.ota.policy.CodecCache`).

:class:`DecoderProcess` runs a :class:`FrameDecoder` in a child Python process, so the neural
decoder, the PNG and the metrics do not hold the receiver's interpreter lock, and a codec that
crashes or hangs costs a frame, not the receiver. (On the project's 2-core machine the lock's
relief was not measurable: the child competes for the same cores, ``BENCHMARKS.md``.) The child is
``python -m semcom.ota.decoding`` on two pipes, so the parent's ``__main__`` (a GRC flowgraph, a
test runner) is not imported again, and ``sys.executable`` runs it.

The child can fail without taking the receiver with it:

* it dies (a crash in native code, the OOM killer): the frame counts as lost by the decoder, the
  next frame starts a new child (``restarts``);
* it takes longer than ``timeout_s`` on one frame: it is killed and counted the same way
  (``timeouts``);
* a codec raises: the error comes back as :class:`DecodeError` and the child keeps running.

The child ignores SIGINT (a Ctrl-C in the terminal is the parent's to handle) and exits when the
parent closes the pipe or dies.
"""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from multiprocessing.connection import Connection

__all__ = ["FrameDecoder", "DecoderProcess", "DecodeError", "DecoderLost"]


class DecodeError(RuntimeError):
    """The codec raised while decoding a frame (the message holds its type and text)."""


class DecoderLost(RuntimeError):
    """The decoder process died or timed out on a frame; a new one starts with the next frame."""


class FrameDecoder:
    """Message + CSI -> PNG bytes and metrics, with the codecs kept loaded.

    Parameters
    ----------
    max_codecs : codecs kept loaded at once (least recently used dropped first).
    references : reference image files (frame ``seq`` is compared with ``references[seq % n]``).
    size : centre crop/resize of the references (as the transmitter's ``size``; 0: as stored).
    lpips : also compute LPIPS against the reference.
    """

    def __init__(self, max_codecs: int = 4, references=(), size: int = 0, lpips: bool = False):
        from .policy import CodecCache
        self.codecs = CodecCache(int(max_codecs))
        self.references = list(references)
        self.size = int(size)
        self.want_lpips = bool(lpips)
        self._refs = {}

    def reference(self, seq: int):
        """The reference image of frame ``seq`` as float [1, 3, H, W], or None."""
        if not self.references:
            return None
        path = self.references[seq % len(self.references)]
        if path not in self._refs:
            from . import images
            self._refs[path] = images.load(path, self.size)
        return self._refs[path]

    def decode(self, spec: str, message, csi, seq: int) -> dict:
        """-> dict(png (bytes), shape ([1, 3, H, W]), failures (codec stream failures, str),
        seconds (wall time of the codec's decode), cpu_s (CPU time of this call), and psnr,
        lpips or lpips_error when there is a reference of the image's shape)."""
        import torch

        from . import images
        cpu0 = time.process_time()
        codec = self.codecs.get(spec)
        start = time.perf_counter()
        with torch.no_grad():
            image = codec.decode(message, csi)
        seconds = time.perf_counter() - start
        image = image.float().clamp(0, 1)
        failures = [str(f) for f in (getattr(codec, "last_failures", None) or []) if f is not None]
        out = dict(png=images.to_png(image), shape=list(image.shape), failures=failures, seconds=seconds)
        ref = self.reference(int(seq))
        if ref is not None and ref.shape == image.shape:
            from semcom.metrics import psnr
            out["psnr"] = float(psnr(ref, image)[0])
            if self.want_lpips:
                try:
                    from semcom.metrics import lpips
                    out["lpips"] = float(lpips(ref, image)[0])
                except Exception as exc:  # weights not converted
                    out["lpips_error"] = str(exc)[:200]
        out["cpu_s"] = time.process_time() - cpu0
        return out

    def start(self, wait: bool = True):
        """Nothing to start in process (the same interface as :class:`DecoderProcess`)."""

    def close(self):
        pass


class DecoderProcess:
    """A :class:`FrameDecoder` in a child process (see the module docstring), same ``decode``.

    Parameters
    ----------
    timeout_s : longest wait for one frame, including the child's start and the codec's loading
        (0: no limit); a child over it is killed.
    threads : torch threads of the child (0: torch's default).
    trim_period : the child hands free memory back to the system at most every this many seconds
        (:class:`semcom.ota.memory.Trimmer`; 0: never).
    preload : codec specs the child loads when it starts, before it says it is ready (``preloaded``;
        a codec that fails to load is reported in ``preload_errors`` and tried again at its first
        frame).
    The other parameters are :class:`FrameDecoder`'s.

    ``restarts`` (children started after the first), ``timeouts``, ``cpu_s`` (the child's CPU time
    spent on frames), ``start_s`` (the last child's start: imports and preloads, seconds) and
    ``pid`` describe it.
    """

    def __init__(self, max_codecs: int = 4, references=(), size: int = 0, lpips: bool = False,
                 timeout_s: float = 300.0, threads: int = 0, trim_period: float = 5.0, preload=()):
        if not timeout_s >= 0:
            raise ValueError(f"timeout_s must be >= 0, got {timeout_s}")
        self.config = dict(max_codecs=int(max_codecs), references=list(references), size=int(size),
                           lpips=bool(lpips), threads=int(threads), trim_period=float(trim_period),
                           preload=[str(s) for s in preload])
        self.timeout_s = float(timeout_s)
        self.restarts = 0
        self.timeouts = 0
        self.cpu_s = 0.0
        self.start_s = 0.0
        self.preloaded = []
        self.preload_errors = {}
        self._proc = None
        self._send = self._recv = None
        self._ever_started = False
        self._ready = False
        self._t_start = 0.0

    @property
    def pid(self):
        """The running child's process id, or None."""
        return None if self._proc is None or self._proc.poll() is not None else self._proc.pid

    def start(self, wait: bool = True):
        """Start the child now; with ``wait``, return when it has imported torch and the codecs and
        loaded the preloads (raises :class:`DecoderLost` if it dies or takes over ``timeout_s``)."""
        if self._proc is not None and self._proc.poll() is None:
            if wait:
                self._await_ready()
            return
        self._close_pipes()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        env = dict(os.environ)
        path = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (path, env.get("PYTHONPATH", "")) if p)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "semcom.ota.decoding", str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w), env=env, stdin=subprocess.DEVNULL,
                close_fds=True)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._send = Connection(to_child_w, readable=False)
        self._recv = Connection(from_child_r, writable=False)
        self._ready, self._t_start = False, time.perf_counter()
        self.restarts += self._ever_started
        self._ever_started = True
        try:
            _put(self._send, ("config", self.config))
        except OSError as exc:
            code = self._kill()
            raise DecoderLost(f"the decoder process died at start (exit code {code})") from exc
        if wait:
            self._await_ready()

    def _await_ready(self, deadline=None):
        if self._ready:
            return
        if deadline is None and self.timeout_s > 0:
            deadline = self._t_start + self.timeout_s
        kind, payload = self._reply(deadline, "starting")
        if kind != "ready":
            self._kill()
            raise DecoderLost(f"the decoder process answered {kind!r} at start")
        self._ready = True
        self.start_s = time.perf_counter() - self._t_start
        self.preloaded = list(payload.get("preloaded", []))
        self.preload_errors = dict(payload.get("preload_errors", {}))

    def _reply(self, deadline, doing: str):
        """The child's next message, or :class:`DecoderLost` when it dies or ``deadline`` passes."""
        try:
            wait = None if deadline is None else max(0.0, deadline - time.perf_counter())
            if not self._recv.poll(wait):
                self.timeouts += 1
                self._kill()
                raise DecoderLost(f"the decoder process took over {self.timeout_s:g} s {doing}; killed")
            return _get(self._recv)
        except (EOFError, OSError) as exc:
            code = self._kill()
            raise DecoderLost(f"the decoder process died {doing} (exit code {code})") from exc

    def decode(self, spec: str, message, csi, seq: int) -> dict:
        """As :meth:`FrameDecoder.decode`; raises :class:`DecodeError` (the codec raised) or
        :class:`DecoderLost` (the child died or timed out; the next call starts another)."""
        try:
            request = pickle.dumps(("decode", spec, message, csi, int(seq)), pickle.HIGHEST_PROTOCOL)
        except Exception as exc:
            raise DecodeError(f"the frame cannot be sent to the decoder process: {exc}") from exc
        deadline = time.perf_counter() + self.timeout_s if self.timeout_s > 0 else None
        self.start(wait=False)              # a new child if there is none running
        self._await_ready(deadline)
        try:
            self._send.send_bytes(request)
        except OSError as exc:
            code = self._kill()
            raise DecoderLost(f"the decoder process died (exit code {code})") from exc
        kind, payload = self._reply(deadline, "on one frame")
        if kind == "error":
            raise DecodeError(payload)
        self.cpu_s += payload.get("cpu_s", 0.0)
        return payload

    def close(self, timeout: float = 10.0):
        """Ask the child to exit; kill it after ``timeout`` seconds."""
        if self._proc is None:
            return
        try:
            _put(self._send, ("stop",))
        except (OSError, ValueError, AttributeError):
            pass
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._kill()
        self._close_pipes()
        self._proc = None

    def _kill(self):
        code = None
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            code = self._proc.wait()
        self._close_pipes()
        self._proc = None
        return code

    def _close_pipes(self):
        for conn in (self._send, self._recv):
            if conn is not None:
                conn.close()
        self._send = self._recv = None

    def __del__(self):
        try:
            self._kill()
        except Exception:
            pass


# Plain pickle, not Connection.send's ForkingPickler: with torch imported, that one moves tensors
# to shared memory by file-descriptor passing, which needs a multiprocessing context at both ends.
def _put(conn: Connection, obj):
    conn.send_bytes(pickle.dumps(obj, pickle.HIGHEST_PROTOCOL))


def _get(conn: Connection):
    return pickle.loads(conn.recv_bytes())


def _child(fd_in: int, fd_out: int) -> int:
    """The child's loop: a config, then decode requests until "stop" or the parent goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    recv, send = Connection(fd_in, writable=False), Connection(fd_out, readable=False)
    try:
        kind, config = _get(recv)
    except EOFError:
        return 0
    if kind != "config":
        return 2
    threads, trim_period, preload = config.pop("threads"), config.pop("trim_period"), config.pop("preload")
    import torch

    from .memory import Trimmer
    if threads > 0:
        torch.set_num_threads(threads)
    decoder = FrameDecoder(**config)
    from .. import metrics  # noqa: F401  (imported now, not at the first frame)
    from . import images  # noqa: F401
    errors = {}
    for spec in preload:
        try:
            decoder.codecs.get(spec)
        except Exception as exc:  # reported; the spec's first frame tries again and gets the error
            errors[spec] = f"{type(exc).__name__}: {exc}"[:300]
    trimmer = Trimmer(trim_period)
    try:
        _put(send, ("ready", dict(pid=os.getpid(), preloaded=[s for s in preload if s not in errors],
                                  preload_errors=errors)))
    except OSError:
        return 0
    while True:
        try:
            raw = recv.recv_bytes()
        except (EOFError, OSError):     # the parent closed the pipe or died
            return 0
        try:
            request = pickle.loads(raw)
            if request[0] == "stop":
                return 0
            _, spec, message, csi, seq = request
            reply = ("ok", decoder.decode(spec, message, csi, seq))
        except Exception as exc:  # a codec error (or an unreadable request) is the frame's, not the child's
            reply = ("error", f"{type(exc).__name__}: {exc}"[:500])
        try:
            _put(send, reply)
        except OSError:
            return 0
        trimmer.maybe()


if __name__ == "__main__":
    sys.exit(_child(int(sys.argv[1]), int(sys.argv[2])))
