"""Per training loop: host-to-device dispatches, strategy.run calls per step and host reads;
and the step time with and without XLA on one and two replicas.

The counts come from the real training loop (`loop.train`) of a tiny digits DCGAN (32 px,
batch 8, ch 4, GAN.disc_iters = 2), STEPS_PER_LOOP steps per loop, with every hook firing at
every loop: summaries with singular values, and a sample grid. The checkpoint is saved only
after the last step, outside the counted loops. Every count is taken from the end of the first
loop (which traces) to the end of the last one, over LOOPS - 1 loops, and divided by them:

- Dispatches: every eager execution the host starts, counted by a TensorFlow op callback
  (`op_callbacks.add_op_callback`; calls made while a graph is being traced are left out),
  split into calls of compiled functions (op types `__inference_*`) and single eager ops.
- strategy.run per step: the strategy's `run` is wrapped on the GAN's strategy object. When a
  call is traced into a compiled function, the wrapper adds an increment of a counter
  variable to that graph, in front of the call, so the counter counts the executions of the
  call site at run time: the call before GAN.train's tf.range loop once, the one in its body
  once per iteration. The counter of calls traced into GAN.train, divided by the G steps
  run, is strategy.run per step; calls from other programs (singular values, sampling) are
  counted per loop apart. The call sites seen while tracing GAN.train are reported too (the
  first step and the loop's body: twice the calls of one step). Eager calls are counted in
  Python. (Counting call sites while tracing and dividing by the sites per step would be
  exact here too, but only because the loop's body is traced once; the counter does not
  depend on how the loop is written.)
- Host reads: tensors copied to Python, counted while the loop runs. The methods that copy an
  eager tensor's value (`numpy`, `__float__`, `__int__`, `__bool__`, `__index__`, and also
  `__array__` and `tolist`) of `ops._EagerTensorBase` are patched, and the same methods of
  TensorFlow's and Keras's variable classes (which read through the tensor's); each outermost
  call is one read, attributed to a variable when it came through a variable's method, and to
  the package function that made it. TensorFlow's own reads count too: an eager summary
  write reads its should-record flag (`smart_cond` on an eager tensor).

Step time: GAN.train of a small DCGAN (ch 16, batch 32, 32 px RGB, hinge, Adam, disc_iters 2)
on synthetic inputs (common.time_train_step, 5 steps per call), GAN.jit_compile off and on,
on the default strategy (one replica) and on MirroredStrategy over two logical CPU devices.
Logical devices must be configured before TensorFlow initializes, so every configuration runs
in its own process; with two replicas G's cross-replica batch norm is off (gin's
`batch_norm.generator_cross_replica = False`) for both XLA settings, as XLA cannot compile
cross-replica sums on CPUs. A version that refuses a configuration is recorded as refused.
ROUNDS rounds, each running every configuration once; the step time is the median over the
rounds of each process's median (7 calls of 5 steps after one untimed call). With another
checkout, the two are run in turn for every configuration (who goes first alternates by
round), and this checkout's records also hold the median of the per-round ratios of its step
time to the other's. Every process records the 1-minute load average before and after.

  python -m benchmarks.launches [--quick]
  python -m benchmarks.launches --inputs '{"other": "/path/to/other/checkout",
      "other_out": "benchmarks/results/launches_before.json"}'

The second form measures this checkout and another (which must hold this same file) in turn,
round-robin, configuration by configuration, and writes both JSON files.
--quick: 2 steps per loop, 3 loops, 1 round of 2 timed calls of 2 steps.
"""

import collections
import inspect
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time

from benchmarks import common
from tests.training.tiny_run import TINY_RUN

STEPS_PER_LOOP, LOOPS = 5, 4
DISC_ITERS = 2
ROUNDS = 5
# (replicas, jit_compile) of the step timings.
CONFIGURATIONS = ((1, False), (1, True), (2, False), (2, True))
# The trainer tests' tiny run; the loop's settings are passed to loop.train below.
TINY_DCGAN = (
    TINY_RUN
    + f"""
GAN.disc_iters = {DISC_ITERS}
train.save_checkpoints_steps = 0
"""
)
TENSOR_READS = ("numpy", "__float__", "__int__", "__bool__", "__index__", "__array__", "tolist")
PACKAGE = "compare_gan_tf"


# --- Counting -------------------------------------------------------------------------------


