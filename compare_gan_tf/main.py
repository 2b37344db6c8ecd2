"""Command line of compare_gan_tf.

With no flags it runs the embedded default. Until the trainer lands that is the layer demo:
two small discriminators on scikit-learn's digits, with and without spectral normalization.
"""

from absl import app, flags

_MODEL_DIR = flags.DEFINE_string(
    "model_dir", "runs/default", "Directory for everything a run writes."
)
_SCHEDULE = flags.DEFINE_enum(
    "schedule", "layer_demo", ["layer_demo"], "What to run (train/eval/export modes come next)."
)
_STEPS = flags.DEFINE_integer("steps", 150, "Training steps of the layer demo.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    from compare_gan_tf import layer_demo  # TensorFlow loads only after flags parse.

    layer_demo.run(_MODEL_DIR.value, steps=_STEPS.value)


def run():
    app.run(main)


if __name__ == "__main__":
    run()
