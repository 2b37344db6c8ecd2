"""Images/s that tf.data delivers, against the images/s a train step consumes at batch 64.

Datasets (make_dataset, "train" split, batch 64, 32 px, shuffled and repeated as in training):
digits (scikit-learn's, in memory); a folder of generated 32 px RGB PNGs in a temp dir (cached
in memory after the first pass by default, and with cache=False, decoding every image every
time); cifar10 from tensorflow_datasets.testing.mock_data (random examples that TFDS generates,
not files). A step consumes disc_iters * batch = 64 real images, so it needs 64 / step seconds.
"""

import tempfile

import numpy as np

from benchmarks import common, train_step

SPEED_RATIO_LIMIT = 10.0


def write_pngs(folder, count, size=32):
    """`count` random RGB PNGs of size x size px in `folder`."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for index in range(count):
        pixels = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(f"{folder}/image_{index:05d}.png")


def images_per_second(dataset, batches, warmup):
    """Images/s of iterating `dataset` for `batches` batches after `warmup` batches."""
    iterator = iter(dataset)
    for _ in range(warmup):
        next(iterator)

    def read():
        count = 0
        for _ in range(batches):
            count += int(next(iterator)[0].shape[0])
        return count

    count, seconds = common.timed(read)
    return {"batches": batches, "images_per_second": count / seconds}


def run(quick=False, step_seconds=None, step_batch_size=None):
    """`step_seconds`: sndcgan step time at `step_batch_size` (measured here when not given)."""
    import tensorflow_datasets as tfds

    from compare_gan_tf.data import make_dataset

    batch = common.BATCH_SIZE
    images, batches, warmup = (128, 10, 3) if quick else (2048, 200, 40)
    if step_seconds is None:
        measured = train_step.measure("sndcgan", quick)
        step_seconds, step_batch_size = measured["step_seconds"], measured["batch_size"]
    step_batch_size = step_batch_size or batch
    # Real images a train step consumes per second (1 D update per step reads one batch).
    consumed = step_batch_size / step_seconds
    results = {
        "batch_size": batch,
        "step_seconds": step_seconds,
        "step_batch_size": step_batch_size,
        "step_images_per_second": consumed,
        "datasets": {},
    }
    with tempfile.TemporaryDirectory() as folder, tfds.testing.mock_data(num_examples=images):
        write_pngs(folder, images)
        pipelines = {
            "digits": lambda: make_dataset("digits", "train", batch),
            "folder_pngs_cached": lambda: make_dataset(
                f"folder:{folder}", "train", batch, resolution=32
            ),
            "folder_pngs_decoded": lambda: make_dataset(
                f"folder:{folder}", "train", batch, resolution=32, cache=False
            ),
            "tfds_mock_cifar10": lambda: make_dataset("cifar10", "train", batch),
        }
        for name, make in pipelines.items():
            measured = images_per_second(make(), batches, warmup)
            # Pipeline images/s over the images/s the step consumes.
            measured["ratio_to_step"] = measured["images_per_second"] / consumed
            results["datasets"][name] = measured
    results["folder_images"] = images
    targets = [
        common.target(
            f"{name} images/s / step images/s",
            r["ratio_to_step"],
            SPEED_RATIO_LIMIT,
            ">=",
            meaning="input pipeline at least 10x faster than a batch-64 sndcgan step consumes",
        )
        for name, r in results["datasets"].items()
    ]
    notes = ["TFDS cifar10 is mock data (generated examples), not the prepared TFRecords."]
    return common.payload("input_pipeline", quick, results, targets, notes)


def table(results):
    rows = [["source", "images/s", "x step"]]
    rows.append(["train step (consumes)", results["step_images_per_second"], 1.0])
    for name, r in results["datasets"].items():
        rows.append([name, r["images_per_second"], r["ratio_to_step"]])
    return rows


if __name__ == "__main__":
    common.main("input_pipeline", run, table)