class _Dispatches:
    """Counts eager executions by op type (a compiled function's type is its name)."""

    def __init__(self):
        self.counts = collections.Counter()

    def __call__(self, op_type, inputs, attrs, outputs, op_name=None, graph=None):
        if graph is None:  # eager: the host dispatches it; graph ops are being traced
            self.counts[op_type.decode() if isinstance(op_type, bytes) else op_type] += 1


def _caller():
    """Where a read came from: "path:function" of the innermost package frame (comprehensions
    skipped), else the innermost frame outside TensorFlow, Keras, NumPy and this file."""
    frame = sys._getframe(2)
    fallback = None
    while frame is not None:
        path = frame.f_code.co_filename.replace(os.sep, "/")
        if f"/{PACKAGE}/" in path and not frame.f_code.co_name.startswith("<"):  # comprehension
            return f"{PACKAGE}/{path.rsplit(f'/{PACKAGE}/', 1)[1]}:{frame.f_code.co_name}"
        outside = not any(f"/{name}/" in path for name in ("tensorflow", "keras", "numpy"))
        if fallback is None and outside and not path.endswith("benchmarks/launches.py"):
            fallback = f"{pathlib.Path(path).name}:{frame.f_code.co_name}"
        frame = frame.f_back
    return fallback or "unknown"


class _HostReads:
    """Counts the copies of tensors' values to Python while active (see the module docstring).

    `counts` is keyed by (kind, method, caller): kind "variable" when the outermost patched
    call was a variable's, else "tensor".
    """

    def __init__(self):
        self.counts = collections.Counter()
        self._depth = 0
        self._patched = []

    @staticmethod
    def _classes():
        """(class, kind): the eager tensor's base class, then every class of the variables'
        hierarchies (TensorFlow's and Keras's); those that define a TENSOR_READS method get it
        patched."""
        import keras
        from tensorflow.python.framework import ops
        from tensorflow.python.ops import resource_variable_ops

        yield ops._EagerTensorBase, "tensor"
        for cls in (resource_variable_ops.ResourceVariable, keras.Variable):
            for base in cls.__mro__:
                if base is not object:
                    yield base, "variable"

    def _wrap(self, cls, name, kind):
        original = cls.__dict__[name]

        def counted(obj, *args, **kwargs):
            if self._depth == 0:
                self.counts[(kind, f"{cls.__name__}.{name}", _caller())] += 1
            self._depth += 1
            try:
                return original(obj, *args, **kwargs)
            finally:
                self._depth -= 1

        counted.__name__ = getattr(original, "__name__", name)
        setattr(cls, name, counted)
        self._patched.append((cls, name, original))

    def __enter__(self):
        seen = set()
        for cls, kind in self._classes():
            for name in TENSOR_READS:
                member = cls.__dict__.get(name)
                if (cls, name) in seen or member is None or not callable(member):
                    continue
                seen.add((cls, name))
                self._wrap(cls, name, kind)
        return self

    def __exit__(self, *exc):
        for cls, name, original in reversed(self._patched):
            setattr(cls, name, original)
        self._patched = []


class _RunCounter:
    """Wraps `strategy.run` on one strategy object (see the module docstring)."""

    def __init__(self, strategy):
        import tensorflow as tf

        self.strategy = strategy
        self.original = strategy.run
        # Outside the strategy's scope: plain variables on the host, incremented in graphs.
        self.executed = {
            "train": tf.Variable(0, dtype=tf.int64, trainable=False),
            "other": tf.Variable(0, dtype=tf.int64, trainable=False),
        }
        self.traced = collections.Counter()  # outermost function name -> call sites traced
        self.eager = 0

    @staticmethod
    def _outermost_function():
        from tensorflow.python.framework import ops

        graph, name = ops.get_default_graph(), None
        while graph is not None:
            name = getattr(graph, "name", name)
            graph = getattr(graph, "outer_graph", None)
        return name

    def run(self, fn, args=(), kwargs=None, options=None):
        import tensorflow as tf

        if tf.executing_eagerly():
            self.eager += 1
        else:
            function = self._outermost_function()
            self.traced[function] += 1
            self.executed["train" if function == "train" else "other"].assign_add(1)
        return self.original(fn, args=args, kwargs=kwargs, options=options)

    def __enter__(self):
        self.strategy.run = self.run
        return self

    def __exit__(self, *exc):
        del self.strategy.run


