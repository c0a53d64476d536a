"""Physical layer on Sionna 2.x: analog mapping, the digital chain, MCS table, equalisers, OFDM."""
from .analog import AnalogDemapper, AnalogMapper
from .digital import BlockLayout, DigitalReceiver, DigitalTransmitter, block_layout
from .equalization import EQUALIZERS, mmse_equalize, zf_equalize
from .mcs import HT_MCS, MCS, MCS_TABLE, get_mcs

__all__ = ["AnalogMapper", "AnalogDemapper", "DigitalTransmitter", "DigitalReceiver", "BlockLayout",
           "block_layout", "MCS", "MCS_TABLE", "HT_MCS", "get_mcs", "zf_equalize", "mmse_equalize",
           "EQUALIZERS"]
