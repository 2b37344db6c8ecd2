"""compare_gan's SSGAN and S3GAN, converted from compare_gan configs, trained on the digits.

Each arm is a compare_gan config (below, as compare_gan wrote them: SNDCGAN, batch 64) converted
with compare_gan_tf-convert-gin, then trained by `compare_gan_tf.main` on the shipped digits at
32 px with the arm's overrides (width, steps, labelled fraction). The script reads D's rotation
accuracy on the real images of the training batches (`d_rotation_accuracy`, the mean over
each loop of `train.steps_per_loop` steps) and, for S3GAN, the predictor's accuracy on the
labelled reals.

    python -m benchmarks.self_supervised_digits --inputs='{"runs_dir": "runs/ssl", "steps": 1000}'
"""

import pathlib
import subprocess
import sys
import time

from benchmarks import common
from tests.event_scalars import event_scalars

_COMMON = """dataset.name = "cifar10"
options.architecture = "sndcgan_arch"
options.batch_size = 64
options.training_steps = 100000
D.spectral_norm = True
loss.fn = @non_saturating
penalty.fn = @no_penalty
ModularGAN.g_lr = 0.0002
tf.train.AdamOptimizer.beta1 = 0.5
tf.train.AdamOptimizer.beta2 = 0.999
"""
# SSGAN (Chen et al. 2019): unconditional; 16 reals and 16 fakes in 4 rotations each.
SSGAN = (
    _COMMON
    + """G.batch_norm_fn = @batch_norm
options.gan_class = @SSGAN
SSGAN.self_supervision = "rotation_gan"
SSGAN.rotated_batch_size = 64
"""
)
# S3GAN (Lucic et al. 2019): rotation, a predictor of the missing labels, projection.
S3GAN = (
    _COMMON
    + """G.batch_norm_fn = @conditional_batch_norm
ModularGAN.conditional = True
options.gan_class = @S3GAN
S3GAN.rotated_batch_fraction = 4
S3GAN.project_y = True
S3GAN.use_predictor = True
"""
)
ARMS = {"ssgan": (SSGAN, {}), "s3gan_10pct": (S3GAN, {"dataset.labeled_fraction": 0.1})}


def _overrides(steps, ch, extra):
    return {
        "dataset.name": "digits",
        "dataset.resolution": 32,
        "sndcgan_generator.ch": ch,
        "sndcgan_discriminator.ch": ch,
        "train.training_steps": steps,
        "train.summary_steps": 25,
        "train.save_checkpoints_steps": steps,
        **extra,
    }


def train_arm(runs_dir, arm, steps, ch, seed):
    text, extra = ARMS[arm]
    model_dir = pathlib.Path(runs_dir) / arm
    model_dir.mkdir(parents=True, exist_ok=True)
    source, converted = model_dir / "compare_gan.gin", model_dir / "converted.gin"
    source.write_text(text)
    convert = [sys.executable, "-m", "compare_gan_tf.commands.convert_gin", str(source)]
    subprocess.run([*convert, f"--out={converted}"], check=True)
    bindings = dict(_overrides(steps, ch, extra), **{"Experiment.seed": seed})
    command = [sys.executable, "-m", "compare_gan_tf.main", f"--model_dir={model_dir / 'run'}"]
    command += [f"--gin_config={converted}", "--schedule=train"]
    command += [f"--gin_bindings={key} = {value!r}" for key, value in bindings.items()]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    return time.perf_counter() - start


def _curves(model_dir):
    scalars = event_scalars(str(model_dir / "run" / "train"))
    wanted = ("d_rotation_accuracy", "d_class_accuracy")
    return {
        name: {step: round(value, 4) for step, value in sorted(series.items())}
        for tag, series in scalars.items()
        for name in wanted
        if tag.endswith(f"/{name}")
    }


def run(quick=False, runs_dir="runs/self_supervised", steps=1000, ch=16, seed=0, train=True):
    if quick:
        steps, ch = 4, 4
    seconds = {}
    if train:
        for arm in ARMS:
            seconds[arm] = round(train_arm(runs_dir, arm, steps, ch, seed), 1)
    curves = {arm: _curves(pathlib.Path(runs_dir) / arm) for arm in ARMS}
    results = {"curves": curves, "train_seconds": seconds, "steps": steps, "ch": ch, "seed": seed}
    notes = [
        "Accuracies are on the training batch of each logged step (training-mode D), "
        "as compare_gan logged them; chance is 0.25 for rotations and 0.1 for classes.",
        "S3GAN's class accuracy is the predictor's on the labelled reals of the batch.",
    ]
    return common.payload("self_supervised_digits", quick, results, (), notes)


def table(results):
    rows = [["arm", "step", "rotation acc. (real)", "class acc. (labelled real)"]]
    for arm, curves in results["curves"].items():
        rotation = curves.get("d_rotation_accuracy", {})
        classes = curves.get("d_class_accuracy", {})
        for step in sorted(rotation):
            rows.append([arm, step, rotation[step], classes.get(step)])
    return rows


if __name__ == "__main__":
    common.main("self_supervised_digits", run, table)
