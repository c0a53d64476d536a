"""Ray-traced OFDM channel ``rt-street`` (SISO, static); more scenes via :data:`SCENE_GEOMETRY`.

The channel impulse response comes from Sionna RT 2.x (Mitsuba 3 / Dr.Jit) instead of a 3GPP
stochastic model: a built-in scene shipped inside the ``sionna-rt`` package is loaded (nothing is
downloaded), one transmitter and one or more receiver positions (single isotropic, vertically
polarised antennas at the configured carrier, 3.5 GHz by default) are placed, and
:class:`sionna.rt.PathSolver` finds the paths (line of sight + specular reflections, ``max_depth``
bounces) *once per channel instance*. The paths are turned into a Sionna-style channel model
``(batch, num_time_steps, sampling_frequency) -> (a, tau)`` and plugged into the same
:class:`semcom.phy.ofdm.OFDMLink` as the ``tdl-*``/``cdl-*`` channels (LS estimation or perfect CSI,
ZF/LMMSE, per-symbol post-equalisation noise variance in ``csi.noise_var``).

Power: the path gains are scaled so that the frequency response has unit mean power over the
configured subcarriers (the free-space path loss is taken out); with ``normalize_channel=True``
(default) the link renormalises every slot anyway. So the :mod:`semcom.snr` convention holds.

Variety: ``num_positions > 1`` traces that many receiver positions at once (the nominal one plus
``num_positions - 1`` drawn uniformly in a horizontal square of half-side ``rx_jitter`` metres
around it, from a fixed seed); each example of a batch then uses one of them, drawn with Sionna's
generator. Each position is normalised on its own (small-scale fading only).

Note the physics: the default street geometry has a delay spread of a few ns (excess delays up to
~150 ns), so over the project's default 1.92 MHz band (64 x 30 kHz) the response is nearly flat;
frequency selectivity shows with a wider numerology (e.g. ``subcarrier_spacing=480e3``).

``sionna.rt`` / Mitsuba are imported lazily (on the first channel use, or :meth:`paths_info`), so
``import semcom.channels`` stays fast.
"""
from __future__ import annotations

import numpy as np
import torch

from ..phy.ofdm import OFDMLink
from .base import register
from .ofdm import OFDMLinkChannel

# Built-in scenes (attribute names of ``sionna.rt.scene``) and default (tx, rx) positions, m.
# simple_street_canyon: a street along x between building faces at y = -8.6 and y = 9.6, crossed
# by two side streets (x in [-31, -15] and [16, 31.5]). Tx at 10 m, Rx at 1.5 m, 41 m apart:
# line of sight plus wall/ground reflections.
SCENE_GEOMETRY = {
    "street": ("simple_street_canyon", (-20.0, 0.0, 10.0), (20.0, 3.0, 1.5)),
}


