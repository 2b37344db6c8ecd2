"""The sample schedule and compare_gan_tf-sample: counts, class names, truncation, seeds, and a
run and its hub module giving the same images."""

import os
import subprocess
import sys
import uuid

import gin
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image
from scipy import stats

from compare_gan_tf.export.loading import HubSampler, ModuleError, load_generator_module
from compare_gan_tf.pretrained import DIGITS_GENERATOR
from compare_gan_tf.schedules import run, sample
from compare_gan_tf.training import checkpoints
from tests.test_main import TINY_BINDINGS, _env

NUM_CLASSES = 10  # the digits


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 2-step conditional dcgan run on the digits, exported as hub modules."""
    model_dir = str(tmp_path_factory.mktemp("run"))
    run.run(model_dir, None, [*TINY_BINDINGS, "train.training_steps = 2"], ["train", "export"])
    yield model_dir
    gin.clear_config()


@pytest.fixture
def run_sampler(tiny_run):
    run.configure(run.default_configs(tiny_run, ["sample"]))
    yield sample.RunSampler(tiny_run)
    gin.clear_config()


def _pngs(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith(".png"))


def _sample_command(*flags):
    command = [sys.executable, "-m", "compare_gan_tf.commands.sample", *flags]
    return subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=300)


def test_the_command_writes_n_named_images_and_an_npz(tiny_run, tmp_path):
    folder, npz = tmp_path / "images", tmp_path / "all.npz"
    result = _sample_command(
        f"--model_dir={tiny_run}",
        f"--output_dir={folder}",
        "--num_images=23",
        "--batch_size=10",
        "--classes=3,5",
        "--truncation=1.0",
        "--seed=7",
        f"--npz={npz}",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    names = _pngs(folder)
    # Round-robin over the given classes, index first.
    assert names == [f"{i:06d}_class{(3, 5)[i % 2]}.png" for i in range(23)]
    with np.load(npz) as arrays:
        labels, images, z = arrays["labels"], arrays["images"], arrays["z"]
    assert labels.tolist() == [(3, 5)[i % 2] for i in range(23)]
    assert images.shape == (23, 32, 32, 1) and images.dtype == np.uint8
    assert z.shape == (23, 8) and np.abs(z).max() <= 1.0
    for index in (0, 22):
        assert np.array_equal(np.asarray(Image.open(folder / names[index])), images[index, ..., 0])
    assert "Wrote 23 samples of step 2 (newest: " in result.stdout
    assert "sample: 100%" in result.stderr  # the progress bar
    assert "Traceback" not in result.stderr


def test_the_sample_schedule_writes_into_model_dir(tiny_run):
    outcomes = run.run(
        tiny_run, None, ["sample_images.num_images = 12", "sample_images.seed = 3"], ["sample"]
    )
    folder = os.path.join(tiny_run, sample.OUTPUT_DIR)
    assert _pngs(folder) == [f"{i:06d}_class{i % NUM_CLASSES}.png" for i in range(12)]
    assert outcomes[0].summary.startswith("Wrote 12 samples of step 2 (newest: ")


def test_labels_in_names_are_the_labels_the_generator_was_given(run_sampler, tmp_path):
    """Images of one file name's class are what G makes for that class and z."""
    written = sample.write_sample_files(
        run_sampler, tmp_path, 4, classes=[6, 1], seed=5, npz=str(tmp_path / "a.npz")
    )
    with np.load(tmp_path / "a.npz") as arrays:
        z, labels = arrays["z"], arrays["labels"]
    gan = run_sampler.experiment.gan
    expected = gan.ema.average(z, labels, training=False).numpy()
    expected = np.clip(np.rint((expected + 1.0) / 2.0 * 255.0), 0, 255).astype(np.uint8)
    for index, path in enumerate(written.paths):
        assert path.endswith(f"{index:06d}_class{labels[index]}.png")
        assert labels[index] == (6, 1)[index % 2]
        assert np.array_equal(np.asarray(Image.open(path)), expected[index, ..., 0])


def test_the_same_seed_writes_identical_files_and_another_seed_does_not(run_sampler, tmp_path):
    def files(folder, seed):
        written = sample.write_sample_files(run_sampler, folder, 5, seed=seed, batch_size=2)
        return [open(path, "rb").read() for path in written.paths]

    first, again, other = (
        files(tmp_path / "a", 11),
        files(tmp_path / "b", 11),
        files(tmp_path / "c", 12),
    )
    assert first == again
    assert all(a != b for a, b in zip(first, other))


def test_files_go_through_tensorflows_filesystems(run_sampler):
    """ram:// stands for gs:// and the other filesystems TensorFlow opens."""
    written = sample.write_sample_files(run_sampler, "ram://sampled", 3, npz="ram://all.npz")
    assert sorted(tf.io.gfile.listdir("ram://sampled")) == [
        "000000_class0.png",
        "000001_class1.png",
        "000002_class2.png",
    ]
    with tf.io.gfile.GFile("ram://all.npz", "rb") as file, np.load(file) as arrays:
        assert arrays["images"].shape == (3, 32, 32, 1)
    assert written.folder == "ram://sampled"


@pytest.mark.parametrize("truncation", [0.3, 1.0])
def test_truncated_z_lies_within_the_threshold_and_follows_the_truncated_normal(
    truncation, run_sampler
):
    _, z = run_sampler.draw(4000, truncation, sample.batch_seed(0, 0), np.zeros(4000, int))
    assert np.abs(z).max() <= truncation
    reference = stats.truncnorm(-truncation, truncation)
    # 32,000 draws: the standard error of the std is about 0.4% of it.
    assert z.std() == pytest.approx(reference.std(), rel=0.02)
    assert stats.kstest(z.ravel()[:5000], reference.cdf).pvalue > 1e-3


