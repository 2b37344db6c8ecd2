"""Smoke test of an installed compare_gan_tf (CI runs it on a second Python version).

Trains the default digits config shrunk to a few steps, exports the generator, loads it back
with tensorflow_hub and checks the images it draws; then does the same with the module that
ships in the package. Run it from outside the checkout so that the installed package is the one
imported:

    cd "$(mktemp -d)" && VENV/bin/python CHECKOUT/.ci/smoke.py
"""

import os
import sys
import tempfile
import time

# Before TensorFlow loads: its C++ start-up lines are noise here.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

RESOLUTION = 32
STEPS = 4
BATCH_SIZE = 8
# The embedded default with 4-channel layers and a batch of 8: seconds per step on a CPU.
TINY_BINDINGS = [
    f"Experiment.batch_size = {BATCH_SIZE}",
    "sndcgan_generator.ch = 4",
    "sndcgan_discriminator.ch = 4",
    f"train.training_steps = {STEPS}",
    "train.steps_per_loop = 2",
    f"train.save_checkpoints_steps = {STEPS}",
    "train.summary_steps = 2",
    "train.singular_value_steps = 0",
    "train.sample_steps = 0",
]


def check(condition, message):
    if not condition:
        sys.exit(f"smoke test failed: {message}")


def check_images(images, batch_size, what):
    """Images from a generator module: [B, 32, 32, 3] float32 in [0, 1], finite, not constant."""
    import numpy as np

    images = np.asarray(images)
    check(images.shape == (batch_size, RESOLUTION, RESOLUTION, 3), f"{what}: shape {images.shape}")
    check(images.dtype == np.float32, f"{what}: dtype {images.dtype}")
    check(np.isfinite(images).all(), f"{what}: non-finite values")
    check(images.min() >= 0.0 and images.max() <= 1.0, f"{what}: values outside [0, 1]")
    check(images.std() > 0.0, f"{what}: every pixel has the same value")


def main():
    started = time.monotonic()
    import numpy as np
    import tensorflow_hub as hub

    import compare_gan_tf
    from compare_gan_tf.pretrained import shipped_module_path

    print(f"Python {sys.version.split()[0]}, compare_gan_tf from {compare_gan_tf.__file__}")
    with tempfile.TemporaryDirectory() as model_dir:
        compare_gan_tf.run(model_dir, ["digits_sndcgan.gin"], TINY_BINDINGS, ["train", "export"])
        trained = time.monotonic()
        print(f"trained {STEPS} steps and exported in {trained - started:.0f} s")

        module = hub.load(os.path.join(model_dir, "hub", "generator"))
        check(int(module.step.numpy()) == STEPS, f"exported step {module.step.numpy()}")
        z = np.random.default_rng(0).standard_normal((BATCH_SIZE, int(module.z_dim.numpy())))
        labels = np.arange(BATCH_SIZE, dtype=np.int32) % int(module.num_classes.numpy())
        check_images(module(z.astype(np.float32), labels)["generated"], BATCH_SIZE, "module(z)")
        check_images(module.sample(BATCH_SIZE, 1.0, 0)["generated"], BATCH_SIZE, "module.sample")

    shipped = hub.load(shipped_module_path())
    digits = np.arange(10, dtype=np.int32)
    check_images(shipped.sample(10, float("inf"), 0, digits)["generated"], 10, "shipped module")
    card = os.path.join(os.path.dirname(shipped_module_path()), "digits_sndcgan.md")
    check(os.path.isfile(card), f"the model card {card} is not installed")
    seconds = time.monotonic() - started
    print(f"smoke test passed on Python {sys.version.split()[0]} in {seconds:.0f} s")


if __name__ == "__main__":
    main()
