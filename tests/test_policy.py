"""The receiver's policy (semcom.ota.policy): a header with a valid CRC cannot steer the receiver."""
import math

import numpy as np
import pytest
import torch

from semcom.ota import FrameReceiver, FrameTransmitter
from semcom.ota import header as hdr
from semcom.ota.frame import header_symbols
from semcom.ota.header import Header, StreamInfo
from semcom.ota.policy import CodecCache, DecodeBudget, FrameRejected, ReceiverPolicy
from semcom.transport import Message, Stream

torch.set_num_threads(1)


def _header(shape=(3, 64, 64), streams=None, scheme="ota-test"):
    streams = streams if streams is not None else [StreamInfo("a", "analog", (2, 8), None, "", 0, 1.0)]
    return Header(scheme, 0, shape, streams)


@pytest.mark.parametrize("header,reason", [
    (_header(shape=(3, 8192, 8192)), "image_size"),
    (_header(shape=(3, 65535, 65535)), "image_size"),
    (_header(shape=(3, 0, 64)), "image_size"),
    (_header(shape=(4, 64, 64)), "image_size"),
    (_header(shape=(3, 1024, 1025)), "image_size"),
    (_header(streams=[]), "streams"),
    (_header(streams=[StreamInfo(f"s{i}", "analog", (2,), None, "", 0, 1.0) for i in range(9)]), "streams"),
    (_header(streams=[StreamInfo("a", "analog", (2,), None, "", 0, 1.0)] * 2), "streams"),
    (_header(streams=[StreamInfo("a", "analog", (), None, "", 0, 1.0)]), "stream_shape"),
    (_header(streams=[StreamInfo("a", "analog", (0, 4), None, "", 0, 1.0)]), "stream_shape"),
    (_header(streams=[StreamInfo("a", "analog", (2,) * 5, None, "", 0, 1.0)]), "stream_shape"),
    (_header(streams=[StreamInfo("a", "analog", (65535, 65535), None, "", 0, 1.0)]), "stream_shape"),
    (_header(streams=[StreamInfo("a", "analog", (4,), 5, "", 0, 1.0)]), "stream_length"),
    (_header(streams=[StreamInfo("a", "analog", (4,), None, "", 0, float("nan"))]), "scale"),
    (_header(streams=[StreamInfo("a", "analog", (4,), None, "", 0, float("inf"))]), "scale"),
    (_header(streams=[StreamInfo("a", "analog", (4,), None, "", 0, 0.0)]), "scale"),
    (_header(streams=[StreamInfo("d", "digital", (100,), None, "bogus", 1944, 1.0)]), "mcs"),
    (_header(streams=[StreamInfo("d", "digital", (100,), None, "qpsk-1/2", 30, 1.0)]), "codeword_bits"),
    (_header(streams=[StreamInfo("d", "digital", (100,), None, "ht99", 1944, 1.0)]), "mcs"),
])
def test_header_fields_outside_the_bounds_are_rejected(header, reason):
    with pytest.raises(FrameRejected) as err:
        ReceiverPolicy().check_header(header)
    assert err.value.reason == reason


def test_headers_within_the_bounds_pass():
    policy = ReceiverPolicy()
    policy.check_header(_header(shape=(3, 1024, 1024)))
    policy.check_header(_header(streams=[StreamInfo("d", "digital", (5000,), 4000, "64qam-5/6", 1944, 1.0),
                                         StreamInfo("a", "analog", (16, 12, 12), 1, "", 0, 3.5)]))


@pytest.mark.parametrize("accept,air,decoder", [
    # name only: the separation baselines' encoder-side options from the air are fine
    ("jpeg2000-ldpc", "jpeg2000-ldpc:channel_uses=300", "jpeg2000-ldpc"),
    ("jpeg2000-ldpc", "jpeg2000-ldpc:channel_uses=300,mcs=qpsk-1/2,margin_db=1", "jpeg2000-ldpc"),
    ("ota-test", "ota-test:factor=8", "ota-test"),
    # decoder options come from the receiver, never from the air
    ("deepjscc", "deepjscc:model_dir=/etc", None),
    ("deepjscc", "deepjscc:device=cuda", None),
    ("sc-sic", "sc-sic:steps=100000", None),
    ("jpeg2000-ldpc", "jpeg2000-ldpc:cache_size=100000000", None),
    ("jpeg2000-ldpc", "jpeg2000-ldpc:codeword_bits=24", None),
    # ... unless the receiver accepts exactly that value
    ("deepjscc;deepjscc:model_dir=models/deepjscc-c1", "deepjscc:model_dir=models/deepjscc-c1",
     "deepjscc:model_dir=models/deepjscc-c1"),
    ("deepjscc;deepjscc:model_dir=models/deepjscc-c1", "deepjscc", "deepjscc"),
    ("sc-sic:steps=20", "sc-sic", "sc-sic:steps=20"),
    ("sc-sic:steps=20", "sc-sic:steps=20", "sc-sic:steps=20"),
    ("sc-sic:steps=20", "sc-sic:steps=21", None),
    # schemes the receiver does not accept, and garbage
    ("deepjscc", "sc-sic", None),
    ("deepjscc", "no-such-scheme", None),
    ("deepjscc", "deepjscc:model_dir", None),
    ("deepjscc", "\x00\xff", None),
])
def test_decoder_spec_comes_from_the_receiver(accept, air, decoder):
    policy = ReceiverPolicy(accept=accept)
    if decoder is None:
        with pytest.raises(FrameRejected) as err:
            policy.decoder_spec(air)
        assert err.value.reason in ("scheme", "option")
    else:
        assert policy.decoder_spec(air) == decoder


