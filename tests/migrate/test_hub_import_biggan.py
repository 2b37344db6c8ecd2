"""Import of compare_gan's resnet_biggan generator modules (export/import_biggan.py,
export/tf1_names_biggan.py) as this library's biggan generator.

Each module is a tiny TF1 SavedModel (32 px, ch=2, widths 8) whose graph is compare_gan's
resnet_biggan.Generator.apply in inference mode, written again here on tests/migrate/tf1_ops.py,
with the inputs of gans/modular_gan.py's _module_fn ("z" and, when conditional, int "labels"
one-hot encoded in the graph) and the output "generated", under the tag set {"gen", "bsNone"}.
"""

import dataclasses

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.commands.imported_run import gin_bindings, write_run
from compare_gan_tf.errors import ConfigError
from compare_gan_tf.export import import_tf1
from compare_gan_tf.export.loading import load_generator_module
from compare_gan_tf.export.tf1_names_biggan import keras_u
from tests.migrate.tf1_ops import CompareGanOps, unpool

v1 = tf.compat.v1
TAGS = {"gen", "bsNone"}
MULTIPLIERS = (4, 4, 4, 4)  # resnet_biggan.Generator._get_in_out_channels at 32 px


@dataclasses.dataclass
class BigGan:
    """resnet_biggan.Generator's settings (gin names in comments)."""

    ch: int = 2
    z_dim: int = 16  # 4 chunks of 4: fc_noise and the 3 blocks
    num_classes: object = 5  # None: unconditional (ModularGAN.conditional = False)
    norm: str = "conditional"  # G.batch_norm_fn: conditional, self_modulated or batch
    embed_y_dim: int = 8
    embed_bias: bool = False
    hierarchical_z: bool = True
    attention: tuple = ("B2",)  # blocks_with_attention


