"""The comparison that chose the embedded default: small-data methods on the digits.

Each arm is README's first command (digits_sndcgan.gin as it was before the choice: SNDCGAN
ch 32, 1,200 steps of batch 64, Adam 2e-4, scored every 400 steps) with the arm's bindings and
`Experiment.seed`. A run trains with `compare_gan_tf.main` in runs_dir/<arm>_s<seed>; this
script then reads every run's eval rows (digits FID and recall per checkpoint, D's accuracy
on training vs held-out digits) and scores its exported generator (the best checkpoint by FID)
with benchmarks.digits_quality.

    python -m benchmarks.digits_default --inputs='{"runs_dir": "runs/select", "seeds": [0]}'
    python -m benchmarks.digits_default --inputs='{"runs_dir": "runs/select", "train": false}'
"""

import json
import pathlib
import subprocess
import sys
import time

from benchmarks import common, digits_quality

# The configuration before the choice (no augmentation, no mode seeking, compare_gan's rate 2e-4),
# so every arm differs from it by its own bindings only.
BASE = [
    "GANObjective.augment = 'none'",
    "GANObjective.mode_seeking_weight = 0.0",
    "generator/adam.learning_rate = 2e-4",
    "discriminator/adam.learning_rate = 2e-4",
]
_DIFFAUGMENT = ["GANObjective.augment = 'diffaugment'"]
_RATE_4E4 = ["generator/adam.learning_rate = 4e-4", "discriminator/adam.learning_rate = 4e-4"]
ARMS = {
    "plain": [],
    "diffaugment": _DIFFAUGMENT,
    # ADA's p must move within 1,200 steps: 50 kimg instead of 500; no 90-degree turns on digits.
    "ada": [
        "GANObjective.augment = 'ada'",
        "AdaptiveAugment.ada_kimg = 50",
        "AdaptiveAugment.rotate90 = 0.0",
    ],
    "lecam": ["GANObjective.lecam_weight = 0.3"],
    "bcr": ["GANObjective.consistency = 'bcr'"],
    # The second round, on top of DiffAugment: a faster rate, a policy without color, mode seeking.
    "diffaugment_rate4e-4": _DIFFAUGMENT + _RATE_4E4,
    "diffaugment_translation_cutout": _DIFFAUGMENT + ["diff_augment.policy = 'translation,cutout'"],
    "mode_seeking_1": _DIFFAUGMENT + ["GANObjective.mode_seeking_weight = 1.0"],
    "mode_seeking_1_rate4e-4": _DIFFAUGMENT
    + _RATE_4E4
    + ["GANObjective.mode_seeking_weight = 1.0"],
    "mode_seeking_0.4_rate4e-4": _DIFFAUGMENT
    + _RATE_4E4
    + ["GANObjective.mode_seeking_weight = 0.4"],
    # The embedded default since the second round.
    "mode_seeking_0.2_rate4e-4": _DIFFAUGMENT
    + _RATE_4E4
    + ["GANObjective.mode_seeking_weight = 0.2"],
}


def train_arm(runs_dir, arm, seed):
    model_dir = pathlib.Path(runs_dir) / f"{arm}_s{seed}"
    bindings = [*BASE, *ARMS[arm], f"Experiment.seed = {seed}"]
    command = [sys.executable, "-m", "compare_gan_tf.main", f"--model_dir={model_dir}"]
    start = time.perf_counter()
    subprocess.run(command + [f"--gin_bindings={b}" for b in bindings], check=True)
    return time.perf_counter() - start


def _eval_rows(model_dir):
    path = model_dir / "eval" / "results.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    keep = ("fid", "recall", "precision", "d_train_accuracy", "d_heldout_accuracy")
    return {row["step"]: {k: row["scores"].get(k) for k in keep} for row in rows}


def run(quick=False, runs_dir="runs/select", seeds=(0,), arms=None, train=True):
    arms = list(arms or ARMS)
    seconds = {}
    if train:
        for seed in seeds:
            for arm in arms:
                seconds[f"{arm}_s{seed}"] = train_arm(runs_dir, arm, seed)
    modules, checkpoints = {}, {}
    for model_dir in sorted(pathlib.Path(runs_dir).glob("*_s*")):
        if model_dir.name.rsplit("_s", 1)[0] not in arms:
            continue
        checkpoints[model_dir.name] = _eval_rows(model_dir)
        if (model_dir / "hub" / "generator").exists():
            modules[model_dir.name] = str(model_dir / "hub" / "generator")
    quality = digits_quality.run(modules=modules)
    results = {
        "checkpoints": checkpoints,
        "exported": quality["results"],
        "train_seconds": seconds,
    }
    notes = [
        "Arms: " + "; ".join(f"{arm}: {', '.join(ARMS[arm]) or 'none'}" for arm in arms),
        *quality["notes"],
    ]
    return common.payload("digits_default", quick, results, quality["targets"], notes)


def table(results):
    rows = [["run", "step", "FID", "recall", "D acc. train", "D acc. held-out"]]
    for name, steps in results["checkpoints"].items():
        for step, row in sorted(steps.items()):
            rows.append(
                [
                    name,
                    step,
                    row["fid"],
                    row["recall"],
                    row["d_train_accuracy"],
                    row["d_heldout_accuracy"],
                ]
            )
    return rows


if __name__ == "__main__":
    common.main("digits_default", run, table)
