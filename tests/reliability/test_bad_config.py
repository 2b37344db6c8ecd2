"""Bad configurations through the command line: one clear error, and model_dir left untouched.

Each case starts from a model_dir that already holds a run's files (a sentinel and
checkpoint-like files), runs `compare_gan_tf.main --schedule=train` with one bad binding, and
checks the exit status, that stderr names the binding and the fix without a traceback, and that
every file in model_dir is byte-for-byte what it was.
"""

import hashlib
import subprocess

import pytest

from tests.test_main import _command, _env

BAD_CONFIGS = {
    "batch_size_type": (
        ["Experiment.batch_size = 'big'"],
        ["Experiment.batch_size must be a positive integer", "'big'"],
    ),
    "training_steps_type": (
        ["train.training_steps = 'x'"],
        ["train.training_steps must be an integer number of steps", "'x'"],
    ),
    "num_classes_binding": (
        ["dcgan_generator.num_classes = 5"],
        ["dcgan_generator.num_classes = 5", "comes from the dataset (10 here)"],
    ),
    "unsupported_resolution": (
        ["dataset.resolution = 16"],
        ["'dcgan' does not support resolution 16", "set dataset.resolution to one of 32, 48"],
    ),
    "unknown_tfds_name": (
        ["dataset.name = 'cifar_ten'"],
        ["Unknown dataset 'cifar_ten'", "Did you mean 'cifar10'?"],
    ),
    "unknown_configurable": (
        ["trian.training_steps = 5"],
        ["Bad gin configuration", "No configurable matching 'trian'"],
    ),
    "unknown_parameter": (
        ["train.traning_steps = 5"],
        ["Bad gin configuration", "doesn't have a parameter named 'traning_steps'"],
    ),
    "learning_rate_string": (
        ["generator/adam.learning_rate = '1e-4'"],
        ["learning_rate must be a number, got '1e-4'", "write it without quotes"],
    ),
    "ada_negative_multiplier": (
        ["GANObjective.augment = 'ada'", "AdaptiveAugment.rotate90 = -1.0"],
        ["AdaptiveAugment.rotate90 = -1.0", "must be >= 0"],
    ),
    "missing_tfds_data_dir": (
        ["dataset.name = 'cifar10'", "dataset.data_dir = '/nonexistent/tfds'"],
        ["is not prepared in data_dir '/nonexistent/tfds'", "tfds build cifar10"],
    ),
}


def _snapshot(directory):
    """{relative path: sha256} of every file under `directory`."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def existing_model_dir(tmp_path):
    """A model_dir holding an earlier run's files: a sentinel and checkpoint-like files."""
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (model_dir / "SENTINEL").write_text("written by an earlier run\n")
    (model_dir / "checkpoint").write_text('model_checkpoint_path: "ckpt-7"\n')
    (model_dir / "ckpt-7.index").write_bytes(b"\x00index\x01")
    (model_dir / "ckpt-7.data-00000-of-00001").write_bytes(b"\x00weights\x02")
    return model_dir


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_fails_once_clearly_and_keeps_model_dir(case, existing_model_dir):
    bindings, expected_messages = BAD_CONFIGS[case]
    before = _snapshot(existing_model_dir)
    command = _command(existing_model_dir, "train.training_steps = 1", *bindings)
    result = subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=300)
    assert result.returncode != 0, result.stdout[-2000:]
    for message in expected_messages:
        assert message in result.stderr, result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert _snapshot(existing_model_dir) == before
