"""One worker of the two-process MultiWorkerMirroredStrategy test (test_multi_worker.py).

Usage: TF_CONFIG=... python tests/training/multi_worker_task.py MODEL_DIR OUTPUT.npz [STEPS]

Builds a tiny dcgan Experiment under MultiWorkerMirroredStrategy (the cluster and this task come
from $TF_CONFIG), records every variable, trains with loop.train, and writes OUTPUT.npz with
"step", "initial/<group>/<i>" (the variables before training) and "final/<group>/<i>" (after),
for the groups generator, discriminator, ema_generator, g_optimizer and d_optimizer.

$EXTRA_GIN holds bindings added to the tiny config. With $HANG_AT_STEP, this worker stops calling
the train step (sleeping in Python, alive, its heartbeats going on) once it reaches that step.

Each worker seeds its own random state differently (from its task index), so equal weights
after training also show that the strategy broadcast worker 0's initial values. A preempted run
(SIGTERM) prints Preempted's message and exits with the CLI's status for it.
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
from tiny_run import TINY_RUN  # noqa: E402  (run as a script: its folder is on sys.path)

from compare_gan_tf.errors import Preempted  # noqa: E402
from compare_gan_tf.main import PREEMPTED_STATUS  # noqa: E402
from compare_gan_tf.training import loop  # noqa: E402
from compare_gan_tf.training.experiment import Experiment  # noqa: E402

CONFIG = (
    TINY_RUN
    + """
make_strategy.kind = "multi_worker"
train.sample_steps = 3
"""
)


def variables(gan):
    """{"<group>/<i>": array} over every variable a checkpoint holds."""
    groups = {
        "generator": gan.generator.weights,
        "discriminator": gan.discriminator.weights,
        "ema_generator": gan.ema.average.weights,
        "g_optimizer": gan.g_optimizer.variables,
        "d_optimizer": gan.d_optimizer.variables,
    }
    return {
        f"{group}/{i:04d}": np.asarray(v.numpy())
        for group, values in groups.items()
        for i, v in enumerate(values)
    }


def hang_at(experiment, step):
    """From `step` on, the next call of the train step sleeps for an hour first."""
    gan = experiment.gan
    train_steps = gan.train

    def train(iterator, steps):
        if int(gan.step.numpy()) >= step:
            time.sleep(3600)
        return train_steps(iterator, steps)

    gan.train = train


def main(model_dir, output, steps=3):
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    keras.utils.set_random_seed(1000 + int(task["index"]))
    gin.parse_config(CONFIG + os.environ.get("EXTRA_GIN", ""))
    experiment = Experiment()
    if "HANG_AT_STEP" in os.environ:
        hang_at(experiment, int(os.environ["HANG_AT_STEP"]))
    initial = variables(experiment.gan)
    try:
        loop.train(model_dir, training_steps=steps, experiment=experiment)
    except Preempted as preempted:
        print(preempted, file=sys.stderr, flush=True)
        sys.exit(PREEMPTED_STATUS)
    final = variables(experiment.gan)
    np.savez(
        output,
        step=np.int64(experiment.gan.step.numpy()),
        replicas=np.int64(experiment.strategy.num_replicas_in_sync),
        **{f"initial/{k}": v for k, v in initial.items()},
        **{f"final/{k}": v for k, v in final.items()},
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], *(int(a) for a in sys.argv[3:]))
