"""Import of compare_gan's TF1 generator hub modules (export/import_tf1.py).

The modules are built here, tiny, as TF1 SavedModels: tf.compat.v1 graphs whose variables carry
compare_gan's scope names and shapes, with compare_gan's forward pass written again from its
arch_ops.py / resnet_ops.py (tests/migrate/tf1_ops.py) and resnet_cifar.py / resnet5.py /
sndcgan.py (inference mode), saved with tag set {"gen", "bs8"} and a signature "default":
z -> generated.
"""

import numpy as np
import pytest
import tensorflow as tf

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.export import import_tf1
from tests.migrate.tf1_ops import BATCH, CompareGanOps, unpool

v1 = tf.compat.v1
TAGS = {"gen", "bs8"}


def _resnet_block(g, x, filters, scope):
    with v1.variable_scope(scope):
        shortcut = g.conv(unpool(x), filters, 3, "up_conv_shortcut")
        h = tf.nn.relu(g.batch_norm(x, "bn1"))
        h = g.conv(unpool(h), filters, 3, "up_conv1")
        h = tf.nn.relu(g.batch_norm(h, "bn2"))
        return g.conv(h, filters, 3, "same_conv2") + shortcut


def _resnet(g, z, widths):
    """resnet_cifar (widths [ch] * 4) or resnet5 (ch * (8, 8, 4, 4, 2, 1))."""
    h = tf.reshape(g.linear(z, 16 * widths[0], "fc_noise"), [-1, 4, 4, widths[0]])
    for index, width in enumerate(widths[1:]):
        h = _resnet_block(g, h, width, f"B{index + 1}")
    h = tf.nn.relu(g.batch_norm(h, "final_norm"))
    return tf.nn.sigmoid(g.conv(h, 3, 3, "final_conv"))


def _sndcgan(g, z, ch, resolution):
    s8 = resolution // 8
    h = tf.nn.relu(g.batch_norm(g.linear(z, s8 * s8 * 8 * ch, "g_fc1"), "g_bn1"))
    h = tf.reshape(h, [BATCH, s8, s8, 8 * ch])
    for index, width in enumerate((4 * ch, 2 * ch, ch)):
        h = g.deconv(h, width, 4, 2, f"g_dc{index + 2}")
        h = tf.nn.relu(g.batch_norm(h, f"g_bn{index + 2}"))
    return (tf.tanh(g.deconv(h, 3, 3, 1, "g_dc5")) + 1.0) / 2.0


FAMILIES = {
    "resnet_cifar": (lambda g, z: _resnet(g, z, [8] * 4), 32),
    "resnet5": (lambda g, z: _resnet(g, z, [2 * m for m in (8, 8, 4, 4, 2, 1)]), 128),
    "sndcgan": (lambda g, z: _sndcgan(g, z, 4, 32), 32),
}


def _write_module(path, family, z_dim=16, **options):
    """A TF1 SavedModel of compare_gan's `family` generator at `path`; returns the path."""
    build, _ = FAMILIES[family]
    graph = tf.Graph()
    with graph.as_default():
        z = v1.placeholder(tf.float32, [BATCH, z_dim], name="z_for_eval")
        with v1.variable_scope("generator"):
            generated = build(CompareGanOps(seed=1, **options), z)
        with v1.Session(graph=graph) as session:
            session.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(path))
            signature = v1.saved_model.predict_signature_def({"z": z}, {"generated": generated})
            builder.add_meta_graph_and_variables(
                session, list(TAGS), signature_def_map={"default": signature}
            )
            builder.save()
    return str(path)


@pytest.mark.parametrize(
    "family,accumulators",
    [("resnet_cifar", False), ("resnet5", True), ("sndcgan", False)],
)
def test_module_maps_onto_the_keras_generator_and_reproduces_it(tmp_path, family, accumulators):
    path = _write_module(tmp_path / "module", family, accumulators=accumulators)
    imported = import_tf1.import_generator(path, tags=TAGS, tolerance=1e-5)
    assert imported.architecture == family
    assert imported.info.batch_size == BATCH and imported.parity_batch == BATCH
    assert imported.max_abs_difference <= 1e-5
    # Every variable of the module went somewhere: fill() refuses leftovers.
    assert imported.info.resolution == FAMILIES[family][1]
    print(f"{family}: max |module - Keras| = {imported.max_abs_difference:.3g}")


def test_bn_epsilon_is_read_from_the_graph(tmp_path):
    # compare_gan's example configs set standardize_batch.epsilon = 1e-5; no variable holds it.
    path = _write_module(tmp_path / "module", "sndcgan", epsilon=1e-5)
    imported = import_tf1.import_generator(path, tags=TAGS, tolerance=1e-5)
    assert imported.options["bn_epsilon"] == 1e-5
    assert imported.info.graph.bn_epsilons == (np.float32(1e-5),)


def test_refuses_missing_and_misshapen_variables_naming_each(tmp_path):
    path = _write_module(
        tmp_path / "module",
        "resnet_cifar",
        drop=("generator/final_norm/gamma",),
        misshape=("generator/fc_noise/bias",),
    )
    with pytest.raises(ConfigError) as error:
        import_tf1.import_generator(path, tags=TAGS)
    message = str(error.value)
    assert "2 problem(s)" in message
    assert "missing generator/final_norm/gamma" in message
    assert "misshapen generator/fc_noise/bias: shape (129,)" in message


def test_command_writes_a_checkpoint_and_a_module_that_agree(tmp_path):
    from compare_gan_tf.commands.imported_run import write_run
    from compare_gan_tf.export.loading import load_generator_module

    path = _write_module(tmp_path / "module", "resnet_cifar")
    imported = import_tf1.import_generator(path, tags=TAGS, tolerance=1e-5)
    checkpoint, config, module_path = write_run(imported, str(tmp_path / "run"))
    assert tf.train.latest_checkpoint(str(tmp_path / "run")) == checkpoint
    with open(config) as handle:
        assert 'resnet_cifar_generator.upsampling = "zeros"' in handle.read()
    z = np.random.default_rng(3).standard_normal((4, 16)).astype(np.float32)
    ours = load_generator_module(module_path)(tf.constant(z))["generated"].numpy()
    keras = (imported.generator(tf.constant(z), training=False).numpy() + 1) / 2
    np.testing.assert_allclose(ours, keras, atol=1e-6)
