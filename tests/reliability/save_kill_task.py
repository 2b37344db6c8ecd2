"""A tiny run that checkpoints every step with slow saves, for the kill-during-save test.

Usage: python -m tests.reliability.save_kill_task MODEL_DIR STEPS

Every checkpoint also holds a 64 MB ballast variable, so writing one takes long enough for a
SIGKILL to land inside it. Prints "saving N" before and "saved N" after each save (flushed).
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import tensorflow as tf  # noqa: E402
from absl import logging  # noqa: E402

from compare_gan_tf.training import checkpoints, loop  # noqa: E402
from compare_gan_tf.training.gan import GAN  # noqa: E402
from tests.training.tiny_run import TINY_RUN  # noqa: E402

BALLAST_FLOATS = 16 * 1024 * 1024


def with_ballast(checkpoint_items):
    ballast = tf.Variable(tf.zeros([BALLAST_FLOATS]), trainable=False, name="ballast")

    def items(gan):
        return {**checkpoint_items(gan), "ballast": ballast}

    return items


def announced(save):
    def save_and_announce(manager, model_dir, step):
        print(f"saving {step}", flush=True)
        path = save(manager, model_dir, step)
        print(f"saved {step}", flush=True)
        return path

    return save_and_announce


def main(model_dir, steps):
    logging.use_absl_handler()  # "Resumed from ..." on stderr, as under the CLI
    logging.set_verbosity(logging.INFO)
    gin.parse_config(TINY_RUN + "train.sample_steps = 0\ntrain.singular_value_steps = 0\n")
    GAN.checkpoint_items = with_ballast(GAN.checkpoint_items)
    checkpoints.save = announced(checkpoints.save)
    loop.train(model_dir, training_steps=steps)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
