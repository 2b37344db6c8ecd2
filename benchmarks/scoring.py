"""Scoring costs: FID from features against scipy's sqrtm, extractor throughput, peak memory.

1. FID of two 10,000 x 2048 random feature sets: compare_gan_tf's fid_from_features (float64,
   eigenvalue-based trace term) against the TTUR reference (np.cov, scipy.linalg.sqrtm):
   values, times, relative difference.
2. Images/s of the shipped digits classifier (32 px) and of the library's InceptionV3 extractor
   with random weights (keras.applications.InceptionV3(weights=None), 299 px, resized from
   32 px): a stand-in of the same size as the real FID Inception network, whose file is not here.
3. Peak memory of scoring 50,000 samples' 2048-d features per set: features are generated in
   batches into preallocated arrays (no images held), in a child process, measured with
   /proc/self/status (VmRSS, VmHWM) and tracemalloc.
"""

import json
import pathlib
import subprocess
import sys
import time

import numpy as np

from benchmarks import common

FID_SPEEDUP_LIMIT = 5.0
FID_RELATIVE_LIMIT = 1e-4


def random_features(num, dim, seed, shift=0.0):
    """Correlated Gaussian features [num, dim] (float32), like real extractor outputs."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((dim, dim)).astype(np.float32) / np.sqrt(dim)
    return (rng.standard_normal((num, dim)).astype(np.float32) + shift) @ mixing


def reference_fid(real, fake):
    """TTUR's calculate_frechet_distance (Heusel et al. 2017, fid.py) with np.cov and sqrtm.

    (TTUR passes disp=False, which SciPy has deprecated; the result is the same.)
    """
    from scipy import linalg

    mu1, sigma1 = real.mean(axis=0), np.cov(real, rowvar=False)
    mu2, sigma2 = fake.mean(axis=0), np.cov(fake, rowvar=False)
    start = time.perf_counter()
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    covmean = covmean.real
    sqrt_seconds = time.perf_counter() - start
    diff = mu1 - mu2
    fid = diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)
    return float(fid), sqrt_seconds


def fid_comparison(num, dim, repeats):
    from compare_gan_tf.metrics import feature_statistics, fid_from_features, trace_sqrt_product

    real = random_features(num, dim, 0)
    fake = random_features(num, dim, 1, shift=0.1)
    ours, ours_seconds = common.timed(lambda: fid_from_features(real, fake))
    ours_times = [ours_seconds]
    for _ in range(repeats - 1):
        ours_times.append(common.timed(lambda: fid_from_features(real, fake))[1])
    (reference, sqrtm_seconds), reference_seconds = common.timed(lambda: reference_fid(real, fake))
    _, sigma1 = feature_statistics(real)
    _, sigma2 = feature_statistics(fake)
    trace_seconds = common.median_time(lambda: trace_sqrt_product(sigma1, sigma2), repeats, 0)
    ours_median = float(np.median(ours_times))
    return {
        "num_samples": num,
        "dim": dim,
        "fid_ours": ours,
        "fid_reference": reference,
        # |ours - reference| / reference on the same features.
        "relative_difference": abs(ours - reference) / abs(reference),
        # Seconds of the whole FID from features (statistics + trace term), median.
        "ours_seconds": ours_median,
        "reference_seconds": reference_seconds,
        # Reference FID seconds / ours: how many times faster ours is end to end.
        "speedup": reference_seconds / ours_median,
        # The matrix square-root term alone: scipy sqrtm vs our eigenvalue trace.
        "sqrtm_seconds": sqrtm_seconds,
        "ours_trace_sqrt_seconds": trace_seconds["median"],
        "trace_term_speedup": sqrtm_seconds / trace_seconds["median"],
    }


def throughput(extract, num_images, repeats):
    """Images/s of extract(images [num_images, 32, 32, 3] in [0, 1]), after one warm-up call."""
    images = np.random.default_rng(0).random((num_images, 32, 32, 3), dtype=np.float32)
    timing = common.median_time(lambda: extract(images), repeats, warmup=1)
    return {"images": num_images, "images_per_second": num_images / timing["median"]}


def extractor_throughput(quick):
    from compare_gan_tf.metrics.digits_classifier import digits_classifier
    from compare_gan_tf.metrics.keras_extractors import KerasInceptionV3Extractor

    digits = digits_classifier()
    inception = KerasInceptionV3Extractor(weights=None, batch_size=32)
    return {
        "digits_classifier": throughput(digits, 256 if quick else 4096, 1 if quick else 3),
        "inception_v3_stand_in_299px": {
            **throughput(inception, 4 if quick else 128, 1 if quick else 2),
            "note": "keras InceptionV3, random weights, 299 px: the size of the FID network",
        },
    }


def _status_kib(field):
    """A field of /proc/self/status in KiB: VmRSS (resident now) or VmHWM (its peak).

    Not getrusage's ru_maxrss: Linux carries the parent's peak over exec into it.
    """
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def memory_child(num, dim, batch=1000):
    """Prints JSON: peak memory of FID on two [num, dim] feature sets generated in batches."""
    import tracemalloc

    from compare_gan_tf.metrics import fid_from_features

    rng = np.random.default_rng(0)
    baseline_kib = _status_kib("VmRSS")
    tracemalloc.start()
    sets = []
    for shift in (0.0, 0.1):
        features = np.empty((num, dim), np.float32)
        for start in range(0, num, batch):
            rows = min(batch, num - start)
            features[start : start + rows] = rng.standard_normal((rows, dim), np.float32) + shift
        sets.append(features)
    fid, seconds = common.timed(lambda: fid_from_features(*sets))
    _, traced_peak = tracemalloc.get_traced_memory()
    peak_kib = _status_kib("VmHWM")
    mib = 1024**2
    result = {
        "num_samples": num,
        "dim": dim,
        "fid": fid,
        "fid_seconds": seconds,
        "features_mib": 2 * num * dim * 4 / mib,
        # Peak resident memory of the process, and that peak minus the resident memory after
        # the imports (before any feature was made).
        "peak_rss_mib": peak_kib / 1024,
        "peak_rss_increase_mib": (peak_kib - baseline_kib) / 1024,
        # Peak of the Python/numpy allocations during generation and scoring.
        "tracemalloc_peak_mib": traced_peak / mib,
    }
    print(json.dumps(result))


def memory(num, dim):
    code = f"from benchmarks.scoring import memory_child; memory_child({num}, {dim})"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=common.ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick=False):
    fid = fid_comparison(*((1000, 256, 1) if quick else (10000, 2048, 3)))
    results = {
        "fid": fid,
        "extractors": extractor_throughput(quick),
        "memory": memory(*((2000, 256) if quick else (50000, 2048))),
    }
    targets = [
        common.target(
            "FID speedup over scipy sqrtm reference",
            fid["speedup"],
            FID_SPEEDUP_LIMIT,
            ">=",
            meaning="reference seconds / ours, FID from the same features",
        ),
        common.target(
            "FID relative difference to reference",
            fid["relative_difference"],
            FID_RELATIVE_LIMIT,
            "<=",
            meaning="|ours - reference| / reference",
        ),
    ]
    notes = [
        "The Inception throughput is that of keras InceptionV3 with random weights at 299 px "
        "through the library's KerasInceptionV3Extractor (same size as the FID network, whose "
        "file is not shipped); it is a stand-in, not the real network.",
    ]
    return common.payload("scoring", quick, results, targets, notes)


def table(results):
    fid, memory_result = results["fid"], results["memory"]
    rows = [
        ["FID ours / reference", fid["fid_ours"], fid["fid_reference"]],
        ["FID seconds ours / reference", fid["ours_seconds"], fid["reference_seconds"]],
        ["trace term seconds ours / sqrtm", fid["ours_trace_sqrt_seconds"], fid["sqrtm_seconds"]],
        ["relative difference", fid["relative_difference"], ""],
    ]
    for name, r in results["extractors"].items():
        rows.append([f"{name} images/s", r["images_per_second"], ""])
    size = f"{memory_result['num_samples']} x {memory_result['dim']}"
    rows.append([f"memory {size}: features MiB", memory_result["features_mib"], ""])
    rows.append([f"memory {size}: tracemalloc peak MiB", memory_result["tracemalloc_peak_mib"], ""])
    rows.append(
        [f"memory {size}: peak RSS increase MiB", memory_result["peak_rss_increase_mib"], ""]
    )
    return rows


if __name__ == "__main__":
    common.main("scoring", run, table)
