"""Per-loop and per-checkpoint hooks of the training loop, and the two every run has.

A hook is any object with these methods (both optional); the loop calls them in order:
- `after_loop(run)`: after each compiled loop of steps, before any checkpoint is
  saved at that step (so state a hook changes, e.g. standing BN statistics, is saved with it).
- `after_checkpoint(run, path)`: after checkpoint `run.step` is saved; `path` is None on the
  tasks of a cluster that do not write model_dir. Every task calls it, since work such as
  recomputing the EMA generator's statistics is collective.
`run` is the loop's RunState: experiment, model_dir, step, previous_step, metrics,
steps_per_second, chief, writer, and `crossed(interval)` (whether the last loop reached a
multiple of `interval` steps).
"""

import dataclasses

import tensorflow as tf
from absl import logging
from tensorboard.plugins.custom_scalar import metadata as custom_scalar_metadata

from compare_gan_tf.training.checkpoints import writing_to
from compare_gan_tf.training.monitor import (
    TAG_PREFIX,
    singular_value_layout,
    singular_value_names,
    top_singular_value_summaries,
)
from compare_gan_tf.training.sampling import write_sample_grid

# Metrics that are not loss terms, and their TensorBoard group.
SUMMARY_GROUPS = {"d_real": "logits", "d_fake": "logits", "r_t": "logits", "ada_p": "augmentation"}


@dataclasses.dataclass
class RunState:
    """What the loop knows after a compiled loop of steps; hooks read it."""

    experiment: object
    model_dir: str
    training_steps: int
    chief: bool
    writer: object
    step: int = 0
    previous_step: int = 0
    metrics: dict = dataclasses.field(default_factory=dict)
    steps_per_second: float = 0.0

    def crossed(self, interval):
        """Whether the last loop reached a multiple of `interval` or the final step (0 or None:
        never)."""
        if not interval:
            return False
        return self.step // interval > self.previous_step // interval or (
            self.step == self.training_steps
        )


class Summaries:
    """Losses, logits, learning rates, steps/s and (every `singular_value_steps`) the top
    singular values of every kernel (BigGAN section 4), to model_dir/train.

    Each summary loop writes them all with one call of a compiled program (two traces: with and
    without singular values), which computes the singular values under the strategy, on the
    replicas' own copies of the kernels. Only the chief writes summaries.
    """

    def __init__(self, summary_steps, singular_value_steps):
        self.summary_steps = summary_steps
        self.singular_value_steps = singular_value_steps
        self._program = None

    def after_loop(self, run):
        if not run.chief or not run.crossed(self.summary_steps):
            return
        if self._program is None:
            self._program = SummaryProgram(run.experiment.gan, run.writer)
            with writing_to(run.model_dir), run.writer.as_default():
                # Custom scalars: a layer's top values on one chart (TensorBoard reads the latest).
                write_layout(singular_value_layout(self._program.singular_value_names))
        metrics = {name: tf.constant(value, tf.float32) for name, value in run.metrics.items()}
        with writing_to(run.model_dir):
            self._program(
                tf.constant(run.step, tf.int64),
                metrics,
                tf.constant(run.steps_per_second, tf.float32),
                with_singular_values=run.crossed(self.singular_value_steps),
            )


class SummaryProgram:
    """Writes one loop's summaries in one compiled call (and flushes them)."""

    def __init__(self, gan, writer):
        self.gan, self.writer = gan, writer
        self.models = (("generator", gan.generator), ("discriminator", gan.discriminator))
        self.singular_value_names = [
            name for prefix, model in self.models for name in singular_value_names(model, prefix)
        ]
        self._write = tf.function(self._write_all)

    def __call__(self, step, metrics, steps_per_second, with_singular_values):
        self._write(step, metrics, steps_per_second, with_singular_values)

    def _singular_values(self):
        """Each replica decomposes its own copies of the kernels; the first replica's values
        are written (the copies are equal)."""

        def decompose():
            values = {}
            for prefix, model in self.models:
                values.update(top_singular_value_summaries(model, prefix))
            return values

        strategy = self.gan.strategy
        values = strategy.run(decompose)
        return {name: strategy.experimental_local_results(v)[0] for name, v in values.items()}

    def _write_all(self, step, metrics, steps_per_second, with_singular_values):
        gan = self.gan
        with self.writer.as_default(step=step):
            for name, value in metrics.items():
                tf.summary.scalar(f"{SUMMARY_GROUPS.get(name, 'losses')}/{name}", value)
            tf.summary.scalar("steps_per_second", steps_per_second)
            optimizers = (("generator", gan.g_optimizer), ("discriminator", gan.d_optimizer))
            for name, optimizer in optimizers:
                tf.summary.scalar(f"learning_rate/{name}", optimizer.learning_rate)
            if with_singular_values:
                for name, value in self._singular_values().items():
                    tf.summary.scalar(f"{TAG_PREFIX}/{name}", value)
            self.writer.flush()


class Samples:
    """Every `sample_steps`: a grid (images) or scatter plot (points) in model_dir/samples,
    and the same picture in TensorBoard."""

    def __init__(self, sample_steps):
        self.sample_steps = sample_steps

    def after_loop(self, run):
        if not run.crossed(self.sample_steps):
            return
        kind = run.experiment.kind
        # OSError only: the PNG writes raise it; an OpError here is sampling's, not disk's.
        with writing_to(run.model_dir, errors=OSError):
            path, samples = write_sample_grid(
                run.experiment.gan, kind, run.model_dir, run.step, write_files=run.chief
            )
        with run.writer.as_default(step=run.step):
            kind.summarize_samples(samples)
        if path:
            logging.debug("Step %d: wrote %s.", run.step, path)


def write_layout(layout):
    """Writes a custom-scalars layout to the default writer (TensorBoard reads the latest)."""
    tf.summary.write(
        custom_scalar_metadata.CONFIG_SUMMARY_TAG,
        tf.constant(layout.SerializeToString()),
        step=0,
        metadata=custom_scalar_metadata.create_summary_metadata(),
    )


def call_hooks(hooks, method, *arguments):
    """Calls `method` of every hook that has it, in order."""
    for hook in hooks:
        function = getattr(hook, method, None)
        if function is not None:
            function(*arguments)
