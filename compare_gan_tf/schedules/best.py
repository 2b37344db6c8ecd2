"""The best checkpoint of a run, kept in model_dir/best outside the keep-N rotation.

Each scored (untruncated) checkpoint is compared on one score: `best_checkpoint.score`, or the
data kind's default (FID for images, modes recovered for 2-D points). A better one has its files
copied to best/ and is recorded in best/best.json; the export schedule exports it by default.
Only the task that writes model_dir calls this, so it needs no collective step.
"""

import json
import os

import gin
import tensorflow as tf

from compare_gan_tf.files import write_atomically

BEST_DIR = "best"
RECORD_FILE = "best.json"
# Distances between distributions (and swd_<side>, SWD at one pyramid level), and MS-SSIM,
# whose lower values mean more diverse samples: lower is better. Every other score is better
# higher.
LOWER_IS_BETTER = ("fid", "intra_fid", "kid", "swd", "ms_ssim")


def best_dir(model_dir):
    return os.path.join(model_dir, BEST_DIR)


def lower_is_better(score):
    return score in LOWER_IS_BETTER or score.startswith("swd_")


def best_record(model_dir):
    """The record of the best checkpoint ({"step", "checkpoint", "score", "value", ...}), or
    None when no checkpoint has been scored."""
    path = os.path.join(best_dir(model_dir), RECORD_FILE)
    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as file:
        return json.load(file)


def _is_better(value, record, score):
    if record is None or record["score"] != score:
        return True
    return value < record["value"] if lower_is_better(score) else value > record["value"]


@gin.configurable("best_checkpoint", denylist=["model_dir", "row", "default_score"])
def keep_if_best(model_dir, row, default_score, score=None):
    """Copies the checkpoint of eval `row` to model_dir/best when its `score` (None: the data
    kind's `default_score`) beats the best so far; returns whether it did."""
    score = score or default_score
    if score not in row["scores"]:
        raise ValueError(
            f"best_checkpoint.score = {score!r} is not among the scores of a checkpoint "
            f"({', '.join(row['scores'])}); bind one of those."
        )
    value = float(row["scores"][score])
    record = best_record(model_dir)
    if not _is_better(value, record, score):
        return False
    source = os.path.join(model_dir, row["checkpoint"])
    target_dir = best_dir(model_dir)
    tf.io.gfile.makedirs(target_dir)
    kept = set()
    for path in tf.io.gfile.glob(f"{source}.*"):
        target = os.path.join(target_dir, os.path.basename(path))
        tf.io.gfile.copy(path, target, overwrite=True)
        kept.add(target)
    direction = "lowest" if lower_is_better(score) else "highest"
    record = {
        "step": row["step"],
        "checkpoint": os.path.join(BEST_DIR, row["checkpoint"]),
        "score": score,
        "value": value,
        "why": f"the {direction} {score} ({value:.4g}) of the checkpoints scored so far",
    }
    write_atomically(os.path.join(target_dir, RECORD_FILE), json.dumps(record, indent=1) + "\n")
    for path in tf.io.gfile.glob(os.path.join(target_dir, "ckpt-*")):
        if path not in kept:
            tf.io.gfile.remove(path)
    return True
