"""semcom.ota.memory: freed heap memory goes back to the system (measured RSS), on a period."""
import subprocess
import sys
import textwrap

import pytest

from semcom.ota.memory import Trimmer

FRAGMENT = textwrap.dedent("""
    import sys
    from semcom.ota.memory import release_free_memory
    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    blocks = [bytearray(40_000) for _ in range(3000)]      # ~120 MB of 40 kB heap blocks
    for b in blocks:
        b[::4096] = b"x" * len(b[::4096])                  # touched: resident
    kept = blocks[::100] + [blocks[-1]]                     # live blocks all over the heap, its top too
    del blocks
    before = rss()
    released = release_free_memory()
    after = rss()
    print(before, after, released, len(kept))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc_trim and /proc are Linux's")
def test_freed_heap_memory_returns_to_the_system():
    out = subprocess.run([sys.executable, "-c", FRAGMENT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    before, after, released, _ = out.stdout.split()
    # free() keeps the ~118 MB below the live top block; malloc_trim gives most of it back
    assert released == "True" and float(before) - float(after) > 80


def test_trimmer_runs_once_per_period_and_never_with_zero():
    t = Trimmer(5.0)
    start = t._next - 5.0
    assert not t.maybe(start + 1) and t.calls == 0
    assert t.maybe(start + 5) and t.calls == 1 and t.seconds >= 0
    assert not t.maybe(start + 9) and t.maybe(start + 10.1) and t.calls == 2
    never = Trimmer(0)
    assert not never.maybe(start + 1e6) and never.calls == 0
    with pytest.raises(ValueError):
        Trimmer(-1)
