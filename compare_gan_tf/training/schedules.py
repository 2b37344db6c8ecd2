"""The command line's schedules by name; each runs on one model_dir and returns a summary line."""

import os

from compare_gan_tf.training import evaluation, exporting, runner


def _scores_line(rows, model_dir):
    results = os.path.join(evaluation.eval_dir(model_dir), evaluation.RESULTS_FILE)
    if not rows:
        return f"No new checkpoint to score; all scores are in {results}."
    last = rows[-1]
    shown = ", ".join(f"{name} {value:.4g}" for name, value in last["scores"].items())
    extractor = last["settings"].get("extractor", "")
    return f"Step {last['step']} ({extractor}): {shown}. All scores: {results}."


def train(model_dir):
    runner.train(model_dir)
    return f"Trained; checkpoints, summaries and samples are in {model_dir}."


def evaluate(model_dir):
    return _scores_line(evaluation.evaluate(model_dir), model_dir)


def continuous_eval(model_dir):
    return _scores_line(evaluation.continuous_eval(model_dir), model_dir)


def train_and_eval(model_dir):
    rows = evaluation.train_and_eval(model_dir)
    return f"Trained in {model_dir}. {_scores_line(rows, model_dir)}"


def truncation_curve(model_dir):
    evaluation.truncation_sweep(model_dir)
    return f"Truncation curve written to {evaluation.eval_dir(model_dir)}."


def export(model_dir):
    generator, _ = exporting.export(model_dir)
    return f"Exported the generator to {generator} (load it with tensorflow_hub.load)."


SCHEDULES = {
    "train": train,
    "eval": evaluate,
    "continuous_eval": continuous_eval,
    "train_and_eval": train_and_eval,
    "truncation_curve": truncation_curve,
    "export": export,
}


def run(name, model_dir):
    return SCHEDULES[name](model_dir)
