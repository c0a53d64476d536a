"""Resumable training state (semcom.training): checkpoints and the moving average of the weights."""
import pytest
import torch

from semcom.training import load_checkpoint, load_ema, save_checkpoint

import repo_scripts


def _run(run_dir, steps, decay=0.9, stop=None):
    """SGD on a linear model with an EMA, resumable; returns (model, ema, state)."""
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    gens = {"data": torch.Generator().manual_seed(1)}
    state = load_checkpoint(run_dir, {"model": model}, opt, gens) or {"step": 0}
    ema = load_ema(run_dir, {"model": model}, decay)
    while state["step"] < (stop or steps):
        x = torch.randn(4, 3, generator=gens["data"])
        loss = model(x).square().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        ema["model"].step(model.parameters())
        state["step"] += 1
    save_checkpoint(run_dir, {"model": model}, opt, state, gens, ema)
    return model, ema["model"], state


def test_ema_resumes_exactly(tmp_path):
    _, one, _ = _run(tmp_path / "a", 6)
    _run(tmp_path / "b", 6, stop=3)
    _, two, state = _run(tmp_path / "b", 6)
    assert state["step"] == 6 and state["ema_updates"] == {"model": 6}
    assert two.optimization_step == 6
    for p, q in zip(one.shadow_params, two.shadow_params):
        assert torch.equal(p, q)


def test_ema_follows_the_documented_warm_up(tmp_path):
    """The k-th update uses decay min(decay, k / (9 + k)); the first copies the weights."""
    w = torch.nn.Parameter(torch.zeros(1))
    ema = load_ema(tmp_path, {"w": torch.nn.ParameterList([w])}, decay=0.5)["w"]
    expected = 0.0
    for k in range(1, 8):
        with torch.no_grad():
            w.fill_(float(k * k))
        ema.step([w])
        d = 0.0 if k == 1 else min(0.5, k / (9 + k))
        expected = d * expected + (1 - d) * k * k
        assert float(ema.shadow_params[0]) == pytest.approx(expected, rel=1e-6)


def test_ema_switched_on_later_starts_from_the_current_weights(tmp_path):
    model, _, _ = _run(tmp_path, 3)
    model.weight.data += 1.0  # the checkpoint's average must win over the module's weights
    saved = load_ema(tmp_path, {"model": model}, 0.9)["model"]
    assert saved.optimization_step == 3
    assert not torch.equal(saved.shadow_params[0], model.weight)
    fresh = load_ema(tmp_path / "none", {"model": model}, 0.9)["model"]
    assert fresh.optimization_step == 0 and torch.equal(fresh.shadow_params[0], model.weight)


def test_ema_rejects_a_file_of_another_module_and_bad_decay(tmp_path):
    _run(tmp_path, 2)
    with pytest.raises(ValueError, match="does not hold the parameters"):
        load_ema(tmp_path, {"model": torch.nn.Conv2d(1, 1, 1)}, 0.9)
    with pytest.raises(ValueError, match="decay"):
        load_ema(tmp_path, {"model": torch.nn.Linear(3, 2)}, 1.0)


def test_train_sc_sic_stages_chain_resume_and_export(tmp_path):
    """scripts/train_sc_sic.py end to end at 32 px, a few steps each: stage-a -> pretrain ->
    finetune with condition dropout; each export loads as a pipeline; re-running a finished stage
    resumes at its step (no training) and records the command; the card names the dropout."""
    from semcom.models.sc_sic.pipeline import SCSICPipeline
    train = repo_scripts.load("scripts/train_sc_sic.py")
    common = ["--size", "32", "--batch", "2", "--steps", "2", "--crops-per-chunk", "4", "--threads", "1",
              "--run-root", str(tmp_path), "--log-every", "1"]
    train.main(["stage-a", "--a-embed-dim", "8", "--a-bottleneck", "1", "--a-codes", "16"] + common)
    train.main(["pretrain", "--b-hidden", "16,32", "--b-cond", "16", "--e-width", "0.25"] + common)
    finetune = ["finetune", "--cond-dropout", "0.5", "--eval-steps", "1"] + common
    state = train.main(finetune)
    assert state["step"] == 2 and len(state["history"]) == 2
    export = tmp_path / "finetune" / "export"
    pipe = SCSICPipeline.from_pretrained(str(export))
    assert tuple(pipe.decoder.config.block_out_channels) == (16, 32)
    assert "condition dropout" in (export / "README.md").read_text()
    again = train.main(finetune + ["--no-export"])
    assert again["step"] == 2 and again["train_seconds"] == state["train_seconds"]
    assert again["commands"] == [finetune, finetune + ["--no-export"]]
    with pytest.raises(SystemExit):
        train.main(["pretrain", "--cond-dropout", "0.1"] + common)
