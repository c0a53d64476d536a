"""The receiver's semantic decoder in a child process (semcom.ota.decoding): same output as in
process, and a child that crashes, hangs or meets a bad frame costs that frame only."""
import io
import os
import signal
import time

import numpy as np
import pytest
import torch
from PIL import Image

from semcom.codecs import get_codec
from semcom.metrics import psnr
from semcom.ota.decoding import DecodeError, DecoderLost, DecoderProcess, FrameDecoder
from semcom.transport import Message

torch.set_num_threads(1)


class _Exit:
    """Unpickled in the child, it ends the process at once, as a crash in native code would."""

    def __reduce__(self):
        return (os._exit, (3,))


class _Hang:
    """Unpickled in the child, it blocks for a minute, as a decoder stuck in a loop would."""

    def __reduce__(self):
        return (time.sleep, (60,))


@pytest.fixture(scope="module")
def frame(tmp_path_factory):
    rng = np.random.default_rng(5)
    pixels = (rng.random((32, 32, 3)) * 255).astype(np.uint8)
    path = tmp_path_factory.mktemp("ref") / "ref.png"
    Image.fromarray(pixels).save(path)
    image = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 255
    message = get_codec("ota-test").encode(image)
    return str(path), image, message


@pytest.fixture
def child(frame):
    dec = DecoderProcess(2, [frame[0]], 0, False, timeout_s=120, threads=1)
    yield dec
    dec.close()


def _png(data):
    return torch.from_numpy(np.array(Image.open(io.BytesIO(data)))).permute(2, 0, 1)[None].float() / 255


def test_the_child_decodes_as_the_receiver_process_does(frame, child):
    path, image, message = frame
    here = FrameDecoder(2, [path], 0, False).decode("ota-test", message, None, 0)
    there = child.decode("ota-test", message, None, 0)
    assert there["png"] == here["png"]
    assert there["shape"] == here["shape"] == [1, 3, 32, 32]
    direct = get_codec("ota-test").decode(message).clamp(0, 1)
    assert (_png(there["png"]) - direct).abs().max() <= 0.5 / 255 + 1e-6     # the PNG is the 8-bit decode
    # the PSNR the child reports is the decode's against the reference image's file
    assert there["psnr"] == pytest.approx(float(psnr(image, direct)[0]), abs=1e-4)
    assert there["psnr"] == pytest.approx(here["psnr"], abs=1e-6)
    assert 10 < there["psnr"] < 40               # a 4x average-pooled thumbnail of noise, not the image
    assert there["failures"] == [] and there["cpu_s"] > 0
    assert child.cpu_s == pytest.approx(there["cpu_s"]) and child.restarts == 0


def test_a_codec_error_comes_back_and_the_child_keeps_running(frame, child):
    _, _, message = frame
    child.decode("ota-test", message, None, 0)
    pid = child.pid
    with pytest.raises(DecodeError, match="ValueError: an ota-test message"):
        child.decode("ota-test", Message({}, image_shape=(3, 32, 32)), None, 0)
    with pytest.raises(DecodeError, match="unknown|no codec|KeyError|ValueError"):
        child.decode("no-such-codec", message, None, 0)
    assert child.decode("ota-test", message, None, 1)["shape"] == [1, 3, 32, 32]
    assert child.pid == pid and child.restarts == 0


def test_a_frame_that_cannot_be_pickled_is_refused_before_the_child(frame, child):
    _, _, message = frame
    with pytest.raises(DecodeError, match="cannot be sent"):
        child.decode("ota-test", message, lambda: None, 0)
    assert child.pid is None                      # the child was not even started for it


def test_a_child_dying_on_a_frame_costs_that_frame_only(frame, child):
    _, _, message = frame
    child.decode("ota-test", message, None, 0)
    with pytest.raises(DecoderLost, match="exit code 3"):
        child.decode("ota-test", message, _Exit(), 0)
    assert child.pid is None
    assert child.decode("ota-test", message, None, 0)["shape"] == [1, 3, 32, 32]
    assert child.restarts == 1 and child.timeouts == 0


def test_a_child_killed_between_frames_is_replaced(frame, child):
    _, _, message = frame
    child.decode("ota-test", message, None, 0)
    pid = child.pid
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while child._proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert child.decode("ota-test", message, None, 0)["shape"] == [1, 3, 32, 32]
    assert child.pid != pid and child.restarts == 1


def test_a_hung_child_is_killed_at_the_timeout(frame, child):
    _, _, message = frame
    child.decode("ota-test", message, None, 0)    # started and the codec loaded
    pid = child.pid
    child.timeout_s = 1.0
    start = time.monotonic()
    with pytest.raises(DecoderLost, match="took over 1 s"):
        child.decode("ota-test", message, _Hang(), 0)
    assert time.monotonic() - start < 10
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)                           # gone, and reaped
    child.timeout_s = 120
    assert child.decode("ota-test", message, None, 0)["shape"] == [1, 3, 32, 32]
    assert child.timeouts == 1 and child.restarts == 1


def test_the_child_exits_when_closed_and_when_the_parent_goes(frame):
    _, _, message = frame
    dec = DecoderProcess(1, timeout_s=120, threads=1)
    dec.decode("ota-test", message, None, 0)
    proc = dec._proc
    dec.close()
    assert proc.returncode == 0                   # asked to stop, not killed
    dec.start()
    proc = dec._proc
    dec._close_pipes()                            # what the parent's death does to the pipes
    assert proc.wait(timeout=30) == 0


def test_the_child_loads_the_preloads_before_it_says_ready(frame):
    _, _, message = frame
    dec = DecoderProcess(2, timeout_s=120, threads=1, preload=["ota-test:factor=2", "no-such-codec"])
    try:
        dec.start(wait=True)
        assert dec.pid is not None and dec.start_s > 0
        assert dec.preloaded == ["ota-test:factor=2"] and list(dec.preload_errors) == ["no-such-codec"]
        assert dec.decode("ota-test:factor=2", message, None, 0)["shape"] == [1, 3, 32, 32]
        with pytest.raises(DecodeError, match="no-such-codec"):
            dec.decode("no-such-codec", message, None, 0)
        assert dec.restarts == 0
    finally:
        dec.close()
