"""Stage B of SC-SIC: diffusers' :class:`StableCascadeUNet`, conditioned on the embedding.

Stable Cascade's Stage B is a ``StableCascadeUNet`` that denoises Stage A latents (4 channels at
1/4 of the image side) given the EfficientNet embedding through its ``effnet`` input
(``effnet_in_channels=16``; the embedding is bilinearly resized to the latent grid and added after
the input embedding), a pooled CLIP text embedding (``clip_text_pooled``) and the timestep ratio.
SC-SIC drops the text: :func:`predict_noise` passes zeros for ``clip_text_pooled``.

An SNR-conditioned Stage B (``pipeline_config.json``: ``"snr_conditioning": true``) also gets the
receiver's SNR through Stable Cascade's ``sca`` timestep condition (embedded like the timestep ratio
and added by every ``SDCascadeTimestepBlock``): :func:`snr_condition` maps dB to it. A Stage B
without it gets ``sca`` = 0, as in training.

:data:`STABLE_CASCADE_LITE_CONFIG` is the published Stage B lite configuration (for reference:
:func:`semcom.models.sc_sic.upstream.load_stable_cascade` reads the config.json of the folder it
loads); :func:`tiny_decoder_config` the small one trained here on CPU (two levels, patch size 1).
"""
from __future__ import annotations

import torch
from diffusers.models.unets.unet_stable_cascade import StableCascadeUNet

from ...csi import snr_per_example

RES = "SDCascadeResBlock"
TS = "SDCascadeTimestepBlock"
ATTN = "SDCascadeAttnBlock"

# stabilityai/stable-cascade decoder_lite/config.json (Stage B lite, 700M parameters), field by field as
# published on the Hugging Face Hub (same in diffusers/stable-cascade-configs); "_class_name" and
# "_diffusers_version" left out. Checked against the published file: patch_size 2 (so image sides
# must be multiples of 4 * 2 = 8), 9/18/18 attention heads, 2/4/14/4 down and 4/14/4/2 up layers.
STABLE_CASCADE_LITE_CONFIG = dict(
    block_out_channels=[320, 576, 1152, 1152],
    block_types_per_layer=[[RES, TS], [RES, TS], [RES, TS, ATTN], [RES, TS, ATTN]],
    clip_image_in_channels=None, clip_seq=4, clip_text_in_channels=None, clip_text_pooled_in_channels=1280,
    conditioning_dim=1280, down_blocks_repeat_mappers=[1, 1, 1, 1], down_num_layers_per_block=[2, 4, 14, 4],
    dropout=[0, 0, 0.1, 0.1], effnet_in_channels=16, in_channels=4, kernel_size=3,
    num_attention_heads=[0, 9, 18, 18], out_channels=4, patch_size=2, pixel_mapper_in_channels=3,
    self_attn=True, switch_level=None, timestep_conditioning_type=["sca"], timestep_ratio_embedding_dim=64,
    up_blocks_repeat_mappers=[2, 2, 2, 2], up_num_layers_per_block=[4, 14, 4, 2],
)


def tiny_decoder_config(c_hidden=(64, 128), c_cond: int = 64, heads: int = 4, layers=(1, 2),
                        clip_dim: int = 32) -> dict:
    """A CPU-sized Stage B with Stable Cascade's block types (attention on the coarse level)."""
    c_hidden = [int(c) for c in c_hidden]
    n = len(c_hidden)
    layers = list(layers)[:n] + [layers[-1]] * max(0, n - len(layers))
    types = [[RES, TS]] + [[RES, TS, ATTN]] * (n - 1)
    return dict(in_channels=4, out_channels=4, timestep_ratio_embedding_dim=64, patch_size=1,
                conditioning_dim=c_cond, block_out_channels=c_hidden,
                num_attention_heads=[0] + [heads] * (n - 1),
                down_num_layers_per_block=layers, up_num_layers_per_block=layers[::-1],
                down_blocks_repeat_mappers=[1] * n, up_blocks_repeat_mappers=[1] * n,
                block_types_per_layer=types, clip_text_pooled_in_channels=clip_dim,
                effnet_in_channels=16, pixel_mapper_in_channels=3, kernel_size=3, dropout=[0.0] * n,
                self_attn=True, timestep_conditioning_type=["sca"], switch_level=None)


def make_decoder(c_hidden=(64, 128), c_cond: int = 64, **kw) -> StableCascadeUNet:
    return StableCascadeUNet(**tiny_decoder_config(c_hidden, c_cond, **kw))


SNR_CONDITION_MAX_DB = 40.0  # snr_condition saturates here (and at 0 dB below)
# sca is embedded like the timestep ratio, by sinusoids of up to 10^4 rad per unit: at 1e-3 per 40 dB
# the fastest one turns through 10 rad over 0-40 dB, so the embedding is smooth in the SNR (at 1 per
# 40 dB it would be noise-like, and Stage B could not interpolate between training SNRs)
SCA_AT_MAX_SNR = 1e-3


def snr_condition(snr_db, batch: int, device=None) -> torch.Tensor:
    """The ``sca`` value [B] of an SNR in dB (a number or [B]): SNR / 40 dB clamped to [0, 1],
    times :data:`SCA_AT_MAX_SNR`."""
    snr = snr_per_example(snr_db, batch, device)
    return (snr / SNR_CONDITION_MAX_DB).clamp(0.0, 1.0) * SCA_AT_MAX_SNR


class _BatchedCondition(torch.Tensor):
    """A plain tensor whose truth value is True: diffusers 0.36's ``StableCascadeUNet.forward``
    selects ``sca`` by ``sca or torch.zeros_like(...)``, which raises on a batch of several values
    (reported upstream: huggingface/diffusers#13589, "sca/crp condition").
    Operations on it return ordinary tensors (torch-function dispatch disabled)."""

    __torch_function__ = torch._C._disabled_torch_function_impl

    def __bool__(self):
        return True


def predict_noise(decoder: StableCascadeUNet, sample: torch.Tensor, timestep_ratio: torch.Tensor,
                  embedding: torch.Tensor, snr_db=None) -> torch.Tensor:
    """Stage B's noise prediction, conditioned on the (received) embedding, no text.

    ``snr_db`` (a number or [B], dB): the SNR condition of an SNR-conditioned Stage B
    (:func:`snr_condition` through ``sca``); ``None`` passes ``sca`` = 0, as a Stage B trained
    without it saw."""
    b = sample.shape[0]
    clip = sample.new_zeros(b, 1, decoder.config.clip_text_pooled_in_channels)
    ratio = torch.as_tensor(timestep_ratio, dtype=sample.dtype, device=sample.device).reshape(-1).expand(b)
    sca = None
    if snr_db is not None:
        if "sca" not in decoder.config.timestep_conditioning_type:
            raise ValueError("this Stage B has no 'sca' timestep condition to take the SNR")
        sca = snr_condition(snr_db, b, sample.device).to(sample.dtype).as_subclass(_BatchedCondition)
    return decoder(sample=sample, timestep_ratio=ratio, clip_text_pooled=clip, effnet=embedding, sca=sca,
                   return_dict=False)[0]
