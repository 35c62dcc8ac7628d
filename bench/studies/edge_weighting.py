"""Which field under the autocorrelation map carries a long curve's extent: the plain gradient, the
gradient weighted towards straight edges or normalised by its local contrast, the second difference,
or the gradient at half resolution.

A blurred straight edge's gradient, along the edge's normal, is the kernel's projection on that normal,
whatever the kernel's shape: its autocorrelation is a ridge of about 1/L per lag out to the projected
extent L, as a straight blur's is. A blurred texture's gradient correlates as the kernel with itself,
which for a long thin curve is a peak at lag 0 and a skirt of about 1/L^2 (Experiment 24). The plain
whole-image map sums both, and the texture's peak sets the codes' scale, so the edges' ridges drown.
The candidates: each pixel's gradient weighted by the coherence of the local structure tensor (keeps
edges, one orientation in the window; suppresses texture, many), or divided by the local gradient
energy (every region counts alike, not only the highest-contrast edges); the second difference, which
turns the two turning points of a smooth path's projection into spikes one extent apart; the gradient
of the 2 x 2 block means (lags twice as long, noise halved). And one input that is not a map at all:
the widths of the gradient profiles across the image's strong straight edges (``edge_profiles``), alone
and beside the plain map's features.

A learned reader, the same for every candidate, measures what each map carries: gradient-boosted trees
(scikit-learn) on per-lag profiles of the int8 codes (the largest and the mean |code| over dy per dx,
and over dx per dy) learn the log of the axis's extent. Photos: crops of the Kodak24 training photos
(never the test sets: this chooses an input), the first 12 photos to fit, the last 4 to score. Kernels:
the evaluation's families (``model/evaluation/families.py``: line, arc, hand) and the training
generator's paths (shake), the larger side uniform over 3..95 px, 1 % noise, the host's top-up. Printed
per family: the relative error of the reader fitted on all four families, and of one fitted without
that family (leave one family out), beside the constant guess (the median training extent).

    .venv/bin/python -m bench.studies.edge_weighting [--data ../shared/data] [--per-family 200] [--cache F.npz]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import ndimage

from blurgauge.model.data import splits
from blurgauge.model.data.blur import blur_image
from blurgauge.model.data.reference import natural_images, resolve_data_root
from blurgauge.model.evaluation.families import family_kernel
from blurgauge.model.inputs.images import load_gray
from blurgauge.model.inputs.noise import seeded_by, top_up_noise
from blurgauge.model.inputs.preprocess import PATCH_SIZE, _scaled_codes, autocorrelation

FAMILIES = ("line", "arc", "hand", "shake")
#: The blurry crop's size (rows, cols): the largest that the 500 x 500 photos hold with a 95-px kernel.
CROP = (384, 384)
FIT_PHOTOS = 12
SIZES = (3, 95)

Weighting = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
Field = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
#: Both axes' feature vectors of one image.
Reader = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def gradients(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward differences along x and y of an 8-bit image, cropped to one (rows - 1, cols - 1) grid."""
    img = np.asarray(image, dtype=np.float64)
    return np.diff(img, axis=1)[:-1, :], np.diff(img, axis=0)[:, :-1]


def coherence(gx: np.ndarray, gy: np.ndarray, sigma: float) -> np.ndarray:
    """((l1 - l2) / (l1 + l2))^2 of the structure tensor smoothed by a Gaussian of ``sigma`` px:
    1 where the window holds one gradient orientation, 0 where every orientation is equally strong."""
    jxx = ndimage.gaussian_filter(gx * gx, sigma)
    jyy = ndimage.gaussian_filter(gy * gy, sigma)
    jxy = ndimage.gaussian_filter(gx * gy, sigma)
    return ((jxx - jyy) ** 2 + 4 * jxy**2) / np.maximum((jxx + jyy) ** 2, 1e-12)


