"""Modulation and coding schemes: Gray QAM from BPSK to 256-QAM, 5G LDPC at 1/2 ... 5/6."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional

MODULATIONS = {"bpsk": 1, "qpsk": 2, "16qam": 4, "64qam": 6, "256qam": 8}
CODE_RATES = (Fraction(1, 2), Fraction(2, 3), Fraction(3, 4), Fraction(5, 6))


@dataclass(frozen=True)
class MCS:
    """One modulation and coding scheme.

    ``code_rate`` is ``None`` for uncoded transmission (no CRC, no LDPC).
    """

    modulation: str
    code_rate: Optional[Fraction]

    @property
    def bits_per_symbol(self) -> int:
        return MODULATIONS[self.modulation]

    @property
    def name(self) -> str:
        rate = "uncoded" if self.code_rate is None else f"{self.code_rate.numerator}/{self.code_rate.denominator}"
        return f"{self.modulation}-{rate}"

    @property
    def coded(self) -> bool:
        return self.code_rate is not None

    @property
    def spectral_efficiency(self) -> float:
        """Information bits per complex channel use (before CRC overhead)."""
        return self.bits_per_symbol * float(self.code_rate if self.coded else 1)

    @property
    def shannon_snr_db(self) -> float:
        """SNR at which AWGN capacity equals the spectral efficiency (the ideal code's threshold)."""
        return 10 * math.log10(2 ** self.spectral_efficiency - 1)

    def __str__(self) -> str:
        return self.name


MCS_TABLE = {m.name: m for m in
             [MCS(mod, rate) for mod in MODULATIONS for rate in CODE_RATES]
             + [MCS(mod, None) for mod in MODULATIONS]}

# IEEE 802.11n HT-MCS 0-7 (one spatial stream).
HT_MCS = ["bpsk-1/2", "qpsk-1/2", "qpsk-3/4", "16qam-1/2", "16qam-3/4", "64qam-2/3", "64qam-3/4", "64qam-5/6"]


def get_mcs(spec) -> MCS:
    """An :class:`MCS` from itself, a name like ``"16qam-3/4"`` / ``"qpsk-uncoded"``, or an
    802.11n HT index (``3`` or ``"ht3"``)."""
    if isinstance(spec, MCS):
        return spec
    if isinstance(spec, int) or (isinstance(spec, str) and spec.lower().startswith("ht")):
        index = int(str(spec).lower().removeprefix("ht"))
        if not 0 <= index < len(HT_MCS):
            raise ValueError(f"HT MCS index {index} outside 0..{len(HT_MCS) - 1}")
        return MCS_TABLE[HT_MCS[index]]
    key = str(spec).lower().replace("qam16", "16qam").replace("qam64", "64qam")
    if key not in MCS_TABLE:
        raise ValueError(f"unknown MCS {spec!r}; known: {', '.join(MCS_TABLE)} or ht0..ht7")
    return MCS_TABLE[key]
