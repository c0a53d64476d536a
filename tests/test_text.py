"""The text path (issue 15): the captioner against the port's reference logits and known photographs,
the hand-checked labels, the shipped MiniLM text encoder, and CLIP / BLIP-2 through the same
interfaces (tiny random models saved and loaded; nothing is downloaded)."""
from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from semcom import models_dir, repo_root
from semcom.models.text.captioner import (ClassifierCaptioner, article, caption_photographs, captioner_dir,
                                          hand_label_agreement, imagenet_class_names, load_captioner,
                                          load_classifier)
from semcom.models.text.text_encoder import TextEncoder, load_text_encoder

# measured: 19 / 20 (scripts/caption_test_split.py); the bound leaves one more miss
HAND_LABEL_BOUND = 18


@pytest.fixture(scope="module")
def captioner():
    return load_captioner()


def test_converted_classifier_gives_the_ports_logits():
    """The safetensors EfficientNet-Lite0 in semcom's torch code reproduces the logits that the
    PyTorch port's own code computed from the original pickle at set-up (reference.safetensors)."""
    ref = load_file(str(captioner_dir() / "reference.safetensors"))
    with torch.no_grad():
        logits = load_classifier()(ref["input"])
    assert torch.allclose(logits, ref["logits"], atol=1e-4), float((logits - ref["logits"]).abs().max())
    assert json.loads((captioner_dir() / "provenance.json").read_text())["checks"]["max_abs_logit_diff_vs_port"] < 1e-4


def test_captioner_names_known_photographs(captioner):
    """The data set's ladybird photograph is an ImageNet 'ladybug' (and the bee, espresso and koala
    photographs what they show)."""
    got = caption_photographs(captioner, ["ladybird", "honey_bee", "coffee", "gcw_koala"])
    assert got["ladybird"]["classes"][0][0] == "ladybug" and got["ladybird"]["classes"][0][1] > 0.5
    assert got["ladybird"]["caption"].startswith("a photo of a ladybug")
    assert [got[n]["classes"][0][0] for n in ("honey_bee", "coffee", "gcw_koala")] == ["bee", "espresso", "koala"]


def test_hand_checked_labels_agree(captioner):
    labels = json.loads((repo_root() / "data" / "captioner_hand_labels.json").read_text())["labels"]
    names = set(imagenet_class_names())
    assert len(labels) == 20 and all(c in names for v in labels.values() for c in v)
    result = hand_label_agreement(caption_photographs(captioner, list(labels)), labels)
    assert result["agree"] >= HAND_LABEL_BOUND, [r for r in result["rows"] if not r["agree"]]


def test_caption_rule_from_probabilities():
    """The top class always, further classes at p >= min_prob, at most max_classes, with articles."""
    names = imagenet_class_names()
    cap = ClassifierCaptioner(torch.nn.Identity(), names, min_prob=0.1, max_classes=3)
    p = torch.zeros(2, 1000)
    p[0, [437, 978, 975, 1]] = torch.tensor([0.5, 0.3, 0.12, 0.08])   # lighthouse, seashore, lakeshore
    p[1, [301, 2]] = torch.tensor([0.05, 0.04])
    got = [cap.caption_from_classes(c) for c in cap.top_classes(p)]
    assert got == [f"a photo of a {names[437]}, a {names[978]}, a {names[975]}", f"a photo of a {names[301]}"]
    assert names[437] == "lighthouse" and names[301] == "ladybug"
    assert [article(w) for w in ("espresso", "bee", "unicycle", "hourglass")] == ["an", "a", "a", "an"]
    assert len(set(names)) >= 990 and all(n and "(" not in n and not n.startswith("a ") for n in names)


def test_shipped_text_encoder_token_embeddings():
    """MiniLM-L6 (sentence-transformers' all-MiniLM-L6-v2): 384-d token embeddings for 32 tokens;
    padding is masked (the real tokens' embeddings do not depend on the padded length); its
    sentence vectors (mean over real tokens, normalised, as sentence-transformers pools) put a
    paraphrase nearer than an unrelated sentence."""
    te = load_text_encoder()
    assert isinstance(te, TextEncoder) and te.kind == "bert" and te.hidden_size == 384 and te.max_length == 32
    prompts = ["a photo of a cat", "a picture of a kitten", "the stock market fell sharply today", ""]
    emb = te.encode(prompts)
    assert emb.shape == (4, 32, 384)
    short = TextEncoder(te.model, te.tokenizer, max_length=12).encode(prompts)
    n = int(te.tokenize(prompts[0])["attention_mask"].sum())
    assert torch.allclose(emb[0, :n], short[0, :n], atol=1e-4)
    mask = te.tokenize(prompts)["attention_mask"].unsqueeze(-1).float()
    sent = torch.nn.functional.normalize((emb * mask).sum(1) / mask.sum(1), dim=-1)
    assert float(sent[0] @ sent[1]) > float(sent[0] @ sent[2]) + 0.3
    assert torch.equal(te.empty(2), emb[3:4].expand(2, -1, -1))


