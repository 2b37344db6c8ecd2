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
