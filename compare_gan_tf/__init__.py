"""compare_gan_tf: GAN research library on TensorFlow 2 and Keras 3."""

from compare_gan_tf.console import import_tensorflow, silence_tensorflow_cpp_logs

__version__ = "0.1.0"

silence_tensorflow_cpp_logs()  # before anything imports TensorFlow


def run(model_dir, gin_configs=None, gin_bindings=(), schedule=("train_and_eval", "export")):
    """Runs the schedules on model_dir from gin configs and bindings; see schedules/run.py.

    Imported on first use, so `import compare_gan_tf` does not load TensorFlow.
    """
    import_tensorflow()
    from compare_gan_tf.schedules.run import run as run_schedules

    return run_schedules(model_dir, gin_configs, gin_bindings, schedule)
