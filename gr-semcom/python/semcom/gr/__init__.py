"""GNU Radio blocks of gr-semcom (one block per module; ``from gnuradio import semcom`` re-exports
them). The semantic transmitter/receiver are imported only when their modules exist, and the Qt
display only when PyQt5 is importable."""
from .analog_demapper import analog_demapper
from .analog_mapper import analog_mapper
from .channel import channel
from .digital_rx import digital_rx
from .digital_tx import digital_tx
from .impairments import impairments
from .sigmf_sink import sigmf_sink
from .snr_estimator import snr_estimator
from .zmq_source import zmq_source

__all__ = ["channel", "analog_mapper", "analog_demapper", "digital_tx", "digital_rx", "snr_estimator",
           "zmq_source", "impairments", "sigmf_sink"]


def _optional(module, name):
    import importlib
    try:
        mod = importlib.import_module(f"{__name__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name not in (f"{__name__}.{module}", "PyQt5"):
            raise
        return
    globals()[name] = getattr(mod, name)
    __all__.append(name)


_optional("image_display", "image_display")
_optional("rx_monitor", "rx_monitor")
_optional("semantic_tx", "semantic_tx")
_optional("semantic_rx", "semantic_rx")
