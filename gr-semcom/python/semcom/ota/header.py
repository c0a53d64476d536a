"""The frame header: what a receiver needs to rebuild a :class:`~semcom.transport.Message`.

Layout (big endian), padded with zeros to a whole number of 64-byte chunks::

    "SC" | version u8 | chunks u8 | used_len u16 | seq u32 | C,H,W u16 x3 | spec (u8 len + utf-8)
    | streams u8 | per stream: name (u8 len + utf-8), kind u8 (0 analog, 1 digital), ndim u8,
      dims u32 x ndim, has_length u8, length u32, mcs (u8 len + name), codeword_bits u16,
      scale f32 | side (u16 len + compact JSON) | CRC-32 (u32, zlib) over everything before it

``side`` carries the codec's control signalling from ``Message.side_info`` (e.g. the separation
codecs' MCS/length fields) when it is JSON-serialisable; entries that are not (genie data such as
the capacity bound's codestreams, tensors) are left out: they are not transmitted.

The header is sent with BPSK rate-1/2 5G LDPC (one 512-bit block per chunk, each with its CRC-24A)
so a receiver decodes the first chunk, learns how many follow, and decodes the rest.
"""
from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field

CHUNK_BYTES = 64
CHUNK_BITS = 8 * CHUNK_BYTES
MAGIC = b"SC"
VERSION = 1
MAX_CHUNKS = 16
MAX_SIDE_BYTES = 512


class HeaderError(ValueError):
    """The header bytes do not parse (bad magic, CRC, lengths)."""


@dataclass
class StreamInfo:
    name: str
    kind: str                    # "analog" | "digital"
    shape: tuple                 # one example, without batch
    length: int | None = None    # valid elements (analog reals / digital bits), None = all
    mcs: str = ""
    codeword_bits: int = 0
    scale: float = 1.0


@dataclass
class Header:
    scheme: str
    seq: int
    image_shape: tuple
    streams: list = field(default_factory=list)
    side: dict = field(default_factory=dict)


def _jsonable(v, depth=0):
    """``v`` if JSON can carry it (dicts are filtered entry by entry), else a KeyError."""
    if isinstance(v, dict) and depth < 3:
        out = {}
        for k, x in v.items():
            try:
                out[str(k)] = _jsonable(x, depth + 1)
            except (TypeError, ValueError, KeyError):
                pass
        return out
    json.dumps(v)
    return v


def side_json(side: dict) -> bytes:
    """The transmittable part of ``side_info`` as compact JSON (b"" if none or too long)."""
    if not side:
        return b""
    data = json.dumps(_jsonable(dict(side)), separators=(",", ":")).encode("utf-8")
    return data if len(data) <= MAX_SIDE_BYTES and data != b"{}" else b""


def _str(b: bytearray, s: str):
    e = s.encode("utf-8")
    if len(e) > 255:
        raise ValueError(f"header string too long: {s[:40]!r}...")
    b += struct.pack(">B", len(e)) + e


def pack(h: Header) -> bytes:
    """Header -> bytes, a multiple of :data:`CHUNK_BYTES` long; a field that does not fit its
    width (a string over 255 bytes, a size over its integer field, a header over
    :data:`MAX_CHUNKS`) raises ValueError."""
    try:
        return _pack(h)
    except (struct.error, OverflowError, TypeError) as exc:
        raise ValueError(f"header field out of range: {exc}") from None


def _pack(h: Header) -> bytes:
    b = bytearray()
    b += struct.pack(">IHHH", h.seq & 0xFFFFFFFF, *[int(v) for v in h.image_shape[-3:]])
    _str(b, h.scheme)
    b += struct.pack(">B", len(h.streams))
    for s in h.streams:
        _str(b, s.name)
        b += struct.pack(">BB", 0 if s.kind == "analog" else 1, len(s.shape))
        b += struct.pack(f">{len(s.shape)}I", *[int(v) for v in s.shape])
        b += struct.pack(">BI", s.length is not None, int(s.length or 0))
        _str(b, s.mcs or "")
        b += struct.pack(">Hf", int(s.codeword_bits), float(s.scale))
    side = side_json(h.side)
    b += struct.pack(">H", len(side)) + side
    used = 6 + len(b) + 4
    chunks = -(-used // CHUNK_BYTES)
    if chunks > MAX_CHUNKS:
        raise ValueError(f"header of {used} bytes exceeds {MAX_CHUNKS} chunks")
    body = MAGIC + struct.pack(">BBH", VERSION, chunks, used) + bytes(b)
    body += struct.pack(">I", zlib.crc32(body))
    return body + bytes(chunks * CHUNK_BYTES - len(body))


def chunks_of(first_chunk: bytes) -> int:
    """Number of chunks announced by the first chunk (raises :class:`HeaderError`)."""
    if first_chunk[:2] != MAGIC or first_chunk[2] != VERSION:
        raise HeaderError("bad magic/version")
    n = first_chunk[3]
    if not 1 <= n <= MAX_CHUNKS:
        raise HeaderError(f"bad chunk count {n}")
    return n


def unpack(data: bytes) -> Header:
    """Bytes -> Header; checks magic, version, length and CRC-32 (raises :class:`HeaderError`)."""
    try:
        n = chunks_of(data)
        used = struct.unpack(">H", data[4:6])[0]
        if not 10 <= used <= n * CHUNK_BYTES or len(data) < used:
            raise HeaderError("bad length")
        if zlib.crc32(data[: used - 4]) != struct.unpack(">I", data[used - 4: used])[0]:
            raise HeaderError("CRC-32 mismatch")
        pos = 6
        seq, c, hh, w = struct.unpack_from(">IHHH", data, pos); pos += 10

        def rd_str():
            nonlocal pos
            ln = data[pos]; pos += 1
            s = data[pos: pos + ln].decode("utf-8"); pos += ln
            return s

        scheme = rd_str()
        ns = data[pos]; pos += 1
        streams = []
        for _ in range(ns):
            name = rd_str()
            kind, ndim = struct.unpack_from(">BB", data, pos); pos += 2
            shape = struct.unpack_from(f">{ndim}I", data, pos); pos += 4 * ndim
            has_len, length = struct.unpack_from(">BI", data, pos); pos += 5
            mcs = rd_str()
            cwb, scale = struct.unpack_from(">Hf", data, pos); pos += 6
            streams.append(StreamInfo(name, "analog" if kind == 0 else "digital", tuple(shape),
                                      length if has_len else None, mcs, cwb, scale))
        ln = struct.unpack_from(">H", data, pos)[0]; pos += 2
        side = json.loads(data[pos: pos + ln].decode("utf-8")) if ln else {}
        pos += ln
        if pos != used - 4 or not isinstance(side, dict):
            raise HeaderError("header fields do not fill the announced length")
        return Header(scheme, seq, (c, hh, w), streams, side)
    except HeaderError:
        raise
    except (struct.error, IndexError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise HeaderError(f"unparsable header: {exc}") from exc
