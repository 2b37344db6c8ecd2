"""A tiny study on ring8: small batch, few steps, checkpoints every loop."""

import pytest

TINY_STUDY = """
[study]
name = "tiny"
gin_configs = ["gaussian_mixture_ring8.gin"]
bindings = [
    "Experiment.batch_size = 64",
    "train.training_steps = {steps}",
    "train.steps_per_loop = 10",
    "train.save_checkpoints_steps = 10",
    "train.summary_steps = 0",
    "train.sample_steps = 0",
    {extra_bindings}
]
trials = {trials}
sampler = "random"
seed = 3
method = ["loss"]
heartbeat_seconds = 1
{study_extra}

[objective]
metric = "mixture"
score = "modes_recovered"
direction = "maximize"
{objective_extra}

[params.loss]
binding = "GANObjective.loss"
choices = ["non_saturating", "hinge"]

[params.learning_rate]
binding = ["generator/adam.learning_rate", "discriminator/adam.learning_rate"]
low = {low}
high = {high}
log = true
"""


@pytest.fixture
def tiny_study(tmp_path):
    """A factory: writes the tiny study file with the given fields; returns its path."""

    def write(
        steps=20,
        trials=2,
        extra_bindings=(),
        objective_extra="",
        low=1e-4,
        high=1e-3,
        study_extra="",
    ):
        text = TINY_STUDY.format(
            study_extra=study_extra,
            steps=steps,
            trials=trials,
            extra_bindings=", ".join(f'"{binding}"' for binding in extra_bindings),
            objective_extra=objective_extra,
            low=low,
            high=high,
        )
        path = tmp_path / "tiny.toml"
        path.write_text(text)
        return str(path)

    return write
