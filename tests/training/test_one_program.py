"""The TPU shape of a training loop: every G step is one `strategy.run` that holds all of the
step's variable updates (D updates, G update, step count, EMA), under one device and under
MirroredStrategy, for one and five D updates per G step.

The Python code of `GAN.train` runs once, when it is traced; the test records, during that
trace, every `strategy.run` call and every variable assignment, and whether the assignment
happened inside a `strategy.run` (the replicas' threads run while the caller is inside it).
"""

import contextlib

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.python.distribute import values
from tensorflow.python.ops import resource_variable_ops

from compare_gan_tf.training.experiment import build_gan

BATCH = 8
_ASSIGNMENTS = ("assign", "assign_add", "assign_sub")


class _Recorder:
    """Counts strategy.run calls and assignments made inside and outside them."""

    def __init__(self):
        self.runs = 0
        self.depth = 0
        self.inside, self.outside = [], []

    def wrap_run(self, run):
        def counted(*args, **kwargs):
            self.runs += 1
            self.depth += 1
            try:
                return run(*args, **kwargs)
            finally:
                self.depth -= 1

        return counted

    def wrap_assignment(self, method):
        def recorded(variable, *args, **kwargs):
            (self.inside if self.depth else self.outside).append(variable)
            return method(variable, *args, **kwargs)

        return recorded


@contextlib.contextmanager
def _recording(strategy, recorder):
    """Patches strategy.run and the assignment methods of Keras, TensorFlow and distributed
    variables, on every class that defines its own."""
    patches = [(type(strategy), "run", recorder.wrap_run(type(strategy).run))]
    leaves = (keras.Variable, resource_variable_ops.ResourceVariable, values.MirroredVariable)
    for cls in {base for leaf in leaves for base in leaf.__mro__}:
        for name in _ASSIGNMENTS:
            if name in cls.__dict__:
                patches.append((cls, name, recorder.wrap_assignment(cls.__dict__[name])))
    originals = [(cls, name, cls.__dict__.get(name)) for cls, name, _ in patches]
    try:
        for cls, name, function in patches:
            setattr(cls, name, function)
        yield
    finally:
        for cls, name, original in originals:
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)


def _gan(strategy, disc_iters):
    return build_gan(
        "sndcgan",
        32,
        num_classes=3,
        channels=1,
        batch_size=BATCH,
        strategy=strategy,
        disc_iters=disc_iters,
        generator_options=dict(ch=4),
        discriminator_options=dict(ch=4),
    )


def _iterator(gan):
    images = tf.random.stateless_uniform([BATCH, 32, 32, 1], [1, 2], minval=-1.0, maxval=1.0)
    labels = tf.constant([0, 1, 2, 0, 1, 2, 0, 1])
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    return iter(gan.strategy.experimental_distribute_dataset(dataset))


@pytest.mark.parametrize(
    "strategy_name, disc_iters",
    [
        ("default", 1),
        ("default", 5),
        ("mirrored", 1),
        # About two minutes on 2 cores: four replicas trace ten D updates.
        pytest.param("mirrored", 5, marks=pytest.mark.slow),
    ],
)
def test_each_step_is_one_strategy_run_holding_every_update(
    strategy_name, disc_iters, mirrored_strategy
):
    strategy = mirrored_strategy if strategy_name == "mirrored" else tf.distribute.get_strategy()
    gan = _gan(strategy, disc_iters)
    assert gan.ema.decay > 0  # EMA on
    ema_before = [v.numpy() for v in gan.ema.average.trainable_weights]
    recorder = _Recorder()
    with _recording(strategy, recorder):
        gan.train(_iterator(gan), tf.constant(3))  # traces (Python runs once) and runs 3 steps
    # One strategy.run before the loop (the first step) and one in the loop's body.
    assert recorder.runs == 2
    assert recorder.outside == []
    assigned = {id(v) for v in recorder.inside}
    # The step counter, G's and D's optimizers and the EMA generator are all updated inside.
    for variable in (gan.step, gan.g_optimizer.iterations, gan.d_optimizer.iterations):
        assert id(variable) in assigned
    assert any(id(v) in assigned for v in gan.ema.average.trainable_weights)
    # Each strategy.run is one G step: 3 steps advanced the count by 3 and D by 3 * disc_iters.
    assert int(gan.step.numpy()) == 3
    assert int(gan.d_optimizer.iterations.numpy()) == 3 * disc_iters
    assert int(gan.g_optimizer.iterations.numpy()) == 3
    moved = [
        np.max(np.abs(v.numpy() - b)) for v, b in zip(gan.ema.average.trainable_weights, ema_before)
    ]
    assert max(moved) > 0
