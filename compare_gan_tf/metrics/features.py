"""The feature-extractor interface that every scorer uses, and batched extraction.

An extractor maps images float32 [B, H, W, C] in [0, 1] (C = 1 or 3, any H, W: the extractor
resizes) to a dict {"features": [B, D], "logits": [B, K] or None}. Features feed FID, KID and
the precision/recall metrics; logits feed the Inception Score. `describe()` returns what must
be saved next to every score so numbers stay comparable: the network, its file's SHA-256, the
resize method and input size.
"""

import numpy as np


class FeatureExtractor:
    """Base class: subclasses set `name` and implement `__call__` and `describe`.

    `comparable` is False for networks whose scores must not be compared with published ones
    (keras.applications' InceptionV3 is not the network published FIDs used).
    """

    name = "extractor"
    comparable = True

    def __call__(self, images):
        raise NotImplementedError

    def describe(self):
        return {"extractor": self.name}


def check_images(images, name="images"):
    """Raises ValueError unless `images` is float [B, H, W, 1 or 3] with values in [0, 1]."""
    shape = tuple(images.shape)
    if len(shape) != 4 or shape[-1] not in (1, 3):
        raise ValueError(
            f"{name} must be [batch, height, width, 1 or 3] (NHWC), got shape {shape}; add a "
            "batch axis or convert the colour format."
        )
    array = np.asarray(images)
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"{name} must be float in [0, 1], got dtype {array.dtype}; divide uint8 images by 255."
        )
    low, high = float(array.min()), float(array.max())
    if low < -1e-3 or high > 1 + 1e-3 or not np.isfinite([low, high]).all():
        raise ValueError(
            f"{name} must lie in [0, 1], got values in [{low:.4g}, {high:.4g}]; map generator "
            "outputs in [-1, 1] with (x + 1) / 2."
        )
    return array


def pick_output(outputs, key, source):
    """outputs[key] of a model that returns a dict; ValueError naming the keys it has."""
    if key not in outputs:
        raise ValueError(
            f"{source} returned outputs {sorted(outputs)}, without {key!r}; pass a model that "
            f"returns {key!r}."
        )
    return outputs[key]


def flatten_features(tensor):
    """[batch, ...] -> float32 numpy [batch, -1] (pool_3 is [batch, 1, 1, 2048] in the graph)."""
    array = np.asarray(tensor, dtype=np.float32)
    return array.reshape(array.shape[0], -1)


def extract(extractor, batches):
    """Runs `extractor` over an iterable of image batches; returns (features, logits or None).

    Only the outputs are kept (float32 numpy), so memory grows with N x D, not with the images.
    """
    features, logits = [], []
    for batch in batches:
        outputs = extractor(check_images(batch))
        features.append(np.asarray(outputs["features"], dtype=np.float32))
        if outputs.get("logits") is not None:
            logits.append(np.asarray(outputs["logits"], dtype=np.float32))
    if not features:
        raise ValueError("No image batches to extract features from; pass at least one batch.")
    return np.concatenate(features), (np.concatenate(logits) if logits else None)
