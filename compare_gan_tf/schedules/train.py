"""The train and train_and_eval schedules, and model_dir's training lock around a run that trains.

train runs the loop (training/loop.py) to `train.training_steps`; train_and_eval also scores
each checkpoint right after it is saved (compare_gan's train_and_eval), through eval.py's
`ScoreCheckpoints` hook, after scoring the checkpoints of an earlier run that have no scores.
"""

import contextlib

from compare_gan_tf.schedules.eval import ScoreCheckpoints, scorer
from compare_gan_tf.training import loop
from compare_gan_tf.training.experiment import Experiment
from compare_gan_tf.training.lock import training_lock


def trains(schedule):
    """Whether any schedule of the list trains."""
    return any("train" in name for name in schedule)


def lock_if_training(model_dir, schedule):
    """model_dir's training lock (lock.ModelDirLockedError when another live run trains there)
    when `schedule` trains, held from before its first write (train_and_eval scores earlier
    checkpoints first) to the end of the run; schedules that only read model_dir take none."""
    return training_lock(model_dir) if trains(schedule) else contextlib.nullcontext()


def train(model_dir, experiment):
    """Trains the run's Experiment to train.training_steps; returns its summary line."""
    loop.train(model_dir, experiment=experiment)
    return f"Trained; checkpoints, summaries and samples are in {model_dir}."


def train_and_eval(model_dir, experiment=None, evaluator=None):
    """Trains, scoring each checkpoint right after it is saved; checkpoints of an earlier run
    without scores are scored first. Returns (rows, experiment). A call from outside a run may
    leave the Experiment and evaluator None, to build them from gin."""
    experiment = experiment or Experiment()
    checkpoint_scorer = scorer(model_dir, experiment, evaluator)
    rows = checkpoint_scorer.score_unscored()
    hook = ScoreCheckpoints(checkpoint_scorer)
    loop.train(model_dir, experiment=experiment, hooks=[hook])
    return rows + hook.rows, experiment
