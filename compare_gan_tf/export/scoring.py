"""Scores an exported generator (a hub module) against its dataset, like a checkpoint.

The module's metadata names the dataset and resolution; samples come from its `sample`
function, so the module's own prior and truncation are what gets scored.
"""

import json

import tensorflow_hub as hub

from compare_gan_tf import data
from compare_gan_tf.data.preprocessing import to_unit_range

# Imported for their gin configurables (digits_classifier.*, inception.*), which tools bind.
from compare_gan_tf.metrics import digits_classifier, inception  # noqa: F401
from compare_gan_tf.metrics.evaluator import Evaluator


def module_generate(module, truncation=None):
    """The evaluator's `generate(draw, batch_index, batch_size)` over `module.sample`."""
    threshold = float("inf") if truncation is None else float(truncation)

    def generate(draw, index, batch_size):
        # One seed per (draw, batch): draws are independent, reruns identical.
        outputs = module.sample(batch_size, threshold, draw * 1_000_003 + index)
        labels = outputs.get("labels")
        return outputs["generated"].numpy(), None if labels is None else labels.numpy()

    return generate


def module_dataset(handle):
    """The dataset name in a module's metadata ("" when it has none)."""
    return json.loads(hub.load(handle).metadata.numpy()).get("dataset", "")


def score_hub_module(handle, evaluator=None, dataset=None, data_dir=None, truncation=None):
    """Scores the generator module at `handle`; returns (scores, settings).

    `dataset` defaults to the one in the module's metadata; real images come from the
    evaluator's reference split at the module's resolution.
    """
    module = hub.load(handle)
    evaluator = evaluator or Evaluator()
    name = dataset or json.loads(module.metadata.numpy()).get("dataset")
    if not name:
        raise ValueError(
            f"The module at {handle} does not name its dataset; pass dataset= (a name of "
            "compare_gan_tf.data.dataset_names() or folder:PATH)."
        )
    real = data.make_dataset(
        name,
        evaluator.reference_split,
        evaluator.batch_size,
        data_dir=data_dir,
        resolution=int(module.resolution.numpy()),
        shuffle=False,
        repeat=False,
    )
    reference = evaluator.reference_features(
        (to_unit_range(images).numpy(), labels.numpy()) for images, labels in real
    )
    scores = evaluator.score(reference, module_generate(module, truncation))
    settings = {
        **evaluator.settings(),
        "module": str(handle),
        "dataset": name,
        "truncation": truncation,
    }
    return scores, settings