def plain(gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return gx, gy


def coherent(sigma: float) -> Weighting:
    def field(gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w = coherence(gx, gy, sigma)
        return gx * w, gy * w
    return field


def contrast_normalised(sigma: float) -> Weighting:
    def field(gx: np.ndarray, gy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        energy = ndimage.gaussian_filter(gx * gx + gy * gy, sigma)
        # 4 gray levels^2 keeps flat regions finite; it is well below the 1 % floor's own gx^2 + gy^2 (about 26).
        w = 1.0 / np.sqrt(energy + 4.0)
        return gx * w, gy * w
    return field


def weighted(weighting: Weighting) -> Field:
    """A field of the image: its gradients, weighted."""
    return lambda image: weighting(*gradients(image))


def second_difference_along_rows(image: np.ndarray) -> np.ndarray:
    """The second difference along the rows (x): shape (rows, cols - 2)."""
    img = np.asarray(image, dtype=np.float64)
    return img[:, 2:] - 2 * img[:, 1:-1] + img[:, :-2]


def second_difference(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The second differences along x and along y. Along an axis, a blurred straight edge's first
    difference is the kernel's projection on that axis, and a smooth curve's projection piles its light
    up at the two turning points that bound the axis's extent; the second difference turns those into
    two spikes, whose correlation is a peak at the lag of the extent itself."""
    return second_difference_along_rows(image), second_difference_along_rows(np.asarray(image).T).T


def halved(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gradients of the image's 2 x 2 block means: lags twice as long, noise halved."""
    img = np.asarray(image, dtype=np.float64)
    rows, cols = (img.shape[0] // 2) * 2, (img.shape[1] // 2) * 2
    small = img[:rows, :cols].reshape(rows // 2, 2, cols // 2, 2).mean(axis=(1, 3))
    return gradients(small)


def features(codes: np.ndarray) -> np.ndarray:
    """Per-lag profiles of one map's int8 codes (rows dy -64..63, columns dx 0..127): the largest and
    the mean |code| over dy per dx, and over dx per dy."""
    a = np.abs(codes.astype(np.float32))
    return np.concatenate([a.max(0), a.mean(0), a.max(1), a.mean(1)])


def map_reader(field: Field) -> Reader:
    """Both axes' features of the whole-image autocorrelation map of a field."""
    def read(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        fx, fy = field(image)
        return (features(_scaled_codes(autocorrelation(fx, PATCH_SIZE))),
                features(_scaled_codes(autocorrelation(np.ascontiguousarray(fy.T), PATCH_SIZE))))
    return read


#: Edge profiles: half-width of the profile window along the axis, half-height of the band averaged along
#: the edge, the most edges kept per image, the structure tensor's scale, and the least share of the
#: window's gradient energy along the axis for an edge to count as across it.
EDGE_REACH, EDGE_BAND, EDGE_COUNT, EDGE_SIGMA, EDGE_ALIGN = 64, 8, 300, 4.0, 0.8
#: Mass shares whose central spans measure a profile's width, and the width histogram's bins.
EDGE_SHARES = (0.5, 0.8, 0.9)
EDGE_BINS = np.arange(0, 2 * EDGE_REACH + 8, 8)
#: A first difference's energy from the host's 1 % noise floor, in gray levels squared: 2 x 2.55^2.
NOISE_GRADIENT_ENERGY = 2 * 2.55**2
#: The noise's standard deviation in a profile averaged over the band's rows.
BAND_NOISE = float(np.sqrt(NOISE_GRADIENT_ENERGY / (2 * EDGE_BAND + 1)))


def edge_profiles(image: np.ndarray) -> np.ndarray:
    """What the image's edges across the rows say of the kernel's extent along them: features of the
    widths of the gradient profiles across strong edges whose normal lies along the rows.

    A blurred straight edge's gradient along its normal is the kernel's projection on that normal,
    whatever the kernel's shape, so the span that holds most of the profile's mass is the projected
    extent. Edges: the strongest local maxima of |gx| along a row where the structure tensor (sigma 4)
    puts at least 80 % of its energy above the noise floor's along the rows, away from the borders; each
    profile is gx over +-64 px, averaged over +-8 rows along the edge, signed so that the edge's own lobe
    is positive, less one standard deviation of the averaged noise. Per profile, the central span holding
    50, 80 and 90 % of what stays positive, and the support (the run around the edge above twice the
    noise); features: the 10/25/50/75/90 % quantiles of each span over the edges, the histogram of the
    90 % span (bins of 8 px) and the number of edges."""
    gx, gy = gradients(image)
    # The structure tensor less the noise floor's own gradient energy per axis (2 sigma^2 of a first
    # difference): a long blur's faint gradient would otherwise look like isotropic noise.
    jxx = ndimage.gaussian_filter(gx * gx, EDGE_SIGMA) - NOISE_GRADIENT_ENERGY
    jyy = np.maximum(ndimage.gaussian_filter(gy * gy, EDGE_SIGMA) - NOISE_GRADIENT_ENERGY, 0.0)
    along = jxx / np.maximum(jxx + jyy, 1e-12)
    strength = np.abs(gx)
    peak = ((strength >= ndimage.maximum_filter1d(strength, 2 * EDGE_BAND + 1, axis=1)) & (along >= EDGE_ALIGN)
            & (jxx > 0.3 * NOISE_GRADIENT_ENERGY))
    peak[: EDGE_BAND + 1, :] = False
    peak[-EDGE_BAND - 1 :, :] = False
    peak[:, : EDGE_REACH + 1] = False
    peak[:, -EDGE_REACH - 1 :] = False
    rows, cols = np.nonzero(peak)
    order = np.argsort(-strength[rows, cols])[:EDGE_COUNT]
    spans = []
    for r, c in zip(rows[order], cols[order], strict=True):
        band = gx[r - EDGE_BAND : r + EDGE_BAND + 1, c - EDGE_REACH : c + EDGE_REACH + 1].mean(axis=0)
        signed = band * np.sign(band[EDGE_REACH])
        mass = np.clip(signed - BAND_NOISE, 0.0, None)
        cum = np.cumsum(mass) / max(float(mass.sum()), 1e-12)
        # The support: the run around the edge above twice the noise, gaps of up to 4 px bridged (where a
        # path dwells, the mass spans miss the faint rest of it).
        runs, _ = ndimage.label(ndimage.binary_closing(signed > 2 * BAND_NOISE, np.ones(5, bool)))
        support = int(np.count_nonzero(runs == runs[EDGE_REACH])) if runs[EDGE_REACH] else 0
        spans.append([*(np.searchsorted(cum, 0.5 + q / 2) - np.searchsorted(cum, 0.5 - q / 2) + 1
                        for q in EDGE_SHARES), support])
    spans_a = np.array(spans, dtype=np.float64).reshape(-1, len(EDGE_SHARES) + 1)
    quantiles = (np.percentile(spans_a, [10, 25, 50, 75, 90], axis=0).ravel() if len(spans_a)
                 else np.full(5 * (len(EDGE_SHARES) + 1), np.nan))
    hist = np.histogram(spans_a[:, -1], EDGE_BINS)[0] / max(len(spans_a), 1)
    return np.concatenate([quantiles, hist, [len(spans_a)]]).astype(np.float32)


def edge_reader(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return edge_profiles(image), edge_profiles(np.ascontiguousarray(np.asarray(image).T))


def map_and_edges(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    maps, edges = map_reader(weighted(plain))(image), edge_reader(image)
    return np.concatenate([maps[0], edges[0]]), np.concatenate([maps[1], edges[1]])


CANDIDATES: dict[str, Reader] = {
    "plain gradient": map_reader(weighted(plain)),
    "coherence-weighted (sigma 4)": map_reader(weighted(coherent(4.0))),
    "contrast-normalised (sigma 16)": map_reader(weighted(contrast_normalised(16.0))),
    "second difference": map_reader(second_difference),
    "gradient at half resolution": map_reader(halved),
    "edge profiles": edge_reader,
    "plain gradient + edge profiles": map_and_edges,
}


def sample(photo: np.ndarray, family: str, rng: np.random.Generator,
           readers: dict[str, Reader]) -> list[tuple[np.ndarray, ...]]:
    """One blurry crop: per axis (extent, one feature vector per reader)."""
    fk = family_kernel(family, int(rng.integers(SIZES[0], SIZES[1] + 1)), rng)
    kh, kw = fk.kernel.shape
    top = int(rng.integers(0, photo.shape[0] - CROP[0] - kh + 2))
    left = int(rng.integers(0, photo.shape[1] - CROP[1] - kw + 2))
    sharp = photo[top : top + CROP[0] + kh - 1, left : left + CROP[1] + kw - 1]
    blurred = blur_image(sharp, fk.kernel, rng, 0.01)
    topped = top_up_noise(blurred, 0.01, seeded_by(blurred))
    width_feats, height_feats = [], []
    for read in readers.values():
        w, h = read(topped)
        width_feats.append(w)
        height_feats.append(h)
    return [(fk.width, *width_feats), (fk.height, *height_feats)]


def draw(photos: list[np.ndarray], per_family: int, seed: int,
         readers: dict[str, Reader]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """(extents, family index, [features per reader]) of ``per_family`` crops per family, two axes each."""
    rng = np.random.default_rng(seed)
    extents, fams, feats = [], [], [[] for _ in readers]
    for f, family in enumerate(FAMILIES):
        for i in range(per_family):
            for extent, *per_reader in sample(photos[i % len(photos)], family, rng, readers):
                extents.append(extent)
                fams.append(f)
                for c, v in enumerate(per_reader):
                    feats[c].append(v)
    return np.array(extents, float), np.array(fams), [np.array(v) for v in feats]


def relative_error(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean(np.abs(estimate - truth) / truth))


#: Axis extents scored, as the evaluation's families score them (3..95 px), and the two halves of that.
SCORED = {"3-95 px": (3, 95), "3-19 px": (3, 19), "20-95 px": (20, 95)}


def main(argv: list[str] | None = None) -> int:
    from sklearn.ensemble import HistGradientBoostingRegressor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="reference data folder (default ../shared/data)")
    parser.add_argument("--per-family", type=int, default=200, help="fitting crops per family (default 200)")
    parser.add_argument("--cache", default=None, help="an .npz that keeps the drawn features between runs")
    parser.add_argument("--only", nargs="+", choices=list(CANDIDATES), default=list(CANDIDATES),
                        help="the candidates to measure (default all)")
    args = parser.parse_args(argv)
    readers = {name: CANDIDATES[name] for name in args.only}
    cache = Path(args.cache) if args.cache else None
    if cache is not None and cache.exists():
        with np.load(cache) as z:
            if "names" not in z.files:
                raise SystemExit(f"{cache}: written without the inputs' names; name another cache file")
            cached = list(z["names"])
            missing = [name for name in readers if name not in cached]
            if missing:
                raise SystemExit(f"{cache}: drawn without {', '.join(missing)}; name another cache file")
            fit_y, fit_f, test_y, test_f = z["fit_y"], z["fit_f"], z["test_y"], z["test_f"]
            fit_x = [z[f"fit_x{cached.index(name)}"] for name in readers]
            test_x = [z[f"test_x{cached.index(name)}"] for name in readers]
    else:
        root = resolve_data_root(args.data)
        paths = [p for p in natural_images(root, (splits.KODAK_FOLDER,)) if p.name in splits.KODAK_TRAIN]
        # Portrait photos turned to landscape, so that every crop fits.
        photos = [g if g.shape[0] <= g.shape[1] else np.ascontiguousarray(g.T) for g in map(load_gray, paths)]
        fit_y, fit_f, fit_x = draw(photos[:FIT_PHOTOS], args.per_family, 1, readers)
        test_y, test_f, test_x = draw(photos[FIT_PHOTOS:], max(args.per_family // 4, 8), 2, readers)
        if cache is not None:
            np.savez(cache, names=np.array(list(readers)), fit_y=fit_y, fit_f=fit_f, test_y=test_y, test_f=test_f,
                     **{f"fit_x{c}": x for c, x in enumerate(fit_x)}, **{f"test_x{c}": x for c, x in enumerate(test_x)})
    constant = float(np.median(fit_y[fit_y >= SCORED["3-95 px"][0]]))

    def reader(x: np.ndarray, y: np.ndarray) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(max_iter=300, learning_rate=0.05, random_state=0).fit(x, np.log(y))

    print(f"relative error of the axis extent, boosted trees on each input's features; {len(fit_y)} axes to fit "
          f"(Kodak24 photos 1-{FIT_PHOTOS}), {len(test_y)} to score (photos {FIT_PHOTOS + 1}-16), axes of "
          f"3..95 px scored; each cell: the reader fitted on all four families / fitted without that family")
    print("| family | axes | constant guess | " + " | ".join(readers) + " |")
    print("| --- | --- | ---: | " + " | ".join("---:" for _ in readers) + " |")
    all_fits = [reader(x, fit_y) for x in fit_x]
    for f, family in enumerate(FAMILIES):
        held = [reader(x[fit_f != f], fit_y[fit_f != f]) for x in fit_x]
        for label, (low, high) in SCORED.items():
            where = (test_f == f) & (test_y >= low) & (test_y <= high)
            cells = []
            for c in range(len(readers)):
                both = relative_error(np.exp(all_fits[c].predict(test_x[c][where])), test_y[where])
                out = relative_error(np.exp(held[c].predict(test_x[c][where])), test_y[where])
                cells.append(f"{both:.1%} / {out:.1%}")
            print(f"| {family} | {label} ({where.sum()}) | "
                  f"{relative_error(np.full(where.sum(), constant), test_y[where]):.1%} | " + " | ".join(cells) + " |",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
