"""Profiles the sndcgan train step: where the time goes, retracing, and copies.

Two views of steps after the warm-up call:
- the TensorFlow profiler's trace (tf.profiler.experimental, written to --logdir for
  TensorBoard's profile plugin), whose op events are summed by name to print the top ops;
- cProfile of the Python side, to show any per-step Python work.
It also reports GAN.train's tracing count (more than 1 after the warm-up means retracing) and
the trace's copy/transfer events (MemcpyHtoD, MemcpyDtoH, Send/Recv, CopyToDevice...).

  python -m benchmarks.profile_step [--quick] [--logdir DIR] [--steps N]
"""

import argparse
import collections
import cProfile
import glob
import io
import os
import pstats
import re
import tempfile

from benchmarks import common, train_step

COPY_PATTERN = re.compile(r"memcpy|copy|send|recv|transfer", re.IGNORECASE)
OP_EVENT = re.compile(r"^([^:\s]+):([A-Za-z0-9_]+)$")


def trace_ops(logdir):
    """{"types": {op type: [us, count]}, "ops": {op name: [us, count]}} from the newest trace.

    Op events of the host plane are named "op_name:OpType"; the executor's and thread pool's
    own spans are left out.
    """
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    files = sorted(glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True))
    types = collections.defaultdict(lambda: [0.0, 0])
    ops = collections.defaultdict(lambda: [0.0, 0])
    if not files:
        return {"types": {}, "ops": {}}
    space = xplane_pb2.XSpace()
    with open(files[-1], "rb") as f:
        space.ParseFromString(f.read())
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                match = OP_EVENT.match(plane.event_metadata[event.metadata_id].name)
                if match is None:
                    continue
                for table, key in ((ops, match.group(1)), (types, match.group(2))):
                    table[key][0] += event.duration_ps / 1e6
                    table[key][1] += 1
    return {"types": dict(types), "ops": dict(ops)}


def _per_step(table, steps, top=None):
    ranked = sorted(table.items(), key=lambda item: -item[1][0])[:top]
    return [[name, us / 1e3 / steps, count // steps] for name, (us, count) in ranked]


def profile(quick=False, logdir=None, steps=None, top=15):
    import tensorflow as tf

    batch_size, _, ch = train_step.settings(quick)
    steps = steps or (2 if quick else 5)
    g_options, d_options = (dict(o) for o in train_step.ARCHITECTURES["sndcgan"])
    if ch:
        g_options["ch"] = d_options["ch"] = ch
    gan = common.build_gan(
        "sndcgan", batch_size, generator_options=g_options, discriminator_options=d_options
    )
    iterator = common.synthetic_iterator(gan, batch_size)
    one = tf.constant(1, tf.int64)
    gan.train(iterator, one)  # warm-up: traces and compiles
    traces_after_warmup = gan.train.experimental_get_tracing_count()

    logdir = logdir or tempfile.mkdtemp(prefix="profile_step_")
    tf.profiler.experimental.start(logdir)
    for _ in range(steps):
        gan.train(iterator, one)
    tf.profiler.experimental.stop()

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        gan.train(iterator, one)
    profiler.disable()

    trace = trace_ops(logdir)
    copies = {k: v for k, v in trace["types"].items() if COPY_PATTERN.search(k)}
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(top)
    return {
        "logdir": logdir,
        "steps": steps,
        "batch_size": batch_size,
        "tracing_count_after_warmup": traces_after_warmup,
        "tracing_count_after_profiling": gan.train.experimental_get_tracing_count(),
        # [name, milliseconds per step summed over threads, events per step]
        "top_op_types": _per_step(trace["types"], steps, top),
        "top_ops": _per_step(trace["ops"], steps, top),
        "copy_op_types": _per_step(copies, steps),
        "cprofile": stream.getvalue(),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--logdir", default=None, help="where the TensorBoard trace goes")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    result = profile(args.quick, args.logdir, args.steps, args.top)
    for key in ("top_op_types", "top_ops"):
        rows = [["per step", "ms (all threads)", "count"], *result[key]]
        common.print_table(f"profiler trace: {key.replace('_', ' ')}", rows)
    print(
        f"\nGAN.train tracings: {result['tracing_count_after_warmup']} after warm-up, "
        f"{result['tracing_count_after_profiling']} after {2 * result['steps']} more steps"
    )
    print(f"copy/transfer ops per step: {result['copy_op_types'] or 'none'}")
    print("\ncProfile (Python side, cumulative):")
    print("\n".join(result["cprofile"].splitlines()[:40]))
    print(f"trace for TensorBoard: {result['logdir']}")
    return result


if __name__ == "__main__":
    main()
