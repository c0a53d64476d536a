"""Labelled street scenes rendered from Sionna RT's bundled ray-tracing scenes (issue 19, GESCO).

Each image/label pair is made by Mitsuba 3 (``llvm_ad_rgb``, CPU) ray casting in a scene of
Sionna RT (``sionna/rt/scenes``: Munich, Florence, Etoile, San Francisco, the simple street
canyon with cars) plus props placed once per scene from a fixed seed (cars parked along the
kerb, street lamps and trees on the sidewalk). Shading is deferred: primary rays give the hit
shape, position and normal of 2x2 sub-samples per pixel; a shadow ray towards the sun, one
reflection ray on glass, a sky model, haze and procedural textures (value noise, paving joints,
facade windows) give the colour. The label of a sub-sample is decided from the very same hit
(shape kind, normal, position), so a label map matches its image by construction: the pixel's
colour is the mean of its 4 sub-samples and its label their most frequent class (ties: lowest
class id).

Classes (``CLASSES``): sky, road, sidewalk, building (walls), window (facade windows and glass
facades), roof, vehicle, pole, vegetation. Road vs sidewalk is geometric: a ground point within
``sidewalk`` metres (per scene) of a building footprint is sidewalk. Everything a caller can vary
is in the ``params`` dict of ``render`` (pose, field of view, sun, sky, colour seed), so a pair is
re-rendered exactly from its manifest entry.
"""
from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

__all__ = ["CLASSES", "PALETTE", "SCENES", "HEIGHT", "WIDTH", "StreetScene", "scene_root",
           "sample_params", "colorize", "class_counts"]

CLASSES = ("sky", "road", "sidewalk", "building", "window", "roof", "vehicle", "pole",
           "vegetation")
SKY, ROAD, SIDEWALK, BUILDING, WINDOW, ROOF, VEHICLE, POLE, VEGETATION = range(len(CLASSES))
#: Colours for showing a label map (Cityscapes-like).
PALETTE = np.array([[70, 130, 180], [128, 64, 128], [244, 35, 232], [70, 70, 70],
                    [0, 200, 255], [150, 100, 100], [0, 0, 142], [153, 153, 153],
                    [107, 142, 35]], np.uint8)
HEIGHT, WIDTH = 128, 256
SS = 2  # sub-samples per pixel side

#: scene -> (images in the 3000 set, sidewalk width m, props per km of kerb)
SCENES = {
    "munich": dict(count=800, sidewalk=3.0),
    "florence": dict(count=700, sidewalk=2.5),
    "etoile": dict(count=450, sidewalk=4.0),
    "san_francisco": dict(count=800, sidewalk=3.0),
    "simple_street_canyon_with_cars": dict(count=250, sidewalk=3.0),
}
#: Fraction of a scene's x-extent (its east end) whose poses form the fixed test split.
TEST_BAND = 0.2

# shape kinds
K_GROUND, K_BUILDING, K_GLASS, K_CAR, K_POLE, K_TREE = range(6)
_GRID = 0.5  # m per cell of the footprint raster


def scene_root() -> Path:
    import sionna.rt
    return Path(sionna.rt.__file__).parent / "scenes"


def _mi():
    import drjit as dr
    import mitsuba as mi
    if mi.variant() != "llvm_ad_rgb":
        mi.set_variant("llvm_ad_rgb")
    return mi, dr


def _hash01(*keys) -> float:
    h = hashlib.sha256(repr(keys).encode()).digest()
    return int.from_bytes(h[:8], "little") / 2.0 ** 64


# ----------------------------------------------------------------------------- noise
def _lattice(ix, iy, iz, seed):
    h = (ix.astype(np.int64) * 73856093) ^ (iy.astype(np.int64) * 19349663) \
        ^ (iz.astype(np.int64) * 83492791) ^ (seed * 2654435761)
    h = (h ^ (h >> 13)) * 1274126177
    h = h ^ (h >> 16)
    return (h & 0xFFFF).astype(np.float32) / 65535.0


