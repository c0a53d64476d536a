"""Every scheme behind one interface (:class:`SemanticCodec`) and a registry by name."""
from .base import SemanticCodec, codec_names, get_codec, parse_spec, register_codec

# The schemes. Each entry is imported only when asked for.
register_codec("jpeg2000-ldpc", "semcom.codecs.separation:jpeg2000_ldpc")
register_codec("bpg-ldpc", "semcom.codecs.separation:bpg_ldpc")
register_codec("jpeg2000-capacity", "semcom.codecs.separation:jpeg2000_capacity")
register_codec("bpg-capacity", "semcom.codecs.separation:bpg_capacity")
register_codec("deepjscc", "semcom.codecs.deepjscc:DeepJSCCCodec")
# A model-free analog + digital codec for tests, benchmarks and flowgraph smoke runs.
register_codec("ota-test", "semcom.ota.testcodec:OTATestCodec")
register_codec("sc-sic", "semcom.codecs.sc_sic:SCSICCodec")

__all__ = ["SemanticCodec", "get_codec", "codec_names", "register_codec", "parse_spec"]