def _clip_tokenizer_files(folder, max_length=16):
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1, "!": 2, "</w>": 3}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab.setdefault(c, len(vocab))
        vocab.setdefault(c + "</w>", len(vocab))
    merges = ["#version: 0.2", "p h", "o t"]
    for m in merges[1:]:
        vocab.setdefault(m.replace(" ", ""), len(vocab))
    folder.mkdir(parents=True)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("\n".join(merges) + "\n")
    (folder / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "CLIPTokenizer", "model_max_length": max_length, "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "!"}))
    return len(vocab)


def test_clip_text_encoder_round_trip(tmp_path):
    """A tiny CLIPTextModel + CLIPTokenizer (SD 2.1's kinds) through the same interface: saved by
    TextEncoder.save_pretrained, loaded by load_text_encoder; embeddings = CLIPTextModel's own
    last_hidden_state of the padded ids (no attention mask, as diffusers runs SD's CLIP)."""
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer
    n = _clip_tokenizer_files(tmp_path / "tok_src")
    torch.manual_seed(0)
    model = CLIPTextModel(CLIPTextConfig(vocab_size=n, hidden_size=16, intermediate_size=32, num_hidden_layers=2,
                                         num_attention_heads=2, max_position_embeddings=16, bos_token_id=0,
                                         eos_token_id=1, pad_token_id=2)).eval()
    tok = CLIPTokenizer.from_pretrained(str(tmp_path / "tok_src"), local_files_only=True)
    te = TextEncoder(model, tok)
    te.save_pretrained(tmp_path / "text_encoder", tmp_path / "tokenizer")
    assert (tmp_path / "text_encoder" / "checksums.json").is_file()
    loaded = load_text_encoder(tmp_path / "text_encoder", tmp_path / "tokenizer")
    prompts = ["a photo", "hot pot", ""]
    assert loaded.kind == "clip_text_model" and loaded.max_length == 16
    assert torch.equal(loaded.encode(prompts), te.encode(prompts))
    ids = tok(prompts, padding="max_length", max_length=16, truncation=True, return_tensors="pt")["input_ids"]
    with torch.no_grad():
        want = model(input_ids=ids).last_hidden_state
    assert torch.equal(loaded.encode(prompts), want)
    with pytest.raises(ValueError, match="model_type"):
        cfg = json.loads((tmp_path / "text_encoder" / "config.json").read_text())
        (tmp_path / "text_encoder" / "config.json").write_text(json.dumps({**cfg, "model_type": "t5"}))
        load_text_encoder(tmp_path / "text_encoder", tmp_path / "tokenizer")


def test_blip2_captioner_round_trip(tmp_path):
    """A tiny random BLIP-2 (ViT + Q-Former + OPT, transformers' classes) with a GPT-2 BPE tokenizer and
    BlipImageProcessor, saved in the hub's layout, loads through load_captioner and captions exactly
    as the model it was saved from; the lm_head tied to the embeddings is saved once and accepted."""
    from transformers import AutoTokenizer, Blip2Config, Blip2ForConditionalGeneration, BlipImageProcessor
    from semcom.models.text.captioner import Blip2Captioner
    src = tmp_path / "tok"
    src.mkdir()
    vocab = {"<pad>": 0, "</s>": 1, "<image>": 2, "<unk>": 3, "\u0120": 4}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab.setdefault(c, len(vocab))
        vocab.setdefault("\u0120" + c, len(vocab))
    (src / "vocab.json").write_text(json.dumps(vocab))
    (src / "merges.txt").write_text("#version: 0.2\n")
    (src / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "GPT2Tokenizer", "bos_token": "</s>", "eos_token": "</s>", "unk_token": "<unk>",
        "pad_token": "<pad>", "model_max_length": 64}))
    tok = AutoTokenizer.from_pretrained(str(src), local_files_only=True)
    cfg = Blip2Config(
        vision_config=dict(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                           image_size=32, patch_size=8),
        qformer_config=dict(hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                            encoder_hidden_size=16, vocab_size=64),
        text_config=dict(model_type="opt", vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, ffn_dim=32,
                         num_attention_heads=2, max_position_embeddings=64, word_embed_proj_dim=16, bos_token_id=1,
                         eos_token_id=1, pad_token_id=0),
        num_query_tokens=4, image_token_index=2)
    torch.manual_seed(0)
    model = Blip2ForConditionalGeneration(cfg).eval()
    folder = tmp_path / "blip2"
    model.save_pretrained(str(folder))
    tok.save_pretrained(str(folder))
    processor = BlipImageProcessor(size={"height": 32, "width": 32})
    processor.save_pretrained(str(folder))
    images = torch.rand(2, 3, 48, 40, generator=torch.Generator().manual_seed(0))
    loaded = load_captioner(folder, max_new_tokens=6)
    assert isinstance(loaded, Blip2Captioner)
    want = Blip2Captioner(model, tok, processor, max_new_tokens=6).caption(images)
    got = loaded.caption(images)
    assert got == want and len(got) == 2 and all(isinstance(c, str) and c for c in got)
    bad = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**bad, "model_type": "blip"}))
    with pytest.raises(ValueError, match="unsupported captioner"):
        load_captioner(folder)


def test_missing_set_up_outputs_name_the_set_up_step(tmp_path):
    with pytest.raises(FileNotFoundError, match="convert_text_weights"):
        load_classifier(tmp_path)
    assert (models_dir() / "ldm-base" / "text_encoder" / "config.json").is_file()