def value_noise(p, scale, seed=0):
    """Smooth 3-D value noise in [0, 1] at points ``p`` (N x 3) with feature size ``scale``."""
    q = p / scale
    i = np.floor(q)
    f = (q - i).astype(np.float32)
    f = f * f * (3 - 2 * f)
    i = i.astype(np.int64)
    out = 0.0
    for dx in (0, 1):
        wx = f[:, 0] if dx else 1 - f[:, 0]
        for dy in (0, 1):
            wy = f[:, 1] if dy else 1 - f[:, 1]
            for dz in (0, 1):
                wz = f[:, 2] if dz else 1 - f[:, 2]
                out = out + wx * wy * wz * _lattice(i[:, 0] + dx, i[:, 1] + dy, i[:, 2] + dz,
                                                    seed)
    return out


def _fbm(p, scale, seed, octaves=3):
    out, amp, tot = 0.0, 1.0, 0.0
    for o in range(octaves):
        out = out + amp * value_noise(p, scale / 2 ** o, seed + o)
        tot += amp
        amp *= 0.5
    return out / tot


# ----------------------------------------------------------------------------- scene
class StreetScene:
    """One bundled scene with its props, footprint raster and shape table, ready to render."""

    def __init__(self, name: str, props_seed: int = 0):
        mi, dr = _mi()
        self.name = name
        self.cfg = SCENES[name]
        xml = scene_root() / name / f"{name}.xml"
        shapes, kinds = {}, []
        for s in ET.parse(xml).getroot().iter("shape"):
            sid = s.get("id")
            fn = s.find("string[@name='filename']").get("value")
            mat = s.find("ref[@name='bsdf']").get("id")
            low = sid.lower()
            if any(k in low for k in ("ground", "plane", "terrain", "floor")):
                kind = K_GROUND
            elif low.startswith("mesh-car"):
                kind = K_CAR
            elif mat == "glass":
                kind = K_GLASS
            else:
                kind = K_BUILDING
            shapes[sid] = {"type": "ply", "filename": str(xml.parent / fn), "face_normals": True}
            kinds.append((sid, kind))
        base = mi.load_dict({"type": "scene", **shapes})
        bb = base.bbox()
        self.lo = np.array(bb.min, np.float64)
        self.hi = np.array(bb.max, np.float64)
        self._footprint(base, dict(kinds))
        props = self._props(props_seed)
        shapes.update(props)
        for sid, d in props.items():
            kinds.append((sid, d.pop("_kind")))
        self.scene = mi.load_dict({"type": "scene", **shapes})
        kind_of = dict(kinds)
        ptrs = np.array(dr.reinterpret_array(mi.UInt32, self.scene.shapes_dr()), np.int64)
        n = int(ptrs.max()) + 2
        self.kind = np.full(n, -1, np.int16)
        self.top = np.zeros(n, np.float32)       # top z of each shape (facade windows stop below)
        self.sidx = np.zeros(n, np.int32)        # stable per-shape index (by id) for colours
        ids = {k: i for i, k in enumerate(sorted(kind_of))}
        self.ptype = np.zeros(n, np.int8)      # 0 mesh, 1 vertical cylinder, 2 sphere
        self.pc = np.zeros((n, 3))               # cylinder base / sphere centre
        self.foff = np.zeros(n, np.int64)        # offset of a mesh's faces in self.fnorm
        fn, off = [], 0
        for ptr, sh in zip(ptrs, self.scene.shapes()):
            spec = shapes[sh.id()]
            if spec["type"] == "ply":
                prm = mi.traverse(sh)
                v = np.array(prm["vertex_positions"], np.float64).reshape(-1, 3)
                fc = np.array(prm["faces"], np.int64).reshape(-1, 3)
                nrm = np.cross(v[fc[:, 1]] - v[fc[:, 0]], v[fc[:, 2]] - v[fc[:, 0]])
                nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
                fn.append(nrm)
                self.foff[ptr] = off
                off += len(fc)
            else:
                self.ptype[ptr] = 1 if spec["type"] == "cylinder" else 2
                self.pc[ptr] = spec["p0"] if spec["type"] == "cylinder" else spec["center"]
        self.fnorm = np.concatenate(fn)
        for ptr, sh in zip(ptrs, self.scene.shapes()):
            self.kind[ptr] = kind_of[sh.id()]
            self.top[ptr] = sh.bbox().max.z
            self.sidx[ptr] = ids[sh.id()]

    # ---- footprint, ground height and distance to buildings on a 0.5 m grid
    def _footprint(self, base, kind_of):
        mi, dr = _mi()
        ptrs = np.array(dr.reinterpret_array(mi.UInt32, base.shapes_dr()), np.int64)
        isb = np.zeros(int(ptrs.max()) + 2, bool)
        for ptr, sh in zip(ptrs, base.shapes()):
            isb[ptr] = kind_of[sh.id()] in (K_BUILDING, K_GLASS)
        nx = int(np.ceil((self.hi[0] - self.lo[0]) / _GRID))
        ny = int(np.ceil((self.hi[1] - self.lo[1]) / _GRID))
        xs = self.lo[0] + (np.arange(nx) + 0.5) * _GRID
        ys = self.lo[1] + (np.arange(ny) + 0.5) * _GRID
        X, Y = np.meshgrid(xs, ys, indexing="ij")
        z0 = float(self.hi[2]) + 10
        o = np.stack([X.ravel(), Y.ravel(), np.full(X.size, z0)], 1)
        d = np.tile([0.0, 0.0, -1.0], (X.size, 1))
        valid, sh, _, _, P = _prelim(base, o, d)
        bld = valid & isb[sh]
        z = np.where(valid, P[:, 2], 0.0)
        self.building = bld.reshape(nx, ny)
        from scipy import ndimage
        self.dist = (ndimage.distance_transform_edt(~self.building) * _GRID).astype(np.float32)
        # ground height under buildings: nearest ground cell's height
        zg = z.reshape(nx, ny).astype(np.float32)
        idx = ndimage.distance_transform_edt(self.building, return_distances=False,
                                             return_indices=True)
        self.zground = zg[idx[0], idx[1]]
        gx, gy = np.gradient(self.dist)
        self.grad = np.stack([gx, gy], -1)
        self.xs, self.ys = xs, ys

    def _cell(self, x, y):
        i = np.clip(((x - self.lo[0]) / _GRID).astype(np.int64), 0, self.dist.shape[0] - 1)
        j = np.clip(((y - self.lo[1]) / _GRID).astype(np.int64), 0, self.dist.shape[1] - 1)
        return i, j

    def dist_at(self, x, y):
        return self.dist[self._cell(x, y)]

    def ground_at(self, x, y):
        return self.zground[self._cell(x, y)]

    def _kerb_points(self, rng, d, spacing):
        """Points at distance ~d from buildings, about one per ``spacing`` m of kerb."""
        band = (np.abs(self.dist - d) < _GRID * 0.5) & ~self.building
        ii, jj = np.nonzero(band)
        n = int(len(ii) * _GRID / spacing)
        pick = rng.choice(len(ii), size=min(n, len(ii)), replace=False)
        ii, jj = ii[pick], jj[pick]
        # thin out points closer than spacing/2
        keep, taken = [], set()
        cs = max(1, int(spacing / 2 / _GRID))
        for a, b in zip(ii, jj):
            key = (a // cs, b // cs)
            if key in taken:
                continue
            taken.add(key)
            keep.append((a, b))
        keep = np.array(keep, np.int64).reshape(-1, 2)
        x, y = self.xs[keep[:, 0]], self.ys[keep[:, 1]]
        g = self.grad[keep[:, 0], keep[:, 1]]
        return x, y, np.arctan2(g[:, 1], g[:, 0]), self.zground[keep[:, 0], keep[:, 1]]

    def _props(self, seed):
        mi, _ = _mi()
        rng = np.random.default_rng([seed, sum(map(ord, self.name))])
        sw = self.cfg["sidewalk"]
        T = mi.ScalarTransform4f
        props = {}
        car = str(scene_root() / "low_poly_car.ply")  # 4.4 x 1.8 x 1.5 m box, z from 0
        if self.name != "simple_street_canyon_with_cars":
            x, y, a, z = self._kerb_points(rng, sw + 1.3, 12.0)
            keep = rng.random(len(x)) < 0.5
            for k, (xi, yi, ai, zi) in enumerate(zip(x[keep], y[keep], a[keep], z[keep])):
                yaw = np.degrees(ai) + 90 + rng.normal(0, 3)
                L, W, H = rng.uniform(3.8, 4.8), rng.uniform(1.65, 1.9), rng.uniform(1.3, 1.7)
                base = T().translate([float(xi), float(yi), float(zi)]).rotate([0, 0, 1], yaw)
                props[f"prop-car{k}-body"] = {
                    "type": "ply", "filename": car, "face_normals": True, "_kind": K_CAR,
                    "to_world": base @ T().scale([L / 4.4, W / 1.8, 0.55 * H / 1.5])}
                props[f"prop-car{k}-cabin"] = {
                    "type": "ply", "filename": car, "face_normals": True, "_kind": K_CAR,
                    "to_world": base @ T().translate([-0.1 * L, 0, 0.5 * H])
                    @ T().scale([0.55 * L / 4.4, 0.92 * W / 1.8, 0.5 * H / 1.5])}
        x, y, a, z = self._kerb_points(rng, sw - 0.6, 22.0)
        for k, (xi, yi, zi) in enumerate(zip(x, y, z)):
            if rng.random() < 0.45:
                h = rng.uniform(5, 8)
                props[f"prop-pole{k}"] = {
                    "type": "cylinder", "radius": float(rng.uniform(0.07, 0.14)), "_kind": K_POLE,
                    "p0": [float(xi), float(yi), float(zi)],
                    "p1": [float(xi), float(yi), float(zi + h)]}
            elif rng.random() < 0.7:
                h = rng.uniform(2.5, 4.0)
                r = rng.uniform(1.2, 2.6)
                props[f"prop-tree{k}-trunk"] = {
                    "type": "cylinder", "radius": float(rng.uniform(0.12, 0.25)),
                    "_kind": K_TREE, "p0": [float(xi), float(yi), float(zi)],
                    "p1": [float(xi), float(yi), float(zi + h + r)]}
                for m in range(3):
                    off = rng.normal(0, 0.35 * r, 3)
                    props[f"prop-tree{k}-crown{m}"] = {
                        "type": "sphere", "radius": float(r * rng.uniform(0.6, 0.9)),
                        "_kind": K_TREE,
                        "center": [float(xi + off[0]), float(yi + off[1]),
                                   float(zi + h + r + 0.5 * off[2])]}
        return props

    # ---- poses
    def sample_params(self, rng, tries: int = 40):
        """A random valid view (dict) using ``rng``; validity is checked on its label map."""
        sw = self.cfg["sidewalk"]
        road = (self.dist > sw + 4.0) & (self.dist < sw + 16.0)   # in a street, not a field
        margin = int(30 / _GRID)
        road[:margin] = road[-margin:] = False
        road[:, :margin] = road[:, -margin:] = False
        ii, jj = np.nonzero(road)
        for _ in range(tries):
            k = rng.integers(len(ii))
            x = float(self.xs[ii[k]] + rng.uniform(-0.25, 0.25))
            y = float(self.ys[jj[k]] + rng.uniform(-0.25, 0.25))
            h = float(rng.uniform(1.5, 2.5))
            z = float(self.ground_at(np.array([x]), np.array([y]))[0]) + h
            yaw = float(self._street_yaw(x, y, z, rng))
            p = dict(scene=self.name, x=x, y=y, z=z, height=h, yaw=yaw,
                     pitch=float(rng.uniform(-4, 7)), hfov=float(rng.uniform(55, 90)),
                     **_sample_light(rng), style=int(rng.integers(2 ** 31)))
            _, lab = self.render(p, image=False)
            f = np.bincount(lab.ravel(), minlength=len(CLASSES)) / lab.size
            if f[SKY] > 0.03 and f[ROAD] > 0.08 and f[BUILDING] + f[WINDOW] + f[ROOF] > 0.12:
                return p
        return p

    def _street_yaw(self, x, y, z, rng):
        mi, dr = _mi()
        ang = np.linspace(0, 2 * np.pi, 36, endpoint=False)
        o = np.tile([x, y, z], (36, 1))
        d = np.stack([np.cos(ang), np.sin(ang), np.zeros(36)], 1)
        hit, _, _, t, _ = _prelim(self.scene, o, d)
        t = np.where(hit, t, 500.0)
        w = np.minimum(t, 300.0) ** 3
        k = rng.choice(36, p=w / w.sum())
        return np.degrees(ang[k]) + rng.uniform(-8, 8)

    def split_of(self, x: float) -> str:
        return "test" if x > self.hi[0] - TEST_BAND * (self.hi[0] - self.lo[0]) else "train"

    # ---- rendering
    def render(self, p: dict, image: bool = True):
        """(HxWx3 uint8 image or None, HxW uint8 label) of the view ``p``."""
        mi, dr = _mi()
        H, W = HEIGHT * SS, WIDTH * SS
        yaw, pitch = np.radians(p["yaw"]), np.radians(p["pitch"])
        fwd = np.array([np.cos(pitch) * np.cos(yaw), np.cos(pitch) * np.sin(yaw), np.sin(pitch)])
        right = np.array([np.sin(yaw), -np.cos(yaw), 0.0])
        up = np.cross(right, fwd)
        tx = np.tan(np.radians(p["hfov"]) / 2)
        ty = tx * H / W
        u = ((np.arange(W) + 0.5) / W * 2 - 1) * tx
        v = (1 - (np.arange(H) + 0.5) / H * 2) * ty
        U, V = np.meshgrid(u, v)
        d = fwd[None] + U.ravel()[:, None] * right[None] + V.ravel()[:, None] * up[None]
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        n = len(d)
        o = np.array([p["x"], p["y"], p["z"]])
        hit, ptr, prim, t, P = _prelim(self.scene, np.tile(o, (n, 1)), d)
        N = _normals(self, hit, ptr, prim, P)
        kind = np.where(hit, self.kind[ptr], -1)
        flip = np.sum(N * d, 1) > 0
        N[flip] *= -1
        P[~hit] = 0
        N[~hit] = [0, 0, 1]
        lab = np.full(n, SKY, np.uint8)
        lab[kind == K_CAR] = VEHICLE
        lab[kind == K_POLE] = POLE
        lab[kind == K_TREE] = VEGETATION
        lab[kind == K_GLASS] = WINDOW
        gnd = kind == K_GROUND
        sw = self.cfg["sidewalk"]
        dist = self.dist_at(P[:, 0], P[:, 1])
        lab[gnd] = np.where(dist[gnd] < sw, SIDEWALK, ROAD)
        bld = kind == K_BUILDING
        roof = bld & (N[:, 2] > 0.6)
        lab[roof] = ROOF
        wall = bld & ~roof
        # facade windows: a per-building grid on the wall plane
        sid = self.sidx[ptr]
        win = np.zeros(n, bool)
        if wall.any():
            ws = sid[wall]
            fh = 3.0 + 1.0 * _rand(ws, 1)
            sp = 2.4 + 2.0 * _rand(ws, 2)
            fw = 0.3 + 0.3 * _rand(ws, 3)
            fv = 0.35 + 0.25 * _rand(ws, 4)
            Pw, Nw = P[wall], N[wall]
            tang = np.stack([-Nw[:, 1], Nw[:, 0]], 1)
            tang /= np.maximum(np.linalg.norm(tang, axis=1, keepdims=True), 1e-6)
            uu = np.sum(Pw[:, :2] * tang, 1) / sp + _rand(ws, 5)
            zg = self.ground_at(Pw[:, 0], Pw[:, 1])
            vv = (Pw[:, 2] - zg) / fh
            fu, fvv = uu - np.floor(uu), vv - np.floor(vv)
            w_ = ((np.abs(fu - 0.5) < fw / 2) & (np.abs(fvv - 0.55) < fv / 2) & (vv > 1.0)
                  & (Pw[:, 2] < self.top[ptr[wall]] - 1.2) & (np.abs(Nw[:, 2]) < 0.3))
            win[np.nonzero(wall)[0][w_]] = True
        lab[wall] = BUILDING
        lab[win] = WINDOW
        label = _mode(lab.reshape(HEIGHT, SS, WIDTH, SS))
        if not image:
            return None, label
        col = self._shade(p, d, hit, kind, lab, P, N, t, sid, o)
        img = col.reshape(HEIGHT, SS, WIDTH, SS, 3).mean((1, 3))
        img = np.clip(img, 0, 1) ** (1 / 2.2)
        return (img * 255 + 0.5).astype(np.uint8), label

    def _shade(self, p, d, hit, kind, lab, P, N, t, sid, o):
        mi, dr = _mi()
        rs = np.random.default_rng(p["style"])
        sun = _sun_dir(p)
        sun_col = np.array(p["sun_color"]) * p["sun_strength"]
        zen, hor = np.array(p["sky_zenith"]), np.array(p["sky_horizon"])
        n = len(d)
        # per-class base albedo (linear), jittered per image
        base = {ROAD: [0.10, 0.10, 0.11], SIDEWALK: [0.35, 0.33, 0.30],
                BUILDING: [0.45, 0.40, 0.33], WINDOW: [0.05, 0.07, 0.09],
                ROOF: [0.30, 0.15, 0.10], VEHICLE: [0.3, 0.3, 0.3],
                POLE: [0.15, 0.15, 0.15], VEGETATION: [0.06, 0.14, 0.04]}
        alb = np.zeros((n, 3), np.float32)
        for c, b in base.items():
            m = lab == c
            if m.any():
                jit = np.exp(rs.normal(0, 0.25, 3)) * np.exp(rs.normal(0, 0.2))
                alb[m] = np.clip(np.array(b) * jit, 0, 0.9)
        # per-building / per-car colour variation
        for c, s0, amp in ((BUILDING, 11, 0.35), (ROOF, 12, 0.4), (VEHICLE, 13, 1.6)):
            m = lab == c
            if m.any():
                tint = np.stack([_rand(sid[m], s0 + k) for k in range(3)], 1)
                bright = 0.5 + _rand(sid[m], s0 + 7)[:, None]
                alb[m] *= (1 - amp / 2 + amp * tint) * bright if c != VEHICLE else 1
                if c == VEHICLE:
                    alb[m] = 0.03 + 0.6 * tint ** 2 * bright
        alb = np.clip(alb, 0, 0.9)
        # textures
        seed = int(p["style"]) % 1000
        g = (lab == ROAD) | (lab == SIDEWALK)
        if g.any():
            alb[g] *= (0.75 + 0.5 * _fbm(P[g], 2.0, seed))[:, None]
            alb[g] *= (0.85 + 0.3 * value_noise(P[g], 0.15, seed + 9))[:, None]
        s = lab == SIDEWALK
        if s.any():
            tile = rs.uniform(0.3, 0.8)
            q = P[s, :2] / tile
            joint = (np.minimum(np.abs(q - np.round(q)).min(1), 1) < 0.04)
            alb[s] *= np.where(joint, 0.6, 1.0)[:, None]
        for c, sc in ((BUILDING, 3.0), (ROOF, 1.5), (VEGETATION, 0.4)):
            m = lab == c
            if m.any():
                alb[m] *= (0.7 + 0.6 * _fbm(P[m], sc, seed + c))[:, None]
        # lighting
        lit = hit & (lab != SKY)
        ndl = np.clip(np.sum(N * sun, 1), 0, 1)
        cand = lit & (ndl > 0)
        vis = np.zeros(n, bool)
        if cand.any():
            idx = np.nonzero(cand)[0]
            po = P[idx] + N[idx] * 0.02
            vis[idx] = ~_occluded(self.scene, po, np.tile(sun, (len(idx), 1)))
        amb = (zen * (0.5 + 0.5 * N[:, 2:3]) + hor * (0.5 - 0.5 * N[:, 2:3]) * 0.6) * p["ambient"]
        col = alb * (amb + sun_col[None] * (ndl * vis)[:, None])
        # glass: mirror the sky / a dim facade
        gl = lit & (lab == WINDOW)
        if gl.any():
            idx = np.nonzero(gl)[0]
            r = d[idx] - 2 * np.sum(d[idx] * N[idx], 1, keepdims=True) * N[idx]
            po = P[idx] + N[idx] * 0.02
            occ = _occluded(self.scene, po, r)
            refl = np.where(occ[:, None], 0.5 * (zen + hor) * 0.25 * p["ambient"],
                            _sky(r, sun, p))
            fres = 0.15 + 0.5 * (1 - np.abs(np.sum(d[idx] * N[idx], 1))) ** 3
            col[idx] = col[idx] + fres[:, None] * refl
        sky = lab == SKY
        col[sky] = _sky(d[sky], sun, p)
        # aerial perspective
        haze = 1 - np.exp(-np.where(hit, t, 0) / p["haze_dist"])
        col = np.where(sky[:, None], col, col * (1 - haze[:, None]) + hor[None] * haze[:, None])
        return col * p["exposure"]


def _prelim(scene, o, d):
    """Trace rays (numpy origins/directions, N x 3): (hit, shape ptr, primitive, t, P) as numpy.

    Mitsuba's preliminary intersection only (the full surface interaction costs 5x more in
    scenes of thousands of shapes); positions are o + t d, normals come from ``_normals``."""
    mi, dr = _mi()
    pi = scene.ray_intersect_preliminary(mi.Ray3f(mi.Point3f(o[:, 0], o[:, 1], o[:, 2]),
                                                  mi.Vector3f(d[:, 0], d[:, 1], d[:, 2])))
    ptr = dr.reinterpret_array(mi.UInt32, pi.shape)
    dr.eval(pi.t, pi.prim_index, ptr)
    t = np.array(pi.t).astype(np.float64)
    hit = np.isfinite(t)
    ptr = np.where(hit, np.array(ptr, np.int64), 0)
    prim = np.where(hit, np.array(pi.prim_index, np.int64), 0)
    t = np.where(hit, t, np.inf)
    P = o + np.where(hit, t, 0)[:, None] * d
    return hit, ptr, prim, t, P


def _normals(sc, hit, ptr, prim, P):
    N = sc.fnorm[np.where(hit, sc.foff[ptr] + prim, 0)]
    pt = sc.ptype[ptr]
    c = sc.pc[ptr]
    cyl = hit & (pt == 1)
    N[cyl] = np.c_[P[cyl, :2] - c[cyl, :2], np.zeros(cyl.sum())]
    sph = hit & (pt == 2)
    N[sph] = P[sph] - c[sph]
    N /= np.maximum(np.linalg.norm(N, axis=1, keepdims=True), 1e-12)
    N[~hit] = [0, 0, 1]
    return N


def _occluded(scene, o, d):
    mi, dr = _mi()
    occ = scene.ray_test(mi.Ray3f(mi.Point3f(o[:, 0], o[:, 1], o[:, 2]),
                                  mi.Vector3f(d[:, 0], d[:, 1], d[:, 2])))
    return np.array(occ)


def _rand(ids, salt):
    """A per-shape pseudo-random number in [0, 1) (stable across runs)."""
    h = (ids.astype(np.int64) + 1) * 2654435761 + salt * 40503
    h = (h ^ (h >> 15)) * 2246822519
    h = h ^ (h >> 13)
    return ((h & 0xFFFFFF) / float(0x1000000)).astype(np.float32)


def _mode(lab4):
    """Most frequent class of each pixel's sub-samples (ties: lowest id)."""
    h, a, w, b = lab4.shape
    x = lab4.transpose(0, 2, 1, 3).reshape(h, w, a * b)
    cnt = (x[..., None] == np.arange(len(CLASSES), dtype=np.uint8)).sum(2)
    return cnt.argmax(2).astype(np.uint8)


def _sun_dir(p):
    el, az = np.radians(p["sun_elevation"]), np.radians(p["sun_azimuth"])
    return np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def _sky(d, sun, p):
    zen, hor = np.array(p["sky_zenith"]), np.array(p["sky_horizon"])
    h = np.clip(d[:, 2], 0, 1)[:, None] ** 0.5
    c = hor * (1 - h) + zen * h
    cs = np.clip(np.sum(d * sun, 1), 0, 1)[:, None]
    return c + np.array(p["sun_color"]) * (0.4 * cs ** 8 + 4.0 * (cs > 0.9995))


def _sample_light(rng):
    """Sun direction and sky: clear, hazy, overcast or low sun."""
    kind = rng.choice(["clear", "hazy", "overcast", "low"], p=[0.45, 0.2, 0.2, 0.15])
    el = {"low": rng.uniform(5, 15)}.get(kind, rng.uniform(15, 70))
    if kind == "clear":
        zen, hor, sc, ss, amb = [0.15, 0.3, 0.75], [0.55, 0.7, 0.9], [1.0, 0.95, 0.85], 2.2, 0.9
    elif kind == "hazy":
        zen, hor, sc, ss, amb = [0.35, 0.45, 0.65], [0.75, 0.78, 0.8], [1.0, 0.93, 0.8], 1.4, 1.0
    elif kind == "overcast":
        zen, hor, sc, ss, amb = [0.55, 0.57, 0.6], [0.75, 0.75, 0.76], [1.0, 1.0, 1.0], 0.2, 1.5
    else:
        zen, hor, sc, ss, amb = [0.2, 0.3, 0.6], [0.95, 0.6, 0.35], [1.0, 0.6, 0.3], 1.8, 0.8
    jit = np.exp(rng.normal(0, 0.08, 3))
    return dict(sky=str(kind), sun_elevation=float(el), sun_azimuth=float(rng.uniform(0, 360)),
                sky_zenith=[float(v) for v in np.array(zen) * jit],
                sky_horizon=[float(v) for v in np.array(hor) * jit],
                sun_color=sc, sun_strength=float(ss * rng.uniform(0.85, 1.15)),
                ambient=float(amb * rng.uniform(0.8, 1.2)),
                haze_dist=float(rng.uniform(250, 1500) if kind != "hazy" else rng.uniform(120, 300)),
                exposure=float(rng.uniform(0.8, 1.2)))


def sample_params(scene: StreetScene, seed, index: int) -> dict:
    """The view of image ``index`` of ``scene`` for the set seed ``seed`` (deterministic)."""
    rng = np.random.default_rng([int(seed), sum(map(ord, scene.name)), int(index)])
    return scene.sample_params(rng)


def colorize(label):
    return PALETTE[label]


def class_counts(label):
    return np.bincount(np.asarray(label).ravel(), minlength=len(CLASSES))
