"""Reads the scalar summaries a run wrote, for tests that check its TensorBoard events."""

import os

import tensorflow as tf


def event_scalars(directory):
    """{tag: {step: value}} of the TensorBoard scalars written under `directory`."""
    scalars = {}
    for path in tf.io.gfile.glob(os.path.join(directory, "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "scalars":
                    number = float(tf.make_ndarray(value.tensor))
                    scalars.setdefault(value.tag, {})[event.step] = number
    return scalars