class _Snapshots:
    """A hook, run after the loop's own: the counts at the end of every loop."""

    def __init__(self, dispatches, reads):
        self.dispatches, self.reads = dispatches, reads
        self.snapshots = []

    def after_loop(self, run):
        self.snapshots.append(
            (
                collections.Counter(self.dispatches.counts),
                collections.Counter(self.reads.counts),
                run.step,
            )
        )


def _is_function(op_type):
    return op_type.startswith("__inference")


def _function_name(op_type):
    """A compiled function's op type without its trace number: "__inference_train"."""
    return re.sub(r"_\d+$", "", op_type)


def _per_loop(counter, loops):
    return {name: n / loops for name, n in counter.most_common()}


def counts_per_loop(steps_per_loop, loops):
    """Dispatches, strategy.run calls and host reads of the loops after the first."""
    import gin
    from tensorflow.python.framework import op_callbacks

    from compare_gan_tf.training import loop
    from compare_gan_tf.training.experiment import Experiment

    gin.clear_config()
    gin.parse_config(TINY_DCGAN)
    try:
        experiment = Experiment()
        gan = experiment.gan
        dispatches, reads = _Dispatches(), _HostReads()
        with _RunCounter(gan.strategy) as runs, tempfile.TemporaryDirectory() as model_dir:
            snapshots = _Snapshots(dispatches, reads)
            op_callbacks.add_op_callback(dispatches)
            try:
                with reads:
                    loop.train(
                        model_dir,
                        experiment,
                        hooks=[snapshots],
                        training_steps=steps_per_loop * loops,
                        steps_per_loop=steps_per_loop,
                        summary_steps=steps_per_loop,
                        singular_value_steps=steps_per_loop,
                        sample_steps=steps_per_loop,
                    )
            finally:
                op_callbacks.remove_op_callback(dispatches)
            executed = {name: int(v.numpy()) for name, v in runs.executed.items()}
            strategy_name = type(gan.strategy).__name__
    finally:
        gin.clear_config()
    (first_ops, first_reads, first_step), (last_ops, last_reads, last_step) = (
        snapshots.snapshots[0],
        snapshots.snapshots[-1],
    )
    counted = len(snapshots.snapshots) - 1
    steps = steps_per_loop * loops  # the counter counts every loop, the first one included
    ops = last_ops - first_ops
    functions = collections.Counter()
    for name, n in ops.items():
        if _is_function(name):
            functions[_function_name(name)] += n
    singles = collections.Counter({k: n for k, n in ops.items() if not _is_function(k)})
    read_counts = last_reads - first_reads
    by_site, by_method = collections.Counter(), collections.Counter()
    for (kind, method, caller), n in read_counts.items():
        by_site[f"{caller} ({kind})"] += n
        by_method[method] += n
    variable_reads = sum(n for (kind, _, _), n in read_counts.items() if kind == "variable")
    return {
        "settings": {
            "model": "dcgan, ch 4, z_dim 8, digits at 32 px (1 channel)",
            "strategy": strategy_name,
            "batch_size": 8,
            "disc_iters": DISC_ITERS,
            "steps_per_loop": steps_per_loop,
            "loops": loops,
            "loops_counted": counted,
            "steps_counted": last_step - first_step,
            "hooks_every_loop": [
                "Summaries (losses, learning rates, steps/s, singular values)",
                "Samples (sample grid: standing statistics, samples, PNG files, TensorBoard)",
            ],
            "not_counted": "the checkpoint, saved after the last loop only",
        },
        "dispatches_per_loop": sum(ops.values()) / counted,
        "function_calls_per_loop": sum(functions.values()) / counted,
        "single_ops_per_loop": sum(singles.values()) / counted,
        "functions": _per_loop(functions, counted),
        "most_frequent_single_ops": dict(list(_per_loop(singles, counted).items())[:12]),
        "strategy_run_per_step": executed["train"] / steps,
        "strategy_run_other_per_loop": executed["other"] / loops,
        "strategy_run_eager_calls": runs.eager,
        "strategy_run_sites_traced": dict(runs.traced),
        "host_reads_per_loop": sum(read_counts.values()) / counted,
        "host_reads_of_variables_per_loop": variable_reads / counted,
        "host_reads_by_site": _per_loop(by_site, counted),
        "host_reads_by_method": _per_loop(by_method, counted),
    }


# --- Step time ------------------------------------------------------------------------------


