"""Layer demo on the shipped digits: spectrally normalized vs unconstrained discriminators.

Two small projection discriminators built from the library's layers learn to tell scikit-learn's
handwritten digits from the same images with their pixels shuffled. The demo reports held-out
accuracy and the top singular values of every effective kernel: with SN they stay at 1.
"""

import json
import os
import time

import keras
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_digits

from compare_gan_tf.layers import (
    DiscriminatorResBlock,
    ProjectionHead,
    SpectralNormalization,
    top_singular_values,
)


def digits_16px():
    """scikit-learn's 1,797 digits upsampled 8 -> 16 px, in [-1, 1], NHWC, with labels."""
    digits = load_digits()
    images = digits.images / 16.0 * 2.0 - 1.0
    images = np.repeat(np.repeat(images, 2, axis=1), 2, axis=2)
    return images[..., None].astype("float32"), digits.target.astype("int32")


def shuffled_pixels(images, rng):
    """Each image with its pixels permuted: same intensities, no strokes."""
    flat = images.reshape(len(images), -1).copy()
    for row in flat:
        rng.shuffle(row)
    return flat.reshape(images.shape)


def build_discriminator(spectral_norm, num_classes=10):
    images = keras.Input((16, 16, 1))
    labels = keras.Input((), dtype="int32")
    h = DiscriminatorResBlock(32, optimized=True, spectral_norm=spectral_norm)(images)
    h = DiscriminatorResBlock(64, spectral_norm=spectral_norm)(h)
    # Miyato & Koyama 2018: ReLU, then global sum pooling, then the projection head.
    features = keras.layers.Lambda(lambda x: tf.reduce_sum(tf.nn.relu(x), axis=[1, 2]))(h)
    logits = ProjectionHead(num_classes, spectral_norm=spectral_norm)(features, labels)
    return keras.Model([images, labels], logits, name=f"discriminator_{spectral_norm}")


def effective_kernels(model):
    """(name, kernel as used in the forward pass) for every weight matrix of `model`."""
    wrappers = [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, SpectralNormalization)
    ]
    if wrappers:
        return [(wrapper.layer.path, wrapper.normalized_kernel()) for wrapper in wrappers]
    return [
        (variable.path, variable) for variable in model.trainable_variables if variable.ndim >= 2
    ]


def train(model, images, labels, fakes, steps, batch_size, rng):
    optimizer = keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9)

    @tf.function
    def step(real, fake, y):
        with tf.GradientTape() as tape:
            # Hinge loss (Lim & Ye 2017) on real vs shuffled digits.
            real_logits = model([real, y], training=True)
            fake_logits = model([fake, y], training=True)
            loss = tf.reduce_mean(tf.nn.relu(1 - real_logits)) + tf.reduce_mean(
                tf.nn.relu(1 + fake_logits)
            )
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for _ in range(steps):
        batch = rng.choice(len(images), batch_size, replace=False)
        loss = step(images[batch], fakes[batch], labels[batch])
    return float(loss)


def accuracy(model, images, labels, fakes):
    real = model([images, labels], training=False).numpy() > 0
    fake = model([fakes, labels], training=False).numpy() <= 0
    return float(np.concatenate([real, fake]).mean())


def run(model_dir, steps=150, batch_size=64, seed=0):
    """Trains both discriminators, prints a table and writes layer_demo.json in `model_dir`."""
    os.makedirs(model_dir, exist_ok=True)
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    images, labels = digits_16px()
    fakes = shuffled_pixels(images, rng)
    order = rng.permutation(len(images))
    train_rows, test_rows = order[:1500], order[1500:]

    results = {}
    for mode in ("none", "sn"):
        model = build_discriminator(mode)
        start = time.time()
        loss = train(
            model,
            images[train_rows],
            labels[train_rows],
            fakes[train_rows],
            steps,
            batch_size,
            rng,
        )
        results[mode] = {
            "final_hinge_loss": loss,
            "held_out_accuracy": accuracy(
                model, images[test_rows], labels[test_rows], fakes[test_rows]
            ),
            "seconds": time.time() - start,
            "top3_singular_values": {
                name: [float(s) for s in top_singular_values(kernel, k=3)]
                for name, kernel in effective_kernels(model)
            },
        }

    path = os.path.join(model_dir, "layer_demo.json")
    with open(path + ".tmp", "w") as f:
        json.dump({"steps": steps, "batch_size": batch_size, "results": results}, f, indent=2)
    os.replace(path + ".tmp", path)  # never leave a half-written file
    print(format_table(results))
    print(f"Wrote {path}")
    return results


def format_table(results):
    lines = ["spectral_norm  held-out acc  largest singular value per layer"]
    for mode, result in results.items():
        sigmas = " ".join(f"{v[0]:.3f}" for v in result["top3_singular_values"].values())
        lines.append(f"{mode:<14} {result['held_out_accuracy']:<13.3f} {sigmas}")
    return "\n".join(lines)
