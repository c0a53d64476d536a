"""Build the caption model of tg-jscc's prompt stream (seed 003): caption every training photograph
with the project's captioner, fit the order-k byte-context model of
:mod:`semcom.models.text.prompt_coder` on those captions, choose the prompt field's bit budget, and
report the range coder on the test photographs' captions (held out).

Budget: the ``--coverage`` quantile (default 0.99; the in-sample quantile flatters held-out captions) of the training captions' code lengths, rounded up
to a whole byte; a longer caption loses its last class(es) to fit (counted as truncated).

    python scripts/build_prompt_model.py                # -> models/tg-jscc/prompt_model.json
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gr-semcom" / "python"))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=str, default=None, help="default models_dir()/tg-jscc/prompt_model.json")
    p.add_argument("--order", type=int, default=2)
    p.add_argument("--alpha", type=float, default=1.0)
    p.add_argument("--coverage", type=float, default=0.99)
    p.add_argument("--captioner", type=str, default=None, help="captioner folder (default: the shipped classifier)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    import numpy as np
    import torch
    torch.set_num_threads(args.threads)
    from semcom.data import list_images
    from semcom.models.text.captioner import caption_photographs, load_captioner
    from semcom.models.text.prompt_coder import CaptionModel, PromptCoder, default_prompt_model_path

    captioner = load_captioner(args.captioner)
    train = caption_photographs(captioner, list_images("train"), progress=True)
    test = caption_photographs(captioner, list_images("test"), progress=True)
    train_caps = [v["caption"] for v in train.values()]
    model = CaptionModel.fit(train_caps, order=args.order, alpha=args.alpha)
    probe = PromptCoder(model, 1 << 16)
    train_bits = np.array([len(probe.code(c)) for c in train_caps])
    budget = int(8 * math.ceil(np.quantile(train_bits, args.coverage) / 8))
    coder = PromptCoder(model, budget)
    rows = []
    for name, v in test.items():
        bits, sent, truncated, length = coder.encode([v["caption"]])
        if coder.decode(bits[0]) != sent[0]:
            raise RuntimeError(f"range coder round trip failed for {v['caption']!r}")
        rows.append({"name": name, "caption": v["caption"], "sent": sent[0], "bits": int(length[0]),
                     "information_bits": round(model.information_bits(sent[0]), 2),   # of what was sent
                     "truncated": bool(truncated[0])})
    test_bits = np.array([r["bits"] for r in rows])
    model.info = {
        "budget_bits": budget, "coverage": args.coverage,
        "captioner": args.captioner or "shipped EfficientNet-Lite0 classifier (models/captioner)",
        "train_captions": len(train_caps), "train_split": "train (data/manifest.json)",
        "train_code_bits": {"mean": round(float(train_bits.mean()), 1), "max": int(train_bits.max()),
                            "truncated": int((train_bits > budget).sum())},
        "test_code_bits": {"mean": round(float(test_bits.mean()), 1), "max": int(test_bits.max()),
                           "truncated": int(sum(r["truncated"] for r in rows)), "n": len(rows)},
        "test_information_bits_mean": round(float(np.mean([r["information_bits"] for r in rows])), 1),
        "test_coder_overhead_bits": {k: round(float(f([r["bits"] - r["information_bits"] for r in rows])), 1)
                                     for k, f in (("mean", np.mean), ("min", np.min), ("max", np.max))},
        "test_caption_bytes_mean": round(float(np.mean([len(r["caption"].encode()) for r in rows])), 1),
    }
    out = Path(args.out) if args.out else default_prompt_model_path()
    model.save(out)
    (out.parent / "prompt_model_test.json").write_text(json.dumps(rows, indent=1) + "\n")
    print(json.dumps(model.info, indent=1))
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
