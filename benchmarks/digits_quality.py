"""Quality of exported digits generators: what README's first command ships, measured.

For each hub module: 1,500 samples (150 per class, untruncated z from the module's prior),
scored with the shipped digits classifier's features against the 1,500 training digits:
FID, improved precision and recall (k=3), and a memorization ratio: the median distance (32 px
pixels in [0, 1]) from a sample to its nearest training digit, divided by the same median for
the 297 held-out real digits. A copy of the training set scores near 0; a generator as novel as
held-out data scores near 1. The held-out digits themselves are scored too, as the reference.

    python -m benchmarks.digits_quality --inputs='{"modules": {"seed0": "runs/s0/hub/generator"}}'
"""

import numpy as np

from benchmarks import common

PER_CLASS = 150
NUM_CLASSES = 10
TARGETS = {"fid": 20.6, "recall": 0.5, "memorization_ratio": 0.7}


def _real(split):
    from compare_gan_tf.data import make_dataset

    batches = make_dataset("digits", split, 500, resolution=32, shuffle=False, repeat=False)
    images, labels = zip(*((x.numpy(), y.numpy()) for x, y in batches))
    return (np.concatenate(images) + 1.0) / 2.0, np.concatenate(labels)


def _samples(handle, seed):
    import tensorflow as tf
    import tensorflow_hub as hub

    module = hub.load(handle)
    labels = tf.constant(np.repeat(np.arange(NUM_CLASSES), PER_CLASS), tf.int32)
    outputs = module.sample(len(labels), float("inf"), seed, labels)
    images = outputs["generated"].numpy()
    channels = int(module.channels.numpy())
    return images[..., :channels] if channels == 1 else images


def _median_nearest_distance(images, training):
    flat_training = training.reshape(len(training), -1).astype(np.float64)
    flat = images.reshape(len(images), -1).astype(np.float64)
    squared_training = (flat_training**2).sum(axis=1)
    nearest = []
    for start in range(0, len(flat), 250):
        block = flat[start : start + 250]
        distances = (block**2).sum(axis=1)[:, None] - 2 * block @ flat_training.T
        distances += squared_training[None, :]
        nearest.append(np.sqrt(np.maximum(distances.min(axis=1), 0.0)))
    return float(np.median(np.concatenate(nearest)))


def score(images, training_images, training_features, held_out_median, extractor):
    from compare_gan_tf.metrics import fid_from_features, improved_precision_recall

    features = extractor(images)["features"]
    precision_recall = improved_precision_recall(training_features, features, k=3)
    median = _median_nearest_distance(images, training_images)
    return {
        "fid": float(fid_from_features(training_features, features)),
        "precision": float(precision_recall.precision),
        "recall": float(precision_recall.recall),
        "median_nearest_training_distance": median,
        "memorization_ratio": median / held_out_median,
    }


def run(quick=False, modules=None, seed=0):
    from compare_gan_tf.metrics.digits_classifier import DigitsClassifier

    extractor = DigitsClassifier()
    training_images, _ = _real("train")
    held_out_images, _ = _real("eval")
    training_features = extractor(training_images)["features"]
    held_out_median = _median_nearest_distance(held_out_images, training_images)
    results = {
        "held_out_real_digits": score(
            held_out_images, training_images, training_features, held_out_median, extractor
        )
    }
    targets = []
    for name, handle in (modules or {}).items():
        results[name] = score(
            _samples(handle, seed), training_images, training_features, held_out_median, extractor
        )
        for metric, limit in TARGETS.items():
            comparison = "<=" if metric == "fid" else ">="
            targets.append(
                common.target(f"{name} {metric}", results[name][metric], limit, comparison)
            )
    notes = [
        f"{PER_CLASS} samples per class, untruncated z, module.sample seed {seed}; references: "
        "the 1,500 training digits (classifier features for FID and recall, 32 px pixels for "
        "the nearest-neighbour distances)."
    ]
    return common.payload("digits_quality", quick, results, targets, notes)


def table(results):
    rows = [
        [name, row["fid"], row["precision"], row["recall"], row["memorization_ratio"]]
        for name, row in results.items()
    ]
    return [["module", "FID", "precision", "recall", "memorization"], *rows]


if __name__ == "__main__":
    common.main("digits_quality", run, table)
