"""The fuzzing suite (scripts/fuzz.py), a short run per category: hypothesis inputs into header
parsing, frame reception, message parsing, codec decoding and image loading. Any undocumented
exception, call over 10 s, receiver internal error, corrupted frame delivered or output outside
its contract fails the test with hypothesis' shrunk example. The long run (10,000 inputs per
category) is `python scripts/fuzz.py`; its counts are in BENCHMARKS.md."""
import logging

import pytest
from repo_scripts import load

fuzz = load("scripts/fuzz.py")
EXAMPLES = {"header": 300, "frame": 60, "message": 200, "decode": 60, "image": 200}


@pytest.mark.parametrize("category", fuzz.CATEGORIES)
def test_fuzz_category(category):
    logging.disable(logging.WARNING)
    try:
        report = fuzz.run_category(category, EXAMPLES[category], seed=20261203, raise_violations=True)
    finally:
        logging.disable(logging.NOTSET)
    assert report["examples"] == EXAMPLES[category]
    assert fuzz.failures(report) == 0, report["violations"]
    assert report["slow_calls"] == 0 and report["max_call_cpu_s"] < fuzz.SLOW_CALL_S and report["rss_growth_mb"] < fuzz.MAX_RSS_GROWTH_MB
    # the inputs reach past the first check: some are accepted / delivered / decoded
    assert any(k in outcome for outcome in report["outcomes"]
               for k in ("accepted", "rejected", "delivered", "samples", "image", "ok")), report["outcomes"]


def test_fuzz_finds_a_planted_bug(monkeypatch):
    """The harness itself: a receiver that delivers a frame it never received is caught."""
    from semcom.ota import FrameReceiver
    real = FrameReceiver.push

    def push(self, samples):
        frames = real(self, samples)
        for f in frames:
            f.seq += 1          # a corrupted header field
        return frames
    monkeypatch.setattr(FrameReceiver, "push", push)
    fuzz._SHARED.pop("rx", None)
    try:
        with pytest.raises(fuzz.Violation, match="not sent"):
            fuzz.run_category("frame", 40, seed=1, raise_violations=True)
    finally:
        fuzz._SHARED.pop("rx", None)


def test_inputs_the_long_runs_found():
    """Inputs that once broke a property, replayed (each found by `python scripts/fuzz.py`)."""
    # a bit-flipped TIFF whose strip offset Pillow reads as a float: TypeError deep in Pillow
    assert fuzz.check_image(("mutated", 4, None, [10699, 923, 579, 405438, 364, 364])) == "mutated:value_error"


def test_a_call_s_blocked_time_is_its_waiting_not_its_work():
    """The hang criterion: time a call spends neither running nor waiting for a CPU (schedstat)."""
    import time
    assert fuzz._blocked(5.0, (1.0, 1.0), (2.0, 3.0)) == 2.0      # wall - ran 1 s - waited 2 s for a CPU
    assert fuzz._blocked(5.0, None, None) == 5.0                   # no schedstat: the wall time
    assert fuzz._schedstat() is not None, "Linux gives /proc/thread-self/schedstat (the project runs on Linux)"

    def measure(work):
        t, before = time.perf_counter(), fuzz._schedstat()
        work()
        return fuzz._blocked(time.perf_counter() - t, before, fuzz._schedstat())

    def spin():
        end = time.thread_time() + 0.3
        while time.thread_time() < end:
            pass

    assert measure(lambda: time.sleep(0.5)) > 0.4
    assert measure(spin) < 0.1