class RayTracedModel:
    """A static ray-traced SISO channel model with the TDL/CDL calling convention.

    ``model(batch_size, num_time_steps, sampling_frequency) -> (a, tau)`` with ``a``
    [B, 1, 1, 1, 1, P, T] complex64 and ``tau`` [B, 1, 1, P] float32 (first path at 0 s); each
    example uses one of the traced receiver positions. Paths are traced on the first call.
    """

    def __init__(self, scene: str, tx_position, rx_position, carrier_frequency: float,
                 frequencies: np.ndarray, max_depth: int = 4, samples_per_src: int = 100_000,
                 num_positions: int = 1, rx_jitter: float = 0.0, seed: int = 1, device=None,
                 generator: torch.Generator | None = None):
        if num_positions < 1 or rx_jitter < 0 or max_depth < 0:
            raise ValueError("need num_positions >= 1, rx_jitter >= 0, max_depth >= 0")
        self.scene_name = scene
        self.tx_position = tuple(float(v) for v in tx_position)
        self.rx_position = tuple(float(v) for v in rx_position)
        self.carrier_frequency = float(carrier_frequency)
        self.frequencies = np.asarray(frequencies, dtype=np.float64)
        self.max_depth, self.samples_per_src, self.seed = int(max_depth), int(samples_per_src), int(seed)
        self.num_positions, self.rx_jitter = int(num_positions), float(rx_jitter)
        self.device = device
        self.generator = generator
        self._a = self._tau = None  # [N, P] complex64, [N, P] float32 (torch)
        self._raw = None

    # -- tracing -------------------------------------------------------------------------------
    def rx_positions(self) -> np.ndarray:
        """[N, 3] receiver positions: the nominal one first, then the jittered ones."""
        pos = np.tile(np.asarray(self.rx_position), (self.num_positions, 1))
        if self.num_positions > 1:
            rng = np.random.default_rng(self.seed)
            pos[1:, :2] += rng.uniform(-self.rx_jitter, self.rx_jitter, (self.num_positions - 1, 2))
        return pos

    def trace(self):
        """Trace the paths (once) and cache the normalised CIRs."""
        if self._a is not None:
            return
        import sionna.rt as rt  # lazy: Mitsuba / Dr.Jit are slow to import
        from sionna.rt import PathSolver, PlanarArray, Receiver, Transmitter, load_scene

        if not hasattr(rt.scene, self.scene_name):
            raise ValueError(f"sionna.rt has no built-in scene {self.scene_name!r}")
        scene = load_scene(getattr(rt.scene, self.scene_name), merge_shapes=True)
        scene.frequency = self.carrier_frequency
        scene.tx_array = PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
        scene.rx_array = PlanarArray(num_rows=1, num_cols=1, pattern="iso", polarization="V")
        scene.add(Transmitter("tx", position=list(self.tx_position)))
        for i, p in enumerate(self.rx_positions()):
            scene.add(Receiver(f"rx{i}", position=[float(v) for v in p]))
        paths = PathSolver()(scene, max_depth=self.max_depth, samples_per_src=self.samples_per_src,
                             los=True, specular_reflection=True, diffuse_reflection=False,
                             refraction=False, synthetic_array=True, seed=self.seed)
        # Raw delays (not normalised) for reporting; the link uses delays relative to the first path.
        a, tau = paths.cir(out_type="numpy", normalize_delays=False, num_time_steps=1)
        if isinstance(a, tuple):  # (real, imag) in some versions, complex in others
            a = a[0] + 1j * a[1]
        a = np.asarray(a).reshape(self.num_positions, -1)  # [N, P] (SISO, one time step)
        tau = np.asarray(tau).reshape(self.num_positions, -1)
        valid = np.abs(a) > 0
        if not valid.any(axis=1).all():
            bad = np.nonzero(~valid.any(axis=1))[0].tolist()
            raise RuntimeError(f"no propagation path between tx and receiver position(s) {bad}")
        self._raw = (a.copy(), tau.copy(), valid)
        tau = np.where(valid, tau, np.inf)
        tau = tau - tau.min(axis=1, keepdims=True)
        tau = np.where(valid, tau, 0.0)
        a = np.where(valid, a, 0.0)
        # Unit mean power of the frequency response over the configured subcarriers.
        h = (a[:, None, :] * np.exp(-2j * np.pi * self.frequencies[None, :, None] * tau[:, None, :])).sum(-1)
        a = a / np.sqrt(np.mean(np.abs(h) ** 2, axis=1, keepdims=True))
        self._a = torch.as_tensor(a.astype(np.complex64), device=self.device)
        self._tau = torch.as_tensor(tau.astype(np.float32), device=self.device)

    def paths_info(self) -> dict:
        """Path statistics per receiver position: ``num_paths`` [N], ``delay_spread`` [N] (RMS, s),
        ``max_excess_delay`` [N] (s), ``first_delay`` [N] (s), ``path_gain_db`` [N] (sum of
        |a|^2 before normalisation)."""
        self.trace()
        a, tau, valid = self._raw
        p = np.where(valid, np.abs(a) ** 2, 0.0)
        t = np.where(valid, tau, np.nan)
        first = np.nanmin(t, axis=1)
        mean = (p * np.nan_to_num(t)).sum(1) / p.sum(1)
        ds = np.sqrt((p * (np.nan_to_num(t) - mean[:, None]) ** 2).sum(1) / p.sum(1))
        return {"num_paths": valid.sum(1), "delay_spread": ds, "first_delay": first,
                "max_excess_delay": np.nanmax(t, axis=1) - first,
                "path_gain_db": 10 * np.log10(p.sum(1))}

    def frequency_response(self, position: int = 0) -> torch.Tensor:
        """[F] complex64 normalised frequency response at the configured subcarriers."""
        self.trace()
        f = torch.as_tensor(self.frequencies, dtype=torch.float64, device=self.device)
        ph = torch.exp(-2j * np.pi * f[:, None] * self._tau[position].double()[None, :])
        return (ph * self._a[position].to(torch.complex128)[None, :]).sum(-1).to(torch.complex64)

    # -- the Sionna channel-model convention ----------------------------------------------------
    def __call__(self, batch_size, num_time_steps, sampling_frequency=None):
        self.trace()
        b = int(batch_size)
        if self.num_positions == 1:
            idx = torch.zeros(b, dtype=torch.long, device=self.device)
        else:
            from sionna.phy import config as sn_config
            gen = self.generator or sn_config.torch_rng(str(self.device or "cpu"))
            idx = torch.randint(0, self.num_positions, (b,), generator=gen, device=self.device)
        a, tau = self._a[idx], self._tau[idx]  # [B, P]
        p = a.shape[-1]
        a = a.reshape(b, 1, 1, 1, 1, p, 1).expand(b, 1, 1, 1, 1, p, int(num_time_steps))
        return a.contiguous(), tau.reshape(b, 1, 1, p)


