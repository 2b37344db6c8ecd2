"""Hub export: a process with only tensorflow and tensorflow_hub gets the in-memory model's
outputs; truncated sampling; tf_keras and Keras 3 wrappers; atomic writes; clear input errors."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf
import tensorflow_hub as hub

from compare_gan_tf.architectures import build_discriminator, build_generator
from compare_gan_tf.export import HubGenerator, export_discriminator, export_generator

NUM_CLASSES = 10
BATCH = 3
METADATA = {
    "dataset": "digits",
    "step": 1234,
    "gin_config": "build_generator.name = 'sndcgan'\n",
    "scores": {"fid": 12.5, "inception_score": np.float32(3.25)},
}

# Runs in a fresh interpreter that imports only tensorflow and tensorflow_hub (and tf_keras,
# which hub.KerasLayer needs): what a user of a published module has.
CONSUMER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    import tensorflow_hub as hub
    import tf_keras

    root = sys.argv[1]
    inputs = np.load(f"{root}/inputs.npz")
    z, labels, images = inputs["z"], inputs["labels"], inputs["images"]
    out, facts = {}, {}

    def signature_facts(signature):
        _, specs = signature.structured_input_signature
        return {
            "inputs": {n: [s.dtype.name, s.shape.as_list()] for n, s in specs.items()},
            "outputs": {
                n: [s.dtype.name, s.shape.as_list()]
                for n, s in signature.structured_outputs.items()
            },
        }

    conditional = hub.load(f"{root}/conditional")
    out["conditional"] = conditional(z, labels)["generated"].numpy()
    out["conditional_signature"] = conditional.signatures["default"](z=z, labels=labels)[
        "generated"
    ].numpy()
    for name in ("default", "sample"):
        facts[f"conditional_{name}"] = signature_facts(conditional.signatures[name])
    facts["metadata"] = json.loads(conditional.metadata.numpy())
    facts["attributes"] = {
        name: getattr(conditional, name).numpy().item()
        for name in ("z_dim", "num_classes", "resolution", "channels", "step")
    }
    facts["attributes"].update(
        {
            name: getattr(conditional, name).numpy().decode()
            for name in ("z_prior", "dataset", "gin_config")
        }
    )
    with open(conditional.metadata_file.asset_path.numpy().decode()) as handle:
        facts["metadata_file"] = json.load(handle)
    facts["variables"] = len(conditional.variables)
    for name, args in {
        "sample_a": (4, 0.5, 7),
        "sample_b": (4, 0.5, 7),
        "sample_other_seed": (4, 0.5, 8),
        "sample_labels": (len(labels), 0.5, 7, labels),
    }.items():
        for key, value in conditional.sample(*args).items():
            out[f"{name}_{key}"] = value.numpy()
    sampled = conditional.signatures["sample"](batch_size=4, truncation=0.5, seed=7)
    out["sample_signature"] = sampled["generated"].numpy()
    many = conditional.sample(64, 1.0, 11)
    out["truncated_normal_z"] = many["z"].numpy()

    z_in = tf_keras.Input([z.shape[1]])
    labels_in = tf_keras.Input([], dtype="int32")
    layer = hub.KerasLayer(
        f"{root}/conditional", signature="default", signature_outputs_as_dict=True
    )
    model = tf_keras.Model([z_in, labels_in], layer({"z": z_in, "labels": labels_in}))
    out["tf_keras_conditional"] = model.predict([z, labels], verbose=0)["generated"]

    unconditional = hub.load(f"{root}/unconditional")
    z = z[:, :64]  # its z_dim
    out["unconditional"] = unconditional(z)["generated"].numpy()
    out["unconditional_one"] = unconditional(z[:1])["generated"].numpy()
    out["truncated_uniform_z"] = unconditional.sample(64, 0.5, 11)["z"].numpy()
    facts["unconditional_default"] = signature_facts(unconditional.signatures["default"])
    layer = hub.KerasLayer(
        f"{root}/unconditional", signature="default", signature_outputs_as_dict=True
    )
    model = tf_keras.Sequential([tf_keras.Input([z.shape[1]]), layer])
    out["tf_keras_unconditional"] = model.predict(z, verbose=0)["generated"]

    discriminator = hub.load(f"{root}/discriminator")
    out["logits"] = discriminator(images, labels)["logits"].numpy()
    out["logits_signature"] = discriminator.signatures["default"](images=images, labels=labels)[
        "logits"
    ].numpy()
    facts["discriminator_default"] = signature_facts(discriminator.signatures["default"])

    facts["package_imported"] = "compare_gan_tf" in sys.modules
    np.savez(f"{root}/outputs.npz", **out)
    with open(f"{root}/facts.json", "w") as handle:
        json.dump(facts, handle)
    """
)


