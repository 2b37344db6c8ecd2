"""Shared benchmark helpers: timing, the machine's description, GAN steps, targets, JSON, CLI.

Every benchmark module has `run(quick=False, **inputs) -> dict` (the JSON payload) and a
command line (`python -m benchmarks.NAME [--quick] [--out FILE]`) that writes the JSON and
prints a short table. Times are wall-clock seconds; a timing is the median of its repeats.
"""

import argparse
import importlib.metadata
import json
import os
import pathlib
import platform
import statistics
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
SCHEMA_VERSION = 1
# The settings of the train-step benchmarks: batch 64 of 32 px RGB images, hinge loss, Adam.
BATCH_SIZE = 64
RESOLUTION = 32
# Shared by every target: where the numbers come from.
TARGET_SOURCE = "compare_gan_tf benchmark plan (project performance targets)"


def cpu_model():
    """The CPU's model name from /proc/cpuinfo (or platform.processor())."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def installed_version(package):
    """The installed version of `package` (without importing it), or None."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine():
    """What the numbers were measured on, including the load when the measurement started."""
    info = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for package in ("tensorflow", "keras", "numpy", "scipy", "torch"):
        info[package] = installed_version(package)
    # Thread settings change BLAS and OpenMP timings a lot on a shared machine.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        info[variable] = os.environ.get(variable)
    return info


def timed(fn):
    """(result of fn(), seconds it took)."""
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def median_time(fn, repeats, warmup=1, per=1, max_seconds=None, min_repeats=3):
    """Runs fn `warmup` times untimed, then up to `repeats` times; seconds per unit (`per` a call).

    With `max_seconds`, stops timing once that much time was spent (after `min_repeats` calls),
    which keeps slow cases within their budget. Returns {"median", "min", "max", "repeats",
    "warmup"} in seconds per unit.
    """
    for _ in range(warmup):
        fn()
    times = []
    while len(times) < repeats:
        _, seconds = timed(fn)
        times.append(seconds / per)
        spent = sum(times) * per
        if max_seconds and spent > max_seconds and len(times) >= min(min_repeats, repeats):
            break
    return {
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "repeats": len(times),
        "warmup": warmup,
    }


def target(name, value, limit, comparison, source=TARGET_SOURCE, meaning=""):
    """A target check: value <= limit (comparison "<=") or value >= limit (">="); None skips."""
    if value is None:
        passed = None
    elif comparison == "<=":
        passed = bool(value <= limit)
    elif comparison == ">=":
        passed = bool(value >= limit)
    else:
        raise ValueError(f"comparison must be '<=' or '>=', got {comparison!r}.")
    return {
        "name": name,
        "value": value,
        "limit": limit,
        "comparison": comparison,
        "pass": passed,
        "source": source,
        "meaning": meaning,
    }


# --- GAN train steps -------------------------------------------------------------------------


def count_params(model):
    """Trainable parameters of a Keras model (SN's power-iteration vectors are not trainable)."""
    return int(sum(int(v.numpy().size) for v in model.trainable_variables))


def build_gan(architecture, batch_size=BATCH_SIZE, objective=None, **factory_options):
    """An unconditional GAN (hinge loss unless `objective` says otherwise, Adam, EMA) of
    `architecture` at RESOLUTION px, from the library's gin-free factory; `factory_options` are
    build_gan's (strategy, generator_options, discriminator_options, ...)."""
    from compare_gan_tf.objectives import GANObjective
    from compare_gan_tf.training.experiment import build_gan as build

    factory_options.setdefault("resolution", RESOLUTION)
    objective = objective or GANObjective(loss="hinge")
    return build(architecture, batch_size=batch_size, objective=objective, **factory_options)


def synthetic_iterator(gan, batch_size, resolution=RESOLUTION, channels=3):
    """An endless iterator over one fixed batch of random images in [-1, 1] (no input cost)."""
    import tensorflow as tf

    images = tf.random.stateless_uniform(
        [batch_size, resolution, resolution, channels], [1, 2], minval=-1.0, maxval=1.0
    )
    labels = tf.zeros([batch_size], tf.int32)
    dataset = tf.data.Dataset.from_tensors((images, labels)).repeat()
    return iter(gan.strategy.experimental_distribute_dataset(dataset))


def time_train_step(gan, repeats, steps_per_call=1, batch_size=BATCH_SIZE, max_seconds=60):
    """Seconds per GAN.train step (disc_iters D updates + 1 G update + EMA), after a warm-up.

    Returns the median_time dict plus "first_call_seconds" (tracing + one step) and
    "tracing_count" of GAN.train (1 means the timed calls did not retrace).
    """
    import tensorflow as tf

    iterator = synthetic_iterator(gan, batch_size)
    steps = tf.constant(steps_per_call, tf.int64)

    def call():
        metrics = gan.train(iterator, steps)
        return {name: float(value) for name, value in metrics.items()}

    _, first = timed(call)
    timing = median_time(call, repeats, warmup=0, per=steps_per_call, max_seconds=max_seconds)
    timing["first_call_seconds"] = first
    timing["steps_per_call"] = steps_per_call
    timing["tracing_count"] = gan.train.experimental_get_tracing_count()
    return timing


# --- Output ----------------------------------------------------------------------------------


def payload(name, quick, results, targets=(), notes=(), elapsed=None):
    """The JSON of one benchmark: the same top-level keys for every script."""
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "quick": bool(quick),
        "machine": machine(),
        "results": results,
        "targets": list(targets),
        "notes": list(notes),
        "elapsed_seconds": elapsed,
    }


def write_json(path, data):
    from compare_gan_tf.files import plain_json_value

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=plain_json_value) + "\n")
    return path


def fmt(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_table(title, rows):
    """Prints `rows` (lists of cells) under `title` as aligned columns."""
    rows = [[fmt(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))] if rows else []
    print(f"\n== {title}")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def target_rows(targets):
    verdict = {True: "pass", False: "MISS", None: "skipped"}
    return [
        [t["name"], t["value"], f"{t['comparison']} {fmt(t['limit'])}", verdict[t["pass"]]]
        for t in targets
    ]


def main(name, run, table, argv=None):
    """The command line of a benchmark: runs it, writes the JSON, prints its table."""
    parser = argparse.ArgumentParser(description=f"benchmarks.{name}")
    parser.add_argument("--quick", action="store_true", help="tiny settings; runs in seconds")
    parser.add_argument("--out", default=str(RESULTS_DIR / f"{name}.json"), help="JSON path")
    parser.add_argument("--inputs", default=None, help="JSON of extra keyword arguments for run()")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    inputs = json.loads(args.inputs) if args.inputs else {}
    start = time.perf_counter()
    data = run(quick=args.quick, **inputs)
    data["elapsed_seconds"] = round(time.perf_counter() - start, 2)
    write_json(args.out, data)
    print_table(f"{name}{' (quick)' if args.quick else ''}", table(data["results"]))
    if data["targets"]:
        print_table(f"{name}: targets", target_rows(data["targets"]))
    for note in data["notes"]:
        print(f"note: {note}")
    print(f"wrote {args.out} ({data['elapsed_seconds']} s)")
    return data
