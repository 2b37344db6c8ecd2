"""Scores an exported generator module against its dataset and appends a row to a results file.

    python tools/evaluate_hub_module.py --module=compare_gan_tf/pretrained/digits_sndcgan
        [--dataset=NAME] [--data_dir=DIR] [--extractor=NAME] [--truncation=T]
        [--results=FILE.jsonl] [--gin_bindings="evaluator.num_samples = 10000" ...]

The extractor defaults to the shipped digits classifier for the digits dataset and to TF-GAN's
Inception (bind inception.path) otherwise; evaluator.* bindings set the sample counts and draws.
"""

import time

from absl import app, flags

_MODULE = flags.DEFINE_string("module", None, "Path or hub handle of a generator.", required=True)
_DATASET = flags.DEFINE_string("dataset", None, "Dataset name; default: the module's.")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "TFDS data directory.")
_EXTRACTOR = flags.DEFINE_string("extractor", None, "Feature extractor (see Evaluator).")
_TRUNCATION = flags.DEFINE_float("truncation", None, "Truncation threshold; default: none.")
_RESULTS = flags.DEFINE_string("results", None, "JSON-lines file to append the scores to.")
_GIN_BINDINGS = flags.DEFINE_multi_string("gin_bindings", [], "gin bindings (evaluator.*, ...).")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    from compare_gan_tf.export.scoring import module_dataset, score_hub_module
    from compare_gan_tf.metrics.evaluator import Evaluator
    from compare_gan_tf.metrics.results import append_result
    from compare_gan_tf.training.config import parse_gin

    parse_gin([], _GIN_BINDINGS.value)
    dataset = _DATASET.value or module_dataset(_MODULE.value)
    extractor = _EXTRACTOR.value or ("digits_classifier" if dataset == "digits" else "inception")
    scores, settings = score_hub_module(
        _MODULE.value,
        Evaluator(extractor=extractor),
        dataset=dataset,
        data_dir=_DATA_DIR.value,
        truncation=_TRUNCATION.value,
    )
    print(", ".join(f"{name} {value:.4g}" for name, value in scores.items()))
    if _RESULTS.value:
        append_result(_RESULTS.value, {"time": time.time(), "scores": scores, "settings": settings})
        print(f"Appended to {_RESULTS.value}.")


if __name__ == "__main__":
    app.run(main)
