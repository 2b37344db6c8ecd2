"""The tiny dcgan run on 32 px digits that the trainer tests share (seconds per step on a CPU)."""

TINY_RUN = """
dataset.name = "digits"
dataset.resolution = 32
Experiment.architecture = "dcgan"
Experiment.batch_size = 8
Experiment.z_dim = 8
dcgan_generator.ch = 4
dcgan_discriminator.ch = 4
train.steps_per_loop = 1
train.save_checkpoints_steps = 1
train.summary_steps = 1
train.singular_value_steps = 2
train.sample_steps = 2
"""


def tiny_overrides(architecture, steps, batch_size, shuffle_buffer_size, singular_value_steps):
    """gin bindings that shrink a config's run to `steps` tiny steps of `architecture`."""
    # BigGAN's self-attention at 64 px needs 8 channels there (it projects to channels // 8).
    width = 8 if architecture.startswith("biggan") else 4
    return {
        "train.training_steps": steps,
        "train.steps_per_loop": 1,
        "train.summary_steps": 1,
        "train.save_checkpoints_steps": steps,
        "train.singular_value_steps": singular_value_steps,
        "train.sample_steps": 0,
        "Experiment.batch_size": batch_size,
        f"{architecture}_generator.ch": width,
        f"{architecture}_discriminator.ch": width,
        "dataset.shuffle_buffer_size": shuffle_buffer_size,
    }
