"""Achieved FLOP/s of the sndcgan train step against a large matmul's FLOP/s, in one run.

FLOPs are counted analytically from the traced forward graphs of G and D (training=True, the
benchmark's batch): 2 FLOPs per multiply-add of every Conv2D, Conv2DBackpropInput (transposed
convolution), MatMul and BatchMatMul op, read from the ops' static shapes; elementwise ops, BN
and the optimizer update are left out. A backward pass costs twice its forward (input and weight
gradients), so with G and D forward FLOPs at batch B:
  D update: G(z) + D on 2B (forward, backward) = G + 6 D;  G update: G fwd+bwd, D fwd + input
  gradients = 3 G + 2 D;  step = 4 G + 8 D.
"""

import numpy as np

from benchmarks import common, train_step


def op_flops(op):
    """FLOPs of one graph op (0 for ops that are not convolutions or matrix products)."""

    def dims(tensor):
        return tensor.shape.as_list()

    if op.type == "Conv2D":
        kh, kw, cin, _ = dims(op.inputs[1])
        return 2 * int(np.prod(dims(op.outputs[0]))) * kh * kw * cin
    if op.type == "Conv2DBackpropInput":
        kh, kw, cout, _ = dims(op.inputs[1])
        return 2 * int(np.prod(dims(op.inputs[2]))) * kh * kw * cout
    if op.type == "MatMul":
        a = dims(op.inputs[0])
        inner = a[0] if op.get_attr("transpose_a") else a[1]
        return 2 * int(np.prod(dims(op.outputs[0]))) * inner
    if op.type.startswith("BatchMatMul"):
        a = dims(op.inputs[0])
        inner = a[-2] if op.get_attr("adj_x") else a[-1]
        return 2 * int(np.prod(dims(op.outputs[0]))) * inner
    return 0


def forward_flops(fn, *inputs):
    """FLOPs of fn(*inputs) from its traced graph."""
    import tensorflow as tf

    graph = tf.function(fn).get_concrete_function(*inputs).graph
    return sum(op_flops(op) for op in graph.get_operations())


def step_flops(gan, batch_size):
    import tensorflow as tf

    z = tf.zeros([batch_size, gan.z_dim])
    images = tf.zeros([batch_size, common.RESOLUTION, common.RESOLUTION, 3])
    g_flops = forward_flops(lambda z: gan.generator(z, training=True), z)
    d_flops = forward_flops(lambda x: gan.discriminator(x, training=True), images)
    # Module docstring: one step = 4 G forwards + 8 D forwards at batch B.
    return {"g_forward": g_flops, "d_forward": d_flops, "step": 4 * g_flops + 8 * d_flops}


def matmul_flops_per_second(n, repeats):
    """FLOP/s of an n x n float32 matmul (2 n^3 FLOPs) in a tf.function."""
    import tensorflow as tf

    a = tf.random.stateless_normal([n, n], [0, 1])
    b = tf.random.stateless_normal([n, n], [0, 2])
    matmul = tf.function(lambda a, b: tf.reduce_sum(tf.matmul(a, b)))
    timing = common.median_time(lambda: matmul(a, b).numpy(), repeats, warmup=2)
    return {"n": n, "seconds": timing["median"], "flops_per_second": 2 * n**3 / timing["median"]}


def run(quick=False, step_seconds=None):
    """`step_seconds`: the sndcgan step of train_step.py at the same settings, if measured."""
    batch_size, _, ch = train_step.settings(quick)
    g_options, d_options = train_step.ARCHITECTURES["sndcgan"]
    g_options, d_options = dict(g_options), dict(d_options)
    if ch:
        g_options["ch"] = d_options["ch"] = ch
    gan = common.build_gan(
        "sndcgan", batch_size, generator_options=g_options, discriminator_options=d_options
    )
    flops = step_flops(gan, batch_size)
    if step_seconds is None:
        step_seconds = common.time_train_step(gan, 3 if not quick else 2, batch_size=batch_size)[
            "median"
        ]
    matmul = matmul_flops_per_second(512 if quick else 4096, 3 if quick else 5)
    achieved = flops["step"] / step_seconds
    results = {
        "architecture": "sndcgan",
        "batch_size": batch_size,
        "flop_count_method": "analytic: conv/transposed-conv/matmul ops of the traced forward "
        "graphs, step = 4 G + 8 D forwards",
        "flops": flops,
        "step_seconds": step_seconds,
        # FLOPs of the step / its seconds.
        "step_flops_per_second": achieved,
        "matmul": matmul,
        # Achieved step FLOP/s as a fraction of the matmul's FLOP/s on this machine.
        "fraction_of_matmul": achieved / matmul["flops_per_second"],
    }
    return common.payload("machine_limit", quick, results)


def table(results):
    return [
        ["step GFLOP", results["flops"]["step"] / 1e9],
        ["step seconds", results["step_seconds"]],
        ["step GFLOP/s", results["step_flops_per_second"] / 1e9],
        [f"matmul {results['matmul']['n']} GFLOP/s", results["matmul"]["flops_per_second"] / 1e9],
        ["fraction of matmul", results["fraction_of_matmul"]],
    ]


if __name__ == "__main__":
    common.main("machine_limit", run, table)