def test_a_run_and_its_hub_module_give_the_same_images(tiny_run, run_sampler):
    hub_sampler = HubSampler(os.path.join(tiny_run, "hub", "generator"))
    labels = np.arange(6) % NUM_CLASSES
    for truncation in (None, 1.0):  # 1.0 is one of the module's tabulated thresholds
        seed = sample.batch_seed(4, 0)
        from_run, z_run = run_sampler.draw(6, truncation, seed, labels)
        from_hub, z_hub = hub_sampler.draw(6, truncation, seed, labels)
        np.testing.assert_array_equal(z_run, z_hub)
        np.testing.assert_allclose(from_run, from_hub, atol=1e-5)
        assert from_hub.shape == (6, 32, 32, 1)  # the module's RGB tiling undone


@pytest.mark.slow  # a second command start (about 30 s on 2 busy cores)
def test_the_command_samples_a_hub_module(tiny_run, tmp_path):
    result = _sample_command(
        f"--module={tiny_run}/hub/generator", f"--output_dir={tmp_path}", "--num_images=3"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert _pngs(tmp_path) == ["000000_class0.png", "000001_class1.png", "000002_class2.png"]


@pytest.mark.parametrize("truncation", [0, -1.0, float("nan"), float("inf"), "1"])
def test_truncation_must_be_a_finite_positive_number(truncation):
    with pytest.raises(sample.SampleError, match="truncation must be a"):
        sample.check_truncation(truncation)


def test_classes_outside_the_generator_are_refused():
    with pytest.raises(sample.SampleError, match=r"class ids in \[0, 10\), got \[3, 10\]"):
        sample.class_labels(4, 10, [3, 10])
    with pytest.raises(sample.SampleError, match="unconditional, so it takes no classes"):
        sample.class_labels(4, 0, [1])
    assert sample.class_labels(5, 0) is None
    assert sample.class_labels(5, 3).tolist() == [0, 1, 2, 0, 1]


def test_unconditional_names_carry_only_the_index():
    assert sample.file_name(17, None, 6) == "000017.png"
    assert sample.file_name(17, 3, 7) == "0000017_class3.png"


def test_a_model_dir_without_checkpoints_has_nothing_to_sample(tmp_path):
    with pytest.raises(
        checkpoints.MissingCheckpointError, match=f"No checkpoint in {tmp_path} to sample"
    ):
        run.check_checkpoints(str(tmp_path), ["sample"])


def test_a_folder_without_a_module_is_named(tmp_path):
    with pytest.raises(ModuleError, match=f"{tmp_path} holds no hub module"):
        HubSampler(tmp_path)


def test_a_module_on_ram_gives_the_images_of_its_local_copy(copy_to_ram):
    labels, seed = np.arange(4) % NUM_CLASSES, sample.batch_seed(4, 0)
    local = HubSampler(DIGITS_GENERATOR)
    remote = HubSampler(copy_to_ram(DIGITS_GENERATOR))
    local_images, local_z = local.draw(4, 1.0, seed, labels)
    remote_images, remote_z = remote.draw(4, 1.0, seed, labels)
    np.testing.assert_array_equal(remote_z, local_z)
    np.testing.assert_array_equal(remote_images, local_images)
    assert remote.step == local.step and remote.num_classes == NUM_CLASSES


def test_a_ram_folder_without_a_module_is_named():
    empty = f"ram://{uuid.uuid4().hex}/hub/generator"
    tf.io.gfile.makedirs(empty)
    with pytest.raises(ModuleError, match=f"{empty} holds no hub module"):
        HubSampler(empty)


def test_a_discriminator_module_is_not_taken_for_a_generator(tiny_run):
    path = os.path.join(tiny_run, "hub", "discriminator")
    with pytest.raises(ModuleError, match="is not a generator module"):
        load_generator_module(path)


@pytest.mark.slow  # a second training run (about 35 s on 2 busy cores)
def test_a_generator_of_points_writes_them_to_the_npz_only(tmp_path):
    model_dir = str(tmp_path / "ring8")
    bindings = [
        "train.training_steps = 2",
        "train.steps_per_loop = 2",
        "train.save_checkpoints_steps = 2",
        "train.sample_steps = 0",
    ]
    run.run(model_dir, ["gaussian_mixture_ring8.gin"], bindings, ["train"])
    try:
        sampler = sample.RunSampler(model_dir)
        with pytest.raises(sample.SampleError, match="makes points, not images"):
            sample.write_sample_files(sampler, tmp_path / "png", 5)
        npz = str(tmp_path / "points.npz")
        written = sample.write_sample_files(sampler, tmp_path / "png", 5, truncation=0.5, npz=npz)
    finally:
        gin.clear_config()
    with np.load(npz) as arrays:
        assert sorted(arrays) == ["points", "z"]
        assert arrays["points"].shape == (5, 2) and np.isfinite(arrays["points"]).all()
        assert np.abs(arrays["z"]).max() <= 0.5
    assert written.paths == [] and not (tmp_path / "png").exists()
    assert written.summary() == (
        f"Wrote 5 samples of step 2 (newest: no checkpoint of this run has been scored) to {npz}."
    )
