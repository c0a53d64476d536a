"""Closed-form error rates the PHY is checked against (independent of the code under test)."""
import math

import numpy as np
from scipy.special import erfc


def ber_bpsk_awgn(snr_db):
    """Real BPSK in complex AWGN of variance N0 (SNR = 1/N0): Q(sqrt(2 SNR))."""
    return 0.5 * erfc(np.sqrt(10 ** (np.asarray(snr_db) / 10)))


def ber_qam_awgn(snr_db, bits_per_symbol):
    """Exact BER of Gray square M-QAM over AWGN (Cho and Yoon, IEEE Trans. Commun. 2002, eq. 14-16).

    ``snr_db`` is Es/N0 (our SNR convention with unit symbol power)."""
    m = 2 ** bits_per_symbol
    sqrt_m = int(round(math.sqrt(m)))
    eb_n0 = 10 ** (np.asarray(snr_db, dtype=float) / 10) / bits_per_symbol
    total = 0.0
    for k in range(1, int(math.log2(sqrt_m)) + 1):
        pk = 0.0
        for i in range(int((1 - 2 ** -k) * sqrt_m)):
            w = (-1) ** math.floor(i * 2 ** (k - 1) / sqrt_m) * (2 ** (k - 1) - math.floor(i * 2 ** (k - 1) / sqrt_m + 0.5))
            pk = pk + w * erfc((2 * i + 1) * np.sqrt(3 * bits_per_symbol * eb_n0 / (2 * (m - 1))))
        total = total + pk / sqrt_m
    return total / math.log2(sqrt_m)


def ber_bpsk_rayleigh(snr_db):
    """Coherent real BPSK over fast Rayleigh fading with perfect CSI: 0.5 (1 - sqrt(g / (1 + g))), g = SNR."""
    g = 10 ** (np.asarray(snr_db) / 10)
    return 0.5 * (1 - np.sqrt(g / (1 + g)))
