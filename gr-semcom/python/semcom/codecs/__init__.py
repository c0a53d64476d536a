"""Every scheme behind one interface (:class:`SemanticCodec`) and a registry by name."""
from .base import (SemanticCodec, check_spec, codec_names, encoder_options, get_codec, parse_spec,
                   register_codec)

# The schemes. Each entry is imported only when asked for. The third argument lists the options
# only the encoder uses: a receiver ignores them in a frame header (semcom.ota.ReceiverPolicy).
_SEPARATION_TX = ("channel_uses", "cbr", "mcs", "margin_db", "max_downscale")
register_codec("jpeg2000-ldpc", "semcom.codecs.separation:jpeg2000_ldpc", _SEPARATION_TX)
register_codec("bpg-ldpc", "semcom.codecs.separation:bpg_ldpc", _SEPARATION_TX)
register_codec("jpeg2000-capacity", "semcom.codecs.separation:jpeg2000_capacity", _SEPARATION_TX)
register_codec("bpg-capacity", "semcom.codecs.separation:bpg_capacity", _SEPARATION_TX)
register_codec("deepjscc", "semcom.codecs.deepjscc:DeepJSCCCodec")
# A model-free analog + digital codec for tests, benchmarks and flowgraph smoke runs.
register_codec("ota-test", "semcom.ota.testcodec:OTATestCodec", ("factor", "mcs"))
register_codec("sc-sic", "semcom.codecs.sc_sic:SCSICCodec")
# Seed 003 so far with the VAE-only receiver (decoder="vae"); the ControlNet receiver is not built yet.
register_codec("tg-jscc", "semcom.codecs.tg_jscc:TGJSCCCodec", ("prompt_mcs", "captioner"))
register_codec("lrisc", "semcom.codecs.lrisc:LRISCCodec", ("beta", "cbr", "side_mcs"))

__all__ = ["SemanticCodec", "check_spec", "get_codec", "codec_names", "encoder_options", "register_codec", "parse_spec"]