def _build(replicas, jit_compile):
    """The timed GAN on `replicas` replicas, with disc_iters = DISC_ITERS whichever way this
    version of build_gan takes it."""
    import gin
    import tensorflow as tf

    try:
        from compare_gan_tf.training.experiment import build_gan
    except ImportError:  # the "before" checkout keeps it in training/factory.py
        from compare_gan_tf.training.factory import build_gan

    strategy = None
    if replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)]
        )
        strategy = tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(replicas)])
        # Both XLA settings and both versions: no cross-replica BN in G.
        gin.parse_config("batch_norm.generator_cross_replica = False")
    options = dict(
        generator_options=dict(ch=16),
        discriminator_options=dict(ch=16),
        jit_compile=jit_compile,
        strategy=strategy,
    )
    if "disc_iters" in inspect.signature(build_gan).parameters:
        options["disc_iters"] = DISC_ITERS
    else:  # older build_gan: GAN's gin binding
        gin.bind_parameter("GAN.disc_iters", DISC_ITERS)
    return common.build_gan("dcgan", 32, **options)


def step_seconds(replicas, jit_compile, quick):
    """Seconds per GAN.train step of the small DCGAN (run in a fresh process)."""
    load_before = os.getloadavg()[0]
    try:
        gan = _build(replicas, jit_compile)
    except Exception as error:  # the version refuses this configuration
        return {"refused": f"{type(error).__name__}: {error}"}
    timing = common.time_train_step(
        gan,
        2 if quick else 7,
        steps_per_call=2 if quick else 5,
        batch_size=32,
        max_seconds=60,
    )
    return {
        "step_seconds": timing["median"],
        "timing": timing,
        "replicas": gan.strategy.num_replicas_in_sync,
        "jit_compile": jit_compile,
        "strategy": type(gan.strategy).__name__,
        "cross_replica_bn": bool(getattr(gan.generator, "synchronized", False)),
        "disc_iters": gan.disc_iters,
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


# --- Processes ------------------------------------------------------------------------------


def _child(checkout, quick, inputs):
    """run(**inputs) of benchmarks.launches in `checkout`, in a fresh process; its results."""
    with tempfile.TemporaryDirectory() as directory:
        out = pathlib.Path(directory) / "part.json"
        command = [sys.executable, "-m", "benchmarks.launches", "--out", str(out)]
        command += ["--quick"] if quick else []
        command += ["--inputs", json.dumps(inputs)]
        env = dict(os.environ, PYTHONPATH=str(checkout))
        process = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True)
        if process.returncode or not out.exists():
            lines = process.stderr.strip().splitlines()
            return {"error": lines[-1] if lines else f"exit status {process.returncode}"}
        results = json.loads(out.read_text())["results"]
        if not results.pop("code").startswith(str(checkout)):
            raise RuntimeError(f"{checkout}: the child imported compare_gan_tf from elsewhere")
        return results


def _summarize(replicas, jit_compile, rounds):
    """One configuration's record from its rounds (each a step_seconds result)."""
    record = {"replicas": replicas, "jit_compile": jit_compile}
    refused = [r["refused"] for r in rounds if "refused" in r]
    errors = [r["error"] for r in rounds if "error" in r]
    timed = [r for r in rounds if "step_seconds" in r]
    if refused and not timed:
        return {**record, "refused": refused[0]}
    if errors and not timed:
        return {**record, "error": errors[0]}
    loads = [load for r in timed for load in r["load_average_1m"]]
    return {
        **record,
        "step_seconds": statistics.median(r["step_seconds"] for r in timed),
        "rounds": [r["step_seconds"] for r in timed],
        "load_average_1m": [min(loads), max(loads)],
        "cross_replica_bn": timed[0]["cross_replica_bn"],
        "strategy": timed[0]["strategy"],
        "first_call_seconds": [r["timing"]["first_call_seconds"] for r in timed],
        "tracing_count": [r["timing"]["tracing_count"] for r in timed],
        "errors": errors,
    }


