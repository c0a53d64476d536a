r"""Captions as bits: a context model of caption text and a range coder (``constriction``), the
source coder of seed 003's prompt stream.

:class:`CaptionModel`: an order-``k`` byte-context model (the UTF-8 bytes of a caption, then an
end-of-caption symbol; 257 symbols). Its probability of the next symbol blends the counts seen after
the last ``j`` bytes for ``j = k, k-1, ..., 0`` down to a uniform distribution, each order's counts
smoothed toward the next lower order with a Dirichlet prior of weight ``alpha`` (PPM / Witten-Bell
style):

.. math::
    P_j(c \mid x_{-j:}) = \frac{n(x_{-j:}, c) + \alpha\, P_{j-1}(c \mid x_{-j+1:})}{n(x_{-j:}) + \alpha},
    \qquad P_{-1}(c) = 1/257 .

The counts come from the captions of the training photographs (``scripts/build_prompt_model.py``
writes them with the captioner, into a small JSON file that ships with the scheme). Every symbol
keeps a non-zero probability, so any caption (of any captioner) can be coded; captions like the
training ones are cheap. The captioner writes "a photo of a castle, a palace" from a fixed
vocabulary, so the template costs almost nothing and each class name a few bits per letter.

:class:`PromptCoder`: a caption -> a fixed budget of ``budget_bits`` bits, and back.
The symbols are range coded (``constriction.stream.queue.RangeEncoder``, 32-bit words) with the
model's probabilities; the words are written most significant bit first, and the encoder's termination
(whole 32-bit words) is replaced by the shortest binary point of the final interval that decodes back to
the caption when the decoder appends zeros (found and checked at the encoder: about
``ceil(information) + 1`` bits, as an ideal arithmetic coder), zero padded to the budget.
A caption whose code does not fit loses its last comma-separated item (the captioner lists classes
by decreasing probability), then its last words, then characters, until it fits; :meth:`PromptCoder.encode`
reports that (``truncated``). The decoder stops at the end symbol (or at ``max_bytes``).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

EOS = 256
ALPHABET = 257
START = 0x02          # context padding before a caption's first byte
FORMAT = "semcom-caption-model/1"


class CaptionModel:
    """The order-``order`` byte-context model of the module docstring.

    Parameters
    ----------
    counts : dict
        ``{context bytes as hex: {symbol: count}}`` for contexts of 0 ... ``order`` bytes.
    order : int
    alpha : float
        Weight of the lower-order distribution (Dirichlet prior), > 0.
    """

    def __init__(self, counts: dict, order: int = 2, alpha: float = 1.0, info: dict | None = None):
        if int(order) < 0 or not float(alpha) > 0:
            raise ValueError(f"order must be >= 0 and alpha > 0, got {order}, {alpha}")
        self.order, self.alpha, self.info = int(order), float(alpha), dict(info or {})
        self.counts = {}
        for ctx, table in counts.items():
            bytes.fromhex(ctx)
            if len(ctx) // 2 > self.order:
                raise ValueError(f"context {ctx!r} is longer than the model's order {self.order}")
            row = np.zeros(ALPHABET)
            for sym, n in table.items():
                sym, n = int(sym), float(n)
                if not 0 <= sym < ALPHABET or n < 0:
                    raise ValueError(f"bad count {sym}: {n} in context {ctx!r}")
                row[sym] = n
            self.counts[ctx] = row
        self._cache: dict = {}

    @classmethod
    def fit(cls, captions, order: int = 2, alpha: float = 1.0, info: dict | None = None) -> "CaptionModel":
        """Count the contexts of ``captions`` (a list of str)."""
        counts: dict = {}
        for caption in captions:
            seq = list(_symbols(caption))
            padded = [START] * order + seq
            for i, sym in enumerate(seq):
                history = padded[i:i + order]
                for j in range(order + 1):
                    ctx = bytes(history[order - j:]).hex()
                    table = counts.setdefault(ctx, {})
                    table[sym] = table.get(sym, 0) + 1
        return cls(counts, order, alpha, info)

    def probabilities(self, history: bytes) -> np.ndarray:
        """P(next symbol | the caption's bytes so far) [257], float64, sums to 1."""
        history = bytes([START] * self.order) + bytes(history)
        ctx = history[len(history) - self.order:] if self.order else b""
        key = ctx.hex()
        if key not in self._cache:
            p = np.full(ALPHABET, 1.0 / ALPHABET)
            for j in range(self.order + 1):
                row = self.counts.get(ctx[self.order - j:].hex())
                if row is not None:
                    p = (row + self.alpha * p) / (row.sum() + self.alpha)
            self._cache[key] = p
        return self._cache[key]

    def sequence_probabilities(self, caption: str) -> tuple:
        """``(symbols [m], probabilities [m, 257])`` of a caption's bytes and its end symbol."""
        seq = list(_symbols(caption))
        raw = caption.encode("utf-8")
        probs = np.stack([self.probabilities(raw[:i]) for i in range(len(seq))])
        return np.asarray(seq, dtype=np.int32), probs

    def information_bits(self, caption: str) -> float:
        """-log2 P(caption, end) under the model: what an ideal entropy coder spends."""
        seq, probs = self.sequence_probabilities(caption)
        return float(-np.log2(probs[np.arange(len(seq)), seq]).sum())

    # ------------------------------------------------------------------ files
    def to_json(self) -> dict:
        counts = {ctx: {str(s): int(row[s]) if float(row[s]).is_integer() else float(row[s])
                        for s in np.flatnonzero(row)} for ctx, row in sorted(self.counts.items())}
        return {"format": FORMAT, "order": self.order, "alpha": self.alpha, "info": self.info, "counts": counts}

    def save(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=0, sort_keys=True) + "\n")
        return path

    @classmethod
    def load(cls, path) -> "CaptionModel":
        from ..loading import read_json
        data = read_json(path, "caption model")
        if data.get("format") != FORMAT:
            raise ValueError(f"caption model {path} has format {data.get('format')!r}, not {FORMAT!r}")
        try:
            return cls(data["counts"], data["order"], data["alpha"], data.get("info"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"caption model {path} is malformed: {type(exc).__name__}: {exc}") from exc


def _symbols(caption: str):
    if not isinstance(caption, str):
        raise ValueError(f"a caption must be a str, got {type(caption).__name__}")
    yield from caption.encode("utf-8")
    yield EOS


def _words_to_bits(words: np.ndarray) -> np.ndarray:
    return np.unpackbits(np.asarray(words, dtype=">u4").view(np.uint8))


def _increment(bits: np.ndarray):
    """The L-bit number ``bits`` (most significant first) plus one, or None if it overflows."""
    ones = np.flatnonzero(bits == 0)
    if not len(ones):
        return None
    out = bits.copy()
    last_zero = ones[-1]
    out[last_zero] = 1
    out[last_zero + 1:] = 0
    return out


def _bits_to_words(bits: np.ndarray) -> np.ndarray:
    bits = np.asarray(bits, dtype=np.uint8).reshape(-1)
    bits = np.concatenate([bits, np.zeros((-len(bits)) % 32 + 64, np.uint8)])  # + two zero words of slack
    return np.packbits(bits).view(">u4").astype(np.uint32)


class PromptCoder:
    """Caption <-> ``budget_bits`` bits (module docstring).

    Parameters
    ----------
    model : CaptionModel
    budget_bits : int
        Bits of the prompt field (the stream sent through CRC + LDPC + QAM).
    max_bytes : int
        The decoder stops after this many bytes without an end symbol.
    """

    def __init__(self, model: CaptionModel, budget_bits: int, max_bytes: int = 200):
        if int(budget_bits) < 1:
            raise ValueError(f"budget_bits must be >= 1, got {budget_bits}")
        self.model, self.budget_bits, self.max_bytes = model, int(budget_bits), int(max_bytes)

    def code(self, caption: str) -> np.ndarray:
        """The shortest range code of ``caption`` as bits (uint8 0/1): the encoder's words, cut to the
        shortest prefix that :meth:`decode` (which appends zeros) turns back into ``caption``."""
        import constriction
        seq, probs = self.model.sequence_probabilities(caption)
        encoder = constriction.stream.queue.RangeEncoder()
        encoder.encode(seq, constriction.stream.model.Categorical(perfect=False), probs.astype(np.float64))
        bits = _words_to_bits(encoder.get_compressed())
        nz = np.flatnonzero(bits)
        bits = bits[: nz[-1] + 1 if len(nz) else 0]
        # The decoder reads a point of the final interval [low, low + 2^-information): the encoder's
        # words hold low (and a bit more). The shortest point of the interval, low rounded up to L bits,
        # is the first L bits of the code, or those plus one unit in the L-th place; the shortest L
        # whose point decodes to the caption (tried, not assumed) is about ceil(information) + 1.
        info = float(-np.log2(probs[np.arange(len(seq)), seq]).sum())
        limit = len(caption.encode("utf-8")) + 1
        for length in range(max(0, int(info) - 2), len(bits)):
            for candidate in (bits[:length], _increment(bits[:length])):
                if candidate is not None and self._decode_bits(candidate, limit) == caption:
                    return candidate
        return bits

    def fit(self, caption: str) -> tuple:
        """``(caption that fits the budget, its code)``: drops trailing ", item"s, then trailing words,
        then characters."""
        text = caption
        while True:
            code = self.code(text)
            if len(code) <= self.budget_bits:
                return text, code
            if ", " in text:
                text = text.rsplit(", ", 1)[0]
            elif " " in text.strip():
                text = text.strip().rsplit(" ", 1)[0]
            else:
                text = text.encode("utf-8")[:-1].decode("utf-8", errors="ignore")

    def encode(self, captions) -> tuple:
        """``captions`` (list of str) -> ``(bits uint8 [B, budget_bits], sent captions, truncated [B] bool,
        code lengths [B] int)``."""
        out = np.zeros((len(captions), self.budget_bits), np.uint8)
        sent, truncated, lengths = [], [], []
        for i, caption in enumerate(captions):
            text, code = self.fit(caption)
            out[i, :len(code)] = code
            sent.append(text)
            truncated.append(text != caption)
            lengths.append(len(code))
        return out, sent, np.asarray(truncated, bool), np.asarray(lengths, np.int64)

    def decode(self, bits) -> str:
        """One field of bits [budget_bits] -> the caption; ValueError if the bits are not a code of
        this model (constriction rejects them, or no end symbol within ``max_bytes``)."""
        text = self._decode_bits(bits, self.max_bytes)
        if text is None:
            raise ValueError("the prompt bits are not a caption code of this model")
        return text

    def _decode_bits(self, bits, max_bytes: int):
        """The caption of ``bits`` (zeros appended), or None if invalid / no end within ``max_bytes``."""
        import constriction
        decoder = constriction.stream.queue.RangeDecoder(_bits_to_words(bits))
        model = constriction.stream.model.Categorical(perfect=False)
        out = bytearray()
        while len(out) < max_bytes:
            p = self.model.probabilities(bytes(out))[None].astype(np.float64)
            try:
                sym = int(decoder.decode(model, p)[0])
            except (AssertionError, ValueError, RuntimeError):    # constriction: invalid compressed data
                return None
            if sym == EOS:
                return out.decode("utf-8", errors="replace")
            out.append(sym)
        return None


def default_prompt_model_path() -> Path:
    """``<models>/tg-jscc/prompt_model.json`` (built by ``scripts/build_prompt_model.py``)."""
    from semcom import models_dir
    return Path(models_dir()) / "tg-jscc" / "prompt_model.json"


def load_prompt_coder(path=None, budget_bits: int | None = None) -> PromptCoder:
    """The shipped caption model and its budget (``info["budget_bits"]``) unless given."""
    path = Path(path) if path is not None else default_prompt_model_path()
    if not path.is_file():
        raise FileNotFoundError(f"no caption model at {path}; build it with `python scripts/build_prompt_model.py`")
    model = CaptionModel.load(path)
    budget = budget_bits if budget_bits is not None else model.info.get("budget_bits")
    if budget is None:
        raise ValueError(f"caption model {path} has no info.budget_bits: pass budget_bits")
    return PromptCoder(model, int(budget))


__all__ = ["CaptionModel", "PromptCoder", "load_prompt_coder", "default_prompt_model_path", "EOS", "ALPHABET"]
