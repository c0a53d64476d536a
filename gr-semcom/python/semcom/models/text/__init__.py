"""The text path shared by the latent-diffusion schemes (seeds 003 and 004): captions without a hub
and prompt encoders for cross-attention.

- :mod:`.captioner`: image -> caption (:class:`ClassifierCaptioner` from ImageNet EfficientNet-Lite0,
  :class:`Blip2Captioner` for a local BLIP-2), :func:`load_captioner`
- :mod:`.efficientnet_lite`: the EfficientNet-Lite0 classifier in torch
- :mod:`.text_encoder`: prompt -> token embeddings (:class:`TextEncoder` over MiniLM's ``BertModel``
  or CLIP's ``CLIPTextModel``), :func:`load_text_encoder`
"""
import importlib

_LAZY = {"ClassifierCaptioner": "captioner", "Blip2Captioner": "captioner", "load_captioner": "captioner",
         "imagenet_class_names": "captioner", "EfficientNetLite0": "efficientnet_lite",
         "TextEncoder": "text_encoder", "load_text_encoder": "text_encoder", "load_tokenizer": "text_encoder"}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))