def test_default_policy_accepts_every_registered_scheme_by_name():
    from semcom.codecs import codec_names
    policy = ReceiverPolicy()
    assert all(policy.decoder_spec(name) == name for name in codec_names())
    with pytest.raises(ValueError, match="not registered"):
        ReceiverPolicy(accept="nope")
    with pytest.raises(ValueError, match="max_codecs"):
        ReceiverPolicy(max_codecs=0)


def test_codec_cache_is_bounded_and_least_recently_used():
    made = []
    cache = CodecCache(2, factory=lambda spec: made.append(spec) or spec.upper())
    for spec in ["a", "b", "a", "c", "a", "b"]:
        cache.get(spec)
    assert len(cache) == 2 and made == ["a", "b", "c", "b"]   # "b" was dropped when "c" came


def test_decode_budget_predicts_from_measured_rate():
    budget = DecodeBudget(10.0)
    budget.check("x", 10 ** 9)              # nothing measured yet: allowed
    budget.record("x", 1000, 1.0)           # 1 ms per pixel
    budget.check("x", 9000)
    with pytest.raises(FrameRejected) as err:
        budget.check("x", 11000)
    assert err.value.reason == "over_budget"
    DecodeBudget(0).check("x", 10 ** 12)    # 0: no budget


def _frame(tx, shape, seq, scheme="ota-test", streams=None, side=None):
    streams = streams or {"a": Stream("analog", torch.randn(1, 6))}
    return tx.frame(Message(streams, shape, side or {}), scheme, seq)


def test_hostile_headers_are_rejected_and_the_next_frame_decodes():
    """Valid CRCs, hostile fields: each frame is counted as rejected with its reason, nothing is
    decoded or allocated for it, and the valid frames between them decode."""
    tx, rx = FrameTransmitter(), FrameReceiver(policy=ReceiverPolicy(accept="ota-test;deepjscc"))
    hostile = [((3, 8192, 8192), "ota-test", "image_size"), ((3, 65535, 65535), "ota-test", "image_size"),
               ((3, 64, 64), "deepjscc:model_dir=/tmp", "option"), ((3, 64, 64), "sc-sic:steps=1000000", "scheme"),
               ((3, 64, 64), "bogus", "scheme")]
    parts, seq = [np.zeros(700, np.complex64)], 0
    for shape, scheme, _ in hostile:
        parts += [_frame(tx, shape, seq, scheme), np.zeros(300, np.complex64)]
        parts += [_frame(tx, (3, 16, 16), seq + 1), np.zeros(300, np.complex64)]
        seq += 2
    got = rx.push(np.concatenate(parts) * 0.5)
    assert [f.seq for f in got] == [1, 3, 5, 7, 9]
    assert all(f.decoder_spec == "ota-test" for f in got)
    assert rx.stats["rejected"] == 5 and rx.stats["errors"] == 0
    assert rx.stats["rejected_by"] == {"image_size": 2, "option": 1, "scheme": 2}
    assert rx.stats["lost"] == 5          # rejected frames were sent and not delivered


def test_frame_override_spec_still_bounds_the_header():
    tx = FrameTransmitter()
    rx = FrameReceiver(decoder_spec="ota-test")
    got = rx.push(np.concatenate([np.zeros(500, np.complex64), _frame(tx, (3, 16, 16), 0, "anything"),
                                  np.zeros(300, np.complex64), _frame(tx, (3, 4096, 4096), 1, "anything"),
                                  np.zeros(300, np.complex64)]))
    assert [f.decoder_spec for f in got] == ["ota-test"] and rx.stats["rejected_by"] == {"image_size": 1}
    with pytest.raises(ValueError, match="unknown scheme"):
        FrameReceiver(decoder_spec="bogus")


def _max_analog_reals(policy):
    """The most reals one analog stream may carry under ``policy``'s element and frame bounds."""
    from semcom.ota.frame import DATA_OFFSET, header_symbols
    from semcom.ota.ofdm import N_DATA, SYMBOL
    symbols = (policy.max_frame_samples - DATA_OFFSET) // SYMBOL - header_symbols(1)
    return min(policy.max_stream_elements, 2 * symbols * N_DATA)