def measure(checkouts, quick, configurations, rounds, counts=True):
    """{checkout: results}: the counts, then every timing configuration `rounds` times, the
    checkouts in turn (their order reversed every round). With two checkouts, the first one's
    records also hold its step time over the other's, round by round and their median."""
    results = {checkout: {} for checkout in checkouts}
    for checkout in checkouts if counts else ():
        per_loop = _child(checkout, quick, {"part": "counts"})
        results[checkout]["per_loop"] = per_loop.get("per_loop", per_loop)
    timings = {c: collections.defaultdict(list) for c in checkouts}
    for index in range(rounds):
        order = checkouts if index % 2 == 0 else checkouts[::-1]
        for replicas, jit_compile in configurations:
            for checkout in order:
                inputs = {"part": "step", "replicas": replicas, "jit_compile": jit_compile}
                print(f"round {index + 1}: {replicas} replicas, XLA {jit_compile}: {checkout}")
                result = _child(checkout, quick, inputs)
                timings[checkout][(replicas, jit_compile)].append(result.get("step", result))
    for checkout in checkouts:
        results[checkout]["step"] = [
            _summarize(replicas, jit_compile, runs)
            for (replicas, jit_compile), runs in timings[checkout].items()
        ]
    if len(checkouts) == 2:
        this, other = (timings[c] for c in checkouts)
        for record in results[checkouts[0]]["step"]:
            pairs = zip(*(t[record["replicas"], record["jit_compile"]] for t in (this, other)))
            ratios = [a["step_seconds"] / b["step_seconds"] for a, b in pairs if _timed(a, b)]
            if ratios:
                record["ratio_to_other"] = {
                    "median": statistics.median(ratios),
                    "per_round": ratios,
                    "other": checkouts[1],
                }
    return results


def _timed(*results):
    return all("step_seconds" in r for r in results)


def run(
    quick=False,
    part=None,
    replicas=None,
    jit_compile=None,
    configurations=CONFIGURATIONS,
    rounds=None,
    other=None,
    other_out=None,
    counts=True,
):
    """The whole benchmark (part None), or, in a fresh process, part "counts" or "step"."""
    notes = [
        "A dispatch is one eager execution started by the host: one call of a compiled "
        "function or one single op.",
        "Two replicas: MirroredStrategy over two logical CPU devices, G's cross-replica batch "
        "norm off for both XLA settings.",
    ]
    if part in ("counts", "step"):
        import compare_gan_tf

        if part == "counts":
            loops = 3 if quick else LOOPS
            results = {"per_loop": counts_per_loop(2 if quick else STEPS_PER_LOOP, loops)}
        else:
            results = {"step": step_seconds(replicas, jit_compile, quick)}
        results["code"] = str(pathlib.Path(compare_gan_tf.__file__).parent)  # which checkout
        return common.payload("launches", quick, results, notes=notes)
    rounds = rounds or (1 if quick else ROUNDS)
    configurations = [tuple(c) for c in configurations]
    here = str(common.ROOT)
    checkouts = [here] + ([str(pathlib.Path(other).resolve())] if other else [])
    start = time.perf_counter()
    measured = measure(checkouts, quick, configurations, rounds, counts)
    if other:
        data = common.payload("launches", quick, measured[checkouts[1]], notes=notes)
        data["checkout"] = checkouts[1]
        data["elapsed_seconds"] = round(time.perf_counter() - start, 2)
        path = pathlib.Path(other_out or common.RESULTS_DIR / "launches_other.json")
        common.write_json(path, data)
        print(f"wrote {path}")
        common.print_table(f"launches ({checkouts[1]})", table(data["results"]))
    data = common.payload("launches", quick, measured[here], notes=notes)
    data["checkout"] = here
    return data


def table(results):
    rows = []
    counts = results.get("per_loop")
    if counts and "error" in counts:
        rows.append(["counts", "error", counts["error"]])
    elif counts:
        rows += [
            ["dispatches per loop", counts["dispatches_per_loop"], ""],
            ["  compiled-function calls", counts["function_calls_per_loop"], ""],
            ["  single ops", counts["single_ops_per_loop"], ""],
            ["strategy.run per step", counts["strategy_run_per_step"], ""],
            ["host reads per loop", counts["host_reads_per_loop"], ""],
        ]
    steps = results.get("step", [])
    if isinstance(steps, dict):  # one configuration (part "step")
        steps = [steps]
    for r in steps:
        label = f"step s, {r.get('replicas')} replicas, XLA {r.get('jit_compile')}"
        if "step_seconds" in r:
            ratio = r.get("ratio_to_other", {}).get("median")
            ratio = "" if ratio is None else f", {ratio:.3g}x the other"
            rows.append([label, r["step_seconds"], f"load {r['load_average_1m']}{ratio}"])
        else:
            rows.append([label, r.get("refused") and "refused" or "error", ""])
    return rows or [["nothing measured", "", ""]]


if __name__ == "__main__":
    common.main("launches", run, table)