def _images_01(generator, z, labels):
    """What the module promises: G's images mapped to [0, 1], grayscale tiled to RGB."""
    images = (generator(z, labels, training=False).numpy() + 1.0) / 2.0
    return np.tile(images, [1, 1, 1, 3]) if images.shape[-1] == 1 else images


def _small_generator():
    """Unconditional RGB, z_dim 8; xavier weights so that the images are far from constant."""
    return build_generator("sndcgan", 32, ch=4, z_dim=8, initializer="xavier")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Tiny models, their modules, the inputs, and what the consumer process computed from them."""
    root = tmp_path_factory.mktemp("modules")
    keras.utils.set_random_seed(0)
    conditional = build_generator(
        "sndcgan", 32, num_classes=NUM_CLASSES, channels=1, ch=8, initializer="xavier"
    )
    unconditional = build_generator("resnet_cifar", 32, ch=8, z_dim=64, initializer="xavier")
    discriminator = build_discriminator(
        "sndcgan", 32, num_classes=NUM_CLASSES, ch=8, initializer="xavier"
    )
    discriminator(tf.zeros([1, 32, 32, 1]), tf.zeros([1], tf.int32))
    export_generator(conditional, root / "conditional", metadata=METADATA)
    export_generator(unconditional, root / "unconditional", z_prior="uniform")
    export_discriminator(discriminator, root / "discriminator")
    rng = np.random.default_rng(0)
    inputs = {
        "z": rng.standard_normal([BATCH, 128]).astype(np.float32),
        "labels": np.array([0, 9, 4], np.int32),
        "images": rng.uniform(size=[BATCH, 32, 32, 1]).astype(np.float32),
    }
    np.savez(root / "inputs.npz", **inputs)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, "-c", CONSUMER, str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(root / "facts.json") as handle:
        facts = json.load(handle)
    return dict(
        root=root,
        conditional=conditional,
        unconditional=unconditional,
        discriminator=discriminator,
        inputs=inputs,
        outputs=dict(np.load(root / "outputs.npz")),
        facts=facts,
    )


def test_consumer_process_never_imports_the_package(exported):
    assert exported["facts"]["package_imported"] is False


def test_conditional_grayscale_module_matches_the_generator(exported):
    z, labels = exported["inputs"]["z"], exported["inputs"]["labels"]
    expected = _images_01(exported["conditional"], z, labels)
    outputs = exported["outputs"]
    for key in ("conditional", "conditional_signature", "tf_keras_conditional"):
        assert outputs[key].shape == (BATCH, 32, 32, 3)
        assert outputs[key].dtype == np.float32
        np.testing.assert_allclose(outputs[key], expected, rtol=0, atol=1e-5, err_msg=key)
    assert outputs["conditional"].min() >= 0.0 and outputs["conditional"].max() <= 1.0
    assert outputs["conditional"].std() > 1e-3  # not a constant image


def test_unconditional_rgb_module_matches_with_any_batch_size(exported):
    z = exported["inputs"]["z"][:, :64]
    outputs = exported["outputs"]
    expected = _images_01(exported["unconditional"], tf.constant(z), None)
    assert expected.shape == (BATCH, 32, 32, 3)
    for key in ("unconditional", "tf_keras_unconditional"):
        np.testing.assert_allclose(outputs[key], expected, rtol=0, atol=1e-5, err_msg=key)
    np.testing.assert_allclose(outputs["unconditional_one"], expected[:1], rtol=0, atol=1e-5)


def test_signatures_have_the_documented_names_dtypes_and_shapes(exported):
    facts = exported["facts"]
    image = ["float32", [None, 32, 32, 3]]
    assert facts["conditional_default"] == {
        "inputs": {"z": ["float32", [None, 128]], "labels": ["int32", [None]]},
        "outputs": {"generated": image},
    }
    assert facts["conditional_sample"] == {
        "inputs": {
            "batch_size": ["int32", []],
            "truncation": ["float32", []],
            "seed": ["int32", []],
        },
        "outputs": {
            "generated": image,
            "z": ["float32", [None, 128]],
            "labels": ["int32", [None]],
        },
    }
    assert facts["unconditional_default"] == {
        "inputs": {"z": ["float32", [None, 64]]},
        "outputs": {"generated": image},
    }
    assert facts["discriminator_default"] == {
        "inputs": {"images": ["float32", [None, 32, 32, 1]], "labels": ["int32", [None]]},
        "outputs": {"logits": ["float32", [None, 1]]},
    }


def test_metadata_attributes_and_asset_file(exported):
    facts = exported["facts"]
    assert facts["attributes"] == {
        "z_dim": 128,
        "num_classes": NUM_CLASSES,
        "resolution": 32,
        "channels": 1,
        "step": 1234,
        "z_prior": "normal",
        "dataset": "digits",
        "gin_config": METADATA["gin_config"],
    }
    expected = dict(
        METADATA,
        scores={"fid": 12.5, "inception_score": 3.25},
        kind="generator",
        z_dim=128,
        num_classes=NUM_CLASSES,
        resolution=32,
        channels=1,
        z_prior="normal",
    )
    assert facts["metadata"] == expected
    assert facts["metadata_file"] == expected
    assert facts["variables"] == len(exported["conditional"].variables)


def test_sample_truncates_z_and_is_deterministic_per_seed(exported):
    out = exported["outputs"]
    assert np.abs(out["sample_a_z"]).max() <= 0.5
    assert out["sample_a_z"].shape == (4, 128)
    np.testing.assert_array_equal(out["sample_a_generated"], out["sample_b_generated"])
    np.testing.assert_array_equal(out["sample_a_generated"], out["sample_signature"])
    assert not np.array_equal(out["sample_a_z"], out["sample_other_seed_z"])
    assert set(out["sample_a_labels"]) <= set(range(NUM_CLASSES))
    # The images are those of the z and labels that sample reports.
    expected = _images_01(exported["conditional"], out["sample_a_z"], out["sample_a_labels"])
    np.testing.assert_allclose(out["sample_a_generated"], expected, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(out["sample_labels_labels"], exported["inputs"]["labels"])


def test_truncated_z_follows_the_truncated_prior(exported):
    # Redrawing until |z| <= t samples the prior conditioned on [-t, t] (Brock et al. 2019).
    normal = exported["outputs"]["truncated_normal_z"].ravel()
    assert scipy.stats.kstest(normal, scipy.stats.truncnorm(-1.0, 1.0).cdf).pvalue > 0.01
    uniform = exported["outputs"]["truncated_uniform_z"].ravel()
    assert scipy.stats.kstest(uniform, scipy.stats.uniform(-0.5, 1.0).cdf).pvalue > 0.01


def test_discriminator_module_matches_on_images_from_unit_range(exported):
    images, labels = exported["inputs"]["images"], exported["inputs"]["labels"]
    expected = exported["discriminator"](images * 2.0 - 1.0, labels, training=False).numpy()
    for key in ("logits", "logits_signature"):
        assert exported["outputs"][key].shape == (BATCH, 1)
        np.testing.assert_allclose(exported["outputs"][key], expected, rtol=0, atol=1e-5)


def test_hub_generator_layer_inside_a_keras_model(exported):
    z, labels = exported["inputs"]["z"], exported["inputs"]["labels"]
    layer = HubGenerator(str(exported["root"] / "conditional"))
    z_in = keras.Input([layer.z_dim])
    labels_in = keras.Input([], dtype="int32")
    model = keras.Model([z_in, labels_in], layer(z_in, labels_in))
    assert model.output_shape == (None, 32, 32, 3)
    expected = _images_01(exported["conditional"], z, labels)
    np.testing.assert_allclose(model([z, labels]).numpy(), expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(model.predict([z, labels], verbose=0), expected, atol=1e-5)
    rebuilt = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert rebuilt.get_config() == layer.get_config()
    np.testing.assert_allclose(rebuilt(z, labels).numpy(), expected, rtol=0, atol=1e-5)
    unconditional = HubGenerator(exported["root"] / "unconditional")
    # float64 numpy z is cast by Keras; the module itself takes float32 only.
    images = unconditional(z[:, :64].astype(np.float64)).numpy()
    expected = _images_01(exported["unconditional"], tf.constant(z[:, :64]), None)
    np.testing.assert_allclose(images, expected, rtol=0, atol=1e-5)


def test_generator_built_under_a_strategy_exports(mirrored_strategy, tmp_path):
    with mirrored_strategy.scope():
        generator = _small_generator()
        generator(tf.zeros([1, 8]), training=False)
    export_generator(generator, tmp_path / "module")
    z = tf.random.normal([2, 8])
    images = hub.load(str(tmp_path / "module"))(z)["generated"].numpy()
    np.testing.assert_allclose(images, _images_01(generator, z, None), rtol=0, atol=1e-5)


# --- atomic writes ------------------------------------------------------------------------------


def _crash_after_partial_write(module, export_dir, *args, **kwargs):
    tf.io.gfile.makedirs(export_dir)
    with open(os.path.join(export_dir, "saved_model.pb"), "w") as handle:
        handle.write("half")
    raise RuntimeError("killed while saving")


def _dir_names(parent):
    return sorted(os.listdir(parent))


def test_crash_leaves_an_existing_module_intact(exported, tmp_path, monkeypatch):
    target = _copy_module(exported, tmp_path, "module")
    monkeypatch.setattr(tf.saved_model, "save", _crash_after_partial_write)
    with pytest.raises(RuntimeError, match="killed while saving"):
        export_generator(_small_generator(), target)
    assert _dir_names(tmp_path) == ["module"]
    monkeypatch.undo()
    z = exported["inputs"]["z"][:, :64]
    images = hub.load(str(target))(z)["generated"].numpy()
    np.testing.assert_array_equal(images, exported["outputs"]["unconditional"])


def test_crash_leaves_no_module_where_there_was_none(tmp_path, monkeypatch):
    monkeypatch.setattr(tf.saved_model, "save", _crash_after_partial_write)
    with pytest.raises(RuntimeError, match="killed while saving"):
        export_generator(_small_generator(), tmp_path / "module")
    assert _dir_names(tmp_path) == []


def test_export_replaces_a_module_and_cleans_up_after_killed_exports(exported, tmp_path):
    target = _copy_module(exported, tmp_path, "module")
    # What `kill -9` during an earlier export left: a workspace, and a module moved aside.
    os.makedirs(tmp_path / ".module.incomplete-export-1234abcd" / "module")
    _copy_module(exported, tmp_path, ".module.replaced-export-5678")
    generator = _small_generator()
    export_generator(generator, target)
    assert _dir_names(tmp_path) == ["module"]
    module = hub.load(str(target))
    assert module.z_dim.numpy() == 8
    z = tf.random.normal([2, 8])
    np.testing.assert_allclose(
        module(z)["generated"].numpy(), _images_01(generator, z, None), rtol=0, atol=1e-5
    )


def test_a_module_moved_aside_by_a_killed_export_is_restored(exported, tmp_path):
    _copy_module(exported, tmp_path, ".module.replaced-export-5678")
    with pytest.raises(ValueError, match="disagrees"):
        export_generator(exported["unconditional"], tmp_path / "module", num_classes=3)
    assert _dir_names(tmp_path) == ["module"]
    assert hub.load(str(tmp_path / "module")).z_dim.numpy() == 64


def _copy_module(exported, parent, name):
    """A copy of the unconditional module at parent / name."""
    source = exported["root"] / "unconditional"
    destination = parent / name
    for directory, _, files in os.walk(source):
        relative = os.path.relpath(directory, source)
        os.makedirs(destination / relative, exist_ok=True)
        for file in files:
            tf.io.gfile.copy(os.path.join(directory, file), str(destination / relative / file))
    return destination


def test_export_refuses_to_replace_what_is_not_a_module(tmp_path):
    (tmp_path / "module").mkdir()
    (tmp_path / "module" / "notes.txt").write_text("keep me")
    with pytest.raises(ValueError, match="is not a SavedModel"):
        export_generator(_small_generator(), tmp_path / "module")
    assert (tmp_path / "module" / "notes.txt").read_text() == "keep me"


# --- bad inputs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(exported):
    names = ("conditional", "discriminator")
    return {name: hub.load(str(exported["root"] / name)) for name in names}


def test_wrong_z_dim_is_named_by_the_call_and_the_signature(loaded):
    module = loaded["conditional"]
    labels = tf.constant([1, 2])
    message = r"z must have shape \[batch, 128\]"
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        module(tf.zeros([2, 64]), labels)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        module.signatures["default"](z=tf.zeros([2, 64]), labels=labels)


@pytest.mark.parametrize("bad_labels", [[0, 10], [-1, 3]], ids=["too_large", "negative"])
def test_labels_out_of_range_are_refused(loaded, bad_labels):
    module = loaded["conditional"]
    message = r"labels must be int class ids in \[0, 10\)"
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        module(tf.zeros([2, 128]), tf.constant(bad_labels))
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        module.sample(2, 1.0, 0, tf.constant(bad_labels))
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        loaded["discriminator"](tf.zeros([2, 32, 32, 1]), tf.constant(bad_labels))


def test_labels_must_match_the_batch(loaded):
    z, labels = tf.zeros([2, 128]), tf.constant([1, 2, 3])
    with pytest.raises(tf.errors.InvalidArgumentError, match="one class id per example"):
        loaded["conditional"].signatures["default"](z=z, labels=labels)
    with pytest.raises(tf.errors.InvalidArgumentError, match="one class id per example"):
        loaded["conditional"](z, labels)


@pytest.mark.parametrize("truncation", [0.0, -1.0, float("nan")])
def test_truncation_must_be_positive(loaded, truncation):
    with pytest.raises(tf.errors.InvalidArgumentError, match="truncation must be > 0"):
        loaded["conditional"].sample(2, truncation, 0)


def test_missing_labels_on_a_conditional_module(loaded):
    module = loaded["conditional"]
    with pytest.raises(tf.errors.InvalidArgumentError, match="call it with labels"):
        module(tf.zeros([2, 128]))
    with pytest.raises(TypeError, match="labels"):
        module.signatures["default"](z=tf.zeros([2, 128]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="call it with labels"):
        loaded["discriminator"](tf.zeros([2, 32, 32, 1]))


def test_discriminator_refuses_images_outside_the_unit_range(loaded):
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"images must be in \[0, 1\]"):
        loaded["discriminator"](tf.fill([2, 32, 32, 1], 255.0), tf.constant([1, 2]))


def test_export_refuses_bad_arguments(exported, tmp_path):
    with pytest.raises(ValueError, match="JSON-serializable"):
        export_generator(exported["unconditional"], tmp_path / "m", metadata={"when": object()})
    untouched = build_discriminator("sndcgan", 32, ch=4)
    with pytest.raises(ValueError, match="pass channels=1 or channels=3"):
        export_discriminator(untouched, tmp_path / "m")
    assert _dir_names(tmp_path) == []
