"""Host-to-device launches per training loop, and the step time with and without XLA.

Launches: the real training loop (`loop.train`) of a small DCGAN on 32 px digits, 5 steps per
loop, with summaries, singular values and a sample grid at every loop; every eager execution
the host starts is counted (one compiled-function call or one single op), through TensorFlow's
op callbacks, over the loops after the first (which traces). Step time: GAN.train of a small
DCGAN (ch 16, batch 32, 32 px RGB, hinge, Adam) with GAN.jit_compile off and on.
--quick: 2 steps per loop and 3 timed calls.
"""

import collections
import tempfile

from benchmarks import common

STEPS_PER_LOOP, LOOPS = 5, 4
TINY_DCGAN = """
dataset.name = "digits"
dataset.resolution = 32
Experiment.architecture = "dcgan"
Experiment.batch_size = 8
Experiment.z_dim = 8
dcgan_generator.ch = 4
dcgan_discriminator.ch = 4
train.save_checkpoints_steps = 0
"""


class _Launches:
    """Counts eager executions by op type (a compiled function's type is its name)."""

    def __init__(self):
        self.counts = collections.Counter()

    def __call__(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if graph is None:  # eager: the host launches it; graph ops are being traced
            self.counts[op_type.decode() if isinstance(op_type, bytes) else op_type] += 1


class _Snapshots:
    """A hook that records the launch counts at the end of every loop."""

    def __init__(self, launches):
        self.launches, self.snapshots = launches, []

    def after_loop(self, run):
        self.snapshots.append(collections.Counter(self.launches.counts))


def _is_function(op_type):
    return op_type.startswith("__inference")


def launches_per_loop(steps_per_loop):
    """Mean launches of the loops after the first, split into function calls and single ops."""
    import gin
    from tensorflow.python.framework import op_callbacks

    from compare_gan_tf.training import loop

    gin.clear_config()
    gin.parse_config(TINY_DCGAN)
    launches = _Launches()
    snapshots = _Snapshots(launches)
    op_callbacks.add_op_callback(launches)
    try:
        with tempfile.TemporaryDirectory() as model_dir:
            loop.train(
                model_dir,
                hooks=[snapshots],
                training_steps=steps_per_loop * LOOPS,
                steps_per_loop=steps_per_loop,
                summary_steps=steps_per_loop,
                singular_value_steps=steps_per_loop,
                sample_steps=steps_per_loop,
            )
    finally:
        op_callbacks.remove_op_callback(launches)
        gin.clear_config()
    loops = len(snapshots.snapshots) - 1
    steady = snapshots.snapshots[-1] - snapshots.snapshots[0]
    functions = {name: n / loops for name, n in steady.items() if _is_function(name)}
    ops = {name: n / loops for name, n in steady.items() if not _is_function(name)}
    return {
        "steps_per_loop": steps_per_loop,
        "loops_counted": loops,
        "launches_per_loop": sum(steady.values()) / loops,
        "function_calls_per_loop": sum(functions.values()),
        "single_ops_per_loop": sum(ops.values()),
        "functions": functions,
        "most_frequent_single_ops": dict(collections.Counter(ops).most_common(12)),
    }


def step_seconds(jit_compile, quick):
    """Seconds per GAN.train step of the small DCGAN, XLA on or off."""
    gan = common.build_gan(
        "dcgan",
        32,
        generator_options=dict(ch=16),
        discriminator_options=dict(ch=16),
        jit_compile=jit_compile,
    )
    timing = common.time_train_step(
        gan, 3 if quick else 7, steps_per_call=5, batch_size=32, max_seconds=60
    )
    return {"jit_compile": jit_compile, "step_seconds": timing["median"], "timing": timing}


def run(quick=False, xla=True):
    """`xla=False` skips the step timings (the launch count runs on any version of the loop)."""
    results = {"launches": launches_per_loop(2 if quick else STEPS_PER_LOOP)}
    if xla:
        results["step"] = {str(flag): step_seconds(flag, quick) for flag in (False, True)}
    notes = [
        "A launch is one eager execution started by the host: one call of a compiled function "
        "or one single op (variable reads, summary writes and the like included)."
    ]
    return common.payload("launches", quick, results, notes=notes)


def table(results):
    launches = results["launches"]
    rows = [
        ["launches per loop", launches["launches_per_loop"]],
        ["function calls per loop", launches["function_calls_per_loop"]],
        ["single ops per loop", launches["single_ops_per_loop"]],
    ]
    for flag, r in results.get("step", {}).items():
        rows.append([f"step s, jit_compile={flag}", r["step_seconds"]])
    return rows


if __name__ == "__main__":
    common.main("launches", run, table)
