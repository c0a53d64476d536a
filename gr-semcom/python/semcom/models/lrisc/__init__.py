"""LRISC (seed 002: Chen et al., "Latent Feature-Guided Conditional Diffusion for High-Fidelity
Generative Image Semantic Communication"): nonlinear transform with a hyperprior (CompressAI's
entropy models), a variable-length JSCC with rate tokens and SNR modulation, and a pixel-space
x0-predicting conditional diffusion decoder sampled with DDIM."""
from .jscc import SNRModulation, VariableLengthJSCC, allocate, awgn, normalize_power
from .pipeline import DEFAULT_OPTIONS, LRISCPipeline, ddim_sample, default_scheduler
from .transform import HyperpriorTransform
from .unet import ConditionalX0UNet

__all__ = ["LRISCPipeline", "HyperpriorTransform", "VariableLengthJSCC", "ConditionalX0UNet", "SNRModulation",
           "allocate", "awgn", "normalize_power", "ddim_sample", "default_scheduler", "DEFAULT_OPTIONS"]