def _non_local_block(g, x):
    """arch_ops.non_local_block (use_sn = G.spectral_norm); one scope, reused by every block."""
    with v1.variable_scope("non_local_block", reuse=v1.AUTO_REUSE):
        _, h, w, c = x.shape.as_list()

        def flat(t):
            return tf.reshape(t, [-1, t.shape[1] * t.shape[2], t.shape[3]])

        def pool(t):
            return tf.nn.max_pool2d(t, 2, 2, "VALID")

        theta = flat(g.conv(x, c // 8, 1, "conv2d_theta", use_sn=True, use_bias=False))
        phi = flat(pool(g.conv(x, c // 8, 1, "conv2d_phi", use_sn=True, use_bias=False)))
        attention = tf.nn.softmax(tf.matmul(theta, phi, transpose_b=True))
        values = flat(pool(g.conv(x, c // 2, 1, "conv2d_g", use_sn=True, use_bias=False)))
        attended = tf.reshape(tf.matmul(attention, values), [-1, h, w, c // 2])
        sigma = g.variable("sigma", [])
        out = g.conv(attended, c, 1, "conv2d_attn_g", use_sn=True, use_bias=False)
        return x + sigma * out


def _norm(g, x, z, y, scope, norm):
    """BigGanResNetBlock's self.batch_norm: G.batch_norm_fn with z, y and use_sn."""
    if norm == "conditional":
        return g.conditional_batch_norm(x, y, scope)
    if norm == "self_modulated":
        return g.self_modulated_batch_norm(x, z, scope)
    return g.batch_norm(x, scope)


def _block(g, x, z, y, filters, scope, norm):
    """resnet_biggan.BigGanResNetBlock, scale "up"."""
    with v1.variable_scope(scope):
        h = tf.nn.relu(_norm(g, x, z, y, "bn1", norm))
        h = g.conv(unpool(h), filters, 3, "up_conv1", use_sn=True)
        h = tf.nn.relu(_norm(g, h, z, y, "bn2", norm))
        h = g.conv(h, filters, 3, "same_conv2", use_sn=True)
        return h + g.conv(unpool(x), filters, 1, "up_conv_shortcut", use_sn=True)


def _generator(g, z, labels, config):
    """resnet_biggan.Generator.apply (is_training=False) at 32 px."""
    widths = [config.ch * m for m in MULTIPLIERS]
    blocks = len(widths) - 1
    y = None
    if config.num_classes:
        y = tf.one_hot(labels, config.num_classes)
        y = g.linear(y, config.embed_y_dim, "embed_y", use_bias=config.embed_bias)
    if config.hierarchical_z:
        z0, *zs = tf.split(z, blocks + 1, axis=1)
        ys = [tf.concat([zi, y], 1) for zi in zs] if y is not None else [None] * blocks
    else:
        z0, zs, ys = z, [z] * blocks, [y] * blocks
    h = g.linear(z0, widths[0] * 16, "fc_noise", use_sn=True)
    h = tf.reshape(h, [-1, 4, 4, widths[0]])
    for index in range(blocks):
        name = f"B{index + 1}"
        h = _block(g, h, zs[index], ys[index], widths[index + 1], name, config.norm)
        if name in config.attention:
            h = _non_local_block(g, h)
    h = tf.nn.relu(g.batch_norm(h, "final_norm"))
    h = g.conv(h, 3, 3, "final_conv", use_sn=True)
    return (tf.nn.tanh(h) + 1.0) / 2.0


def _write_module(path, config, **ops):
    """A TF1 SavedModel of a resnet_biggan generator at `path`, as ModularGAN exports it."""
    graph = tf.Graph()
    with graph.as_default():
        inputs = {"z": v1.placeholder(tf.float32, [None, config.z_dim], name="z_for_eval")}
        if config.num_classes:
            inputs["labels"] = v1.placeholder(tf.int32, [None], name="labels_for_eval")
        with v1.variable_scope("generator"):
            ops.setdefault("singular_value", "auto")
            g = CompareGanOps(seed=2, **ops)
            generated = _generator(g, inputs["z"], inputs.get("labels"), config)
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            signature = v1.saved_model.predict_signature_def(inputs, {"generated": generated})
            builder.add_meta_graph_and_variables(
                session, list(TAGS), signature_def_map={"default": signature}
            )
            builder.save()
    return str(path)


CASES = {
    # biggan_imagenet128.gin's settings: conditional BN, SN "auto", accumulators, epsilon 1e-5.
    "conditional": (
        BigGan(embed_bias=True),
        dict(accumulators=True, ema=True, epsilon=1e-5),
    ),
    "self_modulated": (
        BigGan(num_classes=None, norm="self_modulated", attention=()),
        dict(singular_value="left"),
    ),
    "batch": (
        BigGan(num_classes=None, norm="batch", attention=("B1",)),
        dict(singular_value="right"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_resnet_biggan_module_maps_onto_biggan_and_reproduces_it(tmp_path, case):
    config, ops = CASES[case]
    path = _write_module(tmp_path / "module", config, **ops)
    imported = import_tf1.import_generator(path, tags=TAGS, tolerance=1e-5)
    assert imported.architecture == "biggan"
    assert imported.info.num_classes == config.num_classes
    assert imported.options["normalization"] == config.norm
    assert imported.options["spectral_norm"] == "sn"
    assert imported.options["bn_epsilon"] == ops.get("epsilon", 1e-3)
    expected = {(): None, ("B1",): 8, ("B2",): 16}[config.attention]
    assert imported.options["attention_resolution"] == expected
    assert imported.max_abs_difference <= 1e-5
    bindings = gin_bindings(imported)
    assert f"Experiment.conditional = {bool(config.num_classes)}" in bindings
    assert ('biggan_generator.cbn_gain = "gamma"' in bindings) == (case == "conditional")
    print(f"resnet_biggan {case}: max |module - Keras| = {imported.max_abs_difference:.3g}")


@pytest.mark.parametrize("singular_value", ["left", "right"])
def test_keras_u_gives_compare_gans_sigma(singular_value):
    """This library's one power-iteration step (layers/spectral_norm.py) from keras_u's vector
    gives compare_gan's sigma from its u_var, for both of compare_gan's vectors."""
    from compare_gan_tf.layers.spectral_norm import power_iteration

    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3, 6, 5)).astype(np.float32)
    matrix = kernel.reshape(-1, 5).astype(np.float64)
    if singular_value == "left":
        u_var = rng.normal(size=(54, 1))
        v = matrix.T @ u_var[:, 0]
        expected = np.linalg.norm(matrix @ (v / np.linalg.norm(v)))
    else:
        u_var = rng.normal(size=(1, 5))
        w = matrix @ u_var[0]
        expected = np.linalg.norm(matrix.T @ (w / np.linalg.norm(w)))
    u = keras_u(u_var.astype(np.float32), kernel)
    sigma, _ = power_iteration(tf.constant(matrix, tf.float32), tf.constant(u, tf.float32))
    assert abs(float(sigma) - expected) <= 1e-5 * expected
    assert abs(expected - np.linalg.svd(matrix, compute_uv=False)[0]) > 1e-3  # not converged


def test_refuses_missing_and_misshapen_variables_naming_each(tmp_path):
    config, ops = CASES["conditional"]
    ops = dict(ops, ema=False)
    bad = ("generator/B2/same_conv2/bias", "generator/fc_noise/kernel/u_var")
    path = _write_module(
        tmp_path / "module", config, drop=("generator/final_norm/gamma",), misshape=bad, **ops
    )
    with pytest.raises(ConfigError) as error:
        import_tf1.import_generator(path, tags=TAGS)
    message = str(error.value)
    assert "Cannot import" in message and "as biggan: 3 problem(s)" in message
    assert "missing generator/final_norm/gamma" in message
    assert "misshapen generator/B2/same_conv2/bias: shape (9,), biggan needs (8,)" in message
    assert "misshapen generator/fc_noise/kernel/u_var: shape (4, 2) and (4, 128)" in message


@pytest.mark.parametrize(
    "config,why",
    [
        (BigGan(attention=("B1", "B2")), "self-attention at several resolutions (8 px, 16 px"),
        (BigGan(hierarchical_z=False), "Generator.hierarchical_z = False"),
    ],
)
def test_refuses_what_biggan_cannot_compute(tmp_path, config, why):
    path = _write_module(tmp_path / "module", config)
    with pytest.raises(ConfigError, match="compare_gan resnet_biggan") as error:
        import_tf1.import_generator(path, tags=TAGS)
    assert why in str(error.value)


def _written_run_agrees(tmp_path, case):
    """Imports CASES[case], writes its run and compares the run's module with the Keras G."""
    config, ops = CASES[case]
    path = _write_module(tmp_path / "module", config, **ops)
    imported = import_tf1.import_generator(path, tags=TAGS, tolerance=1e-5)
    checkpoint, gin_path, module_path = write_run(imported, str(tmp_path / "run"))
    assert tf.train.latest_checkpoint(str(tmp_path / "run")) == checkpoint
    with open(gin_path) as handle:
        assert 'biggan_generator.upsampling = "zeros"' in handle.read()
    z = tf.constant(np.random.default_rng(3).standard_normal((4, config.z_dim)), tf.float32)
    labels = tf.constant([0, 1, 2, 4], tf.int32) if config.num_classes else None
    module = load_generator_module(module_path)
    ours = (module(z, labels) if labels is not None else module(z))["generated"].numpy()
    keras = (imported.generator(z, labels, training=False).numpy() + 1) / 2
    np.testing.assert_allclose(ours, keras, atol=1e-6)


def test_import_writes_a_run_that_agrees(tmp_path):
    _written_run_agrees(tmp_path, "self_modulated")


@pytest.mark.slow  # The conditional module's export traces 27 functions: 25-60 s on 2 cores.
def test_conditional_import_writes_a_conditional_run_that_agrees(tmp_path):
    _written_run_agrees(tmp_path, "conditional")