def test_payload_lengths_from_one_channel_use_to_the_maximum_decode():
    """Every analog payload length from 1 to 130 channel uses, both sides of every OFDM symbol
    boundary up to 60 symbols, digital payloads of 1 to 64 and larger bit counts, and the largest
    frame the policy allows decode exactly (high SNR); one channel use more is rejected."""
    rng = np.random.default_rng(3)
    tx = FrameTransmitter()
    uses = list(range(1, 131)) + sorted({48 * k + d for k in range(3, 61) for d in (-1, 0, 1)})
    bits = list(range(1, 65)) + [100, 500, 1000, 1944, 3000, 9000]
    frames, sent = [], []
    for i, n in enumerate(uses):
        reals = 2 * n - (i % 2)                         # odd counts too: half a channel use
        m = Message({"a": Stream("analog", torch.randn(1, reals))}, (3, 16, 16))
        frames.append(tx.frame(m, "ota-test", i))
        sent.append(m)
    for j, b in enumerate(bits):
        m = Message({"d": Stream("digital", torch.randint(0, 2, (1, b)).float(), mcs="16qam-1/2")}, (3, 16, 16))
        frames.append(tx.frame(m, "ota-test", len(uses) + j))
        sent.append(m)
    rx = FrameReceiver()
    got = []
    for f in frames:
        noise = 0.002 * (rng.standard_normal(len(f) + 600) + 1j * rng.standard_normal(len(f) + 600))
        got += rx.push((np.concatenate([np.zeros(300), f, np.zeros(300)]) + noise).astype(np.complex64))
    assert rx.stats["errors"] == 0 and len(got) == len(sent), rx.stats
    for frame, m in zip(got, sent):
        (name, stream), = m.streams.items()
        out = frame.message.streams[name]
        assert out.data.shape == stream.data.shape, (frame.seq, out.data.shape)
        if stream.kind == "analog":
            assert float((out.data - stream.data).abs().max()) < 0.05 * float(stream.data.abs().max()) + 0.05
        else:
            assert bool(out.block_ok.all()) and torch.equal(out.data, stream.data), frame.seq
    # the largest frame the default policy admits, and one channel use more
    policy = ReceiverPolicy(max_frame_samples=1 << 18)
    reals = _max_analog_reals(policy)
    rx = FrameReceiver(policy=policy)
    for k, extra in enumerate((0, 2)):
        m = Message({"a": Stream("analog", torch.randn(1, reals + extra))}, (3, 16, 16))
        got = rx.push(np.concatenate([np.zeros(300, np.complex64), tx.frame(m, "ota-test", k),
                                      np.zeros(300, np.complex64)]))
        if extra == 0:
            assert len(got) == 1 and got[0].message.streams["a"].data.numel() == reals
            assert math.isclose(float((got[0].message.streams["a"].data - m.streams["a"].data).abs().max()), 0,
                                abs_tol=1e-3)
        else:
            assert got == [] and rx.stats["rejected_by"] == {"frame_length": 1}


def test_header_verdicts_are_reused_only_for_the_same_layout():
    """The receiver keeps the policy's verdict per header layout (scheme, image shape, streams;
    not the sequence number, the analog scales or the side information): repeated frames,
    accepted or rejected, get the verdict of the first with their own header; a new layout, an
    invalid scale or a new policy gets a verdict of its own."""
    tx, rx = FrameTransmitter(), FrameReceiver(policy=ReceiverPolicy(accept="ota-test"))
    parts = [np.zeros(700, np.complex64)]
    plan = [((3, 16, 16), "ota-test"), ((3, 8192, 8192), "ota-test"), ((3, 16, 16), "ota-test"),
            ((3, 8192, 8192), "ota-test"), ((3, 16, 16), "bogus"), ((3, 16, 16), "ota-test")]
    for seq, (shape, scheme) in enumerate(plan):
        parts += [_frame(tx, shape, 10 + seq, scheme, side={"n": seq}), np.zeros(300, np.complex64)]
    got = rx.push(np.concatenate(parts) * 0.5)
    assert [f.seq for f in got] == [10, 12, 15]
    assert [f.header.seq for f in got] == [10, 12, 15] and [f.header.side for f in got] == [{"n": 0}, {"n": 2}, {"n": 5}]
    assert len({f.header.streams[0].scale for f in got}) == 3     # (random data: scales differ)
    assert rx.stats["rejected_by"] == {"image_size": 2, "scheme": 1}
    assert len(rx._verdicts) == 3                      # three layouts for six frames
    # an invalid analog scale is not covered by the verdict of a valid one
    bad = got[0].header
    bad.streams[0].scale = float("nan")
    raw = hdr.pack(bad)
    n_sym = header_symbols(hdr.chunks_of(raw))
    assert rx._verdict(raw, n_sym)[-1].reason == "scale"
    # a policy swapped in starts from no verdicts
    rx.policy = ReceiverPolicy(accept="deepjscc")
    assert rx._verdict(hdr.pack(got[1].header), n_sym)[-1].reason == "scheme"
