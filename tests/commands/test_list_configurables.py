"""--list_configurables: every gin configurable of the package, its summary and its defaults."""

import dataclasses
import inspect
import subprocess
import sys

import pytest

from compare_gan_tf.commands import configurables
from compare_gan_tf.schedules import best, sample
from compare_gan_tf.training import loop
from tests.test_main import _env


def _listing(capsys):
    configurables.print_configurables()
    return capsys.readouterr().out


def test_the_listing_gives_each_parameter_with_its_default(capsys):
    listing = _listing(capsys)
    fields = {field.name: field.default for field in dataclasses.fields(loop.TrainSettings)}
    steps = fields["training_steps"]
    assert isinstance(steps, int)
    assert f"    train.training_steps = {steps!r}\n" in listing
    assert "train  (compare_gan_tf.training.loop)\n" in listing
    assert "    sample_images.num_images = 100\n" in listing
    assert "    best_checkpoint.score = None\n" in listing
    # Parameters the code passes itself (gin's denylist) are not listed.
    assert "best_checkpoint.model_dir" not in listing
    assert "sample_images.experiment" not in listing


def test_the_summary_is_the_first_paragraph_of_the_docstring(capsys):
    listing = _listing(capsys)
    first = inspect.getdoc(sample.sample_images).split("\n\n")[0]
    assert (
        f"sample_images  (compare_gan_tf.schedules.sample)\n    {' '.join(first.split())}\n"
        in listing
    )
    assert inspect.getdoc(best.keep_if_best).splitlines()[0] in listing


def test_every_configurable_is_listed_once_in_name_order(capsys):
    listing = _listing(capsys)
    names = [
        line.split("  (")[0] for line in listing.splitlines() if line and not line[0].isspace()
    ]
    assert names == sorted(names, key=lambda name: (name.lower(), name))
    assert len(names) == len(set(names))
    assert {"train", "Experiment", "evaluator", "dataset", "dcgan_generator"} <= set(names)


@pytest.mark.slow  # imports every module of the package in a fresh process (about 30 s)
def test_the_flag_prints_the_listing_and_exits_0(tmp_path):
    command = [sys.executable, "-m", "compare_gan_tf.main", "--list_configurables"]
    result = subprocess.run(
        command, capture_output=True, text=True, env=_env(), timeout=300, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "    train.training_steps = " in result.stdout
    assert list(tmp_path.iterdir()) == []  # nothing run, nothing written