class RayTracedChannel(OFDMLinkChannel):
    """OFDM over a ray-traced static channel in a built-in Sionna RT scene.

    Parameters (all keyword; plus everything :class:`~semcom.channels.ofdm.OFDMLinkChannel` takes
    except ``delay_spread``/``speed``)
    ----------------------------------------------------------------------------------------------
    tx_position, rx_position : (x, y, z) in m (scene defaults in :data:`SCENE_GEOMETRY`).
    max_depth : int (4) -- reflection bounces.
    samples_per_src : int (100_000) -- rays shot by the path solver.
    num_positions : int (1), rx_jitter : float m (2.0) -- receiver positions traced (see module).
    seed : int (1) -- path-solver and position seed.
    """

    scene_key = "street"
    fading = True

    def __init__(self, tx_position=None, rx_position=None, max_depth: int = 4,
                 samples_per_src: int = 100_000, num_positions: int = 1, rx_jitter: float = 2.0,
                 seed: int = 1, **kwargs):
        for k in ("delay_spread", "speed", "max_speed"):
            if k in kwargs:
                raise ValueError(f"{self.name} is a static ray-traced channel: no {k}")
        super().__init__(**kwargs)  # builds an AWGN link; replaced below with the ray-traced one
        scene, tx_default, rx_default = SCENE_GEOMETRY[self.scene_key]
        cfg = self.config
        freqs = (np.arange(cfg.fft_size) - cfg.fft_size // 2) * cfg.subcarrier_spacing  # as Sionna's
        self.model = RayTracedModel(scene, tx_position or tx_default, rx_position or rx_default,
                                    cfg.carrier_frequency, freqs, max_depth=max_depth,
                                    samples_per_src=samples_per_src, num_positions=num_positions,
                                    rx_jitter=rx_jitter, seed=seed, device=self.device,
                                    generator=self.generator)
        old = self.link
        self.link = OFDMLink(cfg, self.model, perfect_csi=old.perfect_csi, equalizer=old.equalizer_name,
                             interpolation=self.interpolation, normalize_channel=old.normalize_channel,
                             slot_fading=old.slot_fading, generator=self.generator, device=self.device)

    def paths_info(self) -> dict:
        return self.model.paths_info()

    def frequency_response(self, position: int = 0) -> torch.Tensor:
        return self.model.frequency_response(position)


def _make(key: str):
    scene = SCENE_GEOMETRY[key][0]
    cls = type(f"RT{key.title().replace('-', '')}Channel", (RayTracedChannel,),
               {"__doc__": f"OFDM over a ray-traced channel in Sionna RT's built-in ``{scene}`` scene.",
                "scene_key": key, "__module__": __name__})
    return register(f"rt-{key}")(cls)


for _key in SCENE_GEOMETRY:
    globals()[f"RT{_key.title().replace('-', '')}Channel"] = _make(_key)

__all__ = ["RayTracedModel", "RayTracedChannel", "SCENE_GEOMETRY", "RTStreetChannel"]
