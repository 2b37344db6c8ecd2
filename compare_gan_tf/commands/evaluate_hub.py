"""compare_gan_tf-evaluate-hub: scores a generator module against its dataset, and appends the
row to a results file.

    compare_gan_tf-evaluate-hub --module=compare_gan_tf/pretrained/digits_sndcgan
        [--dataset=NAME] [--data_dir=DIR] [--extractor=NAME] [--truncation=T]
        [--results=FILE.jsonl] [--gin_bindings="evaluator.num_samples = 10000" ...]

The extractor defaults to the shipped digits classifier for the digits dataset and to TF-GAN's
Inception (bind inception.path) otherwise; evaluator.* bindings set the sample counts and draws.
Exit statuses: see entry.py.
"""

import math
import time

from absl import app, flags

from compare_gan_tf.commands import entry

_MODULE = flags.DEFINE_string("module", None, "Path or hub handle of a generator.", required=True)
_DATASET = flags.DEFINE_string("dataset", None, "Dataset name; default: the module's.")
_DATA_DIR = flags.DEFINE_string("data_dir", None, "TFDS data directory.")
_EXTRACTOR = flags.DEFINE_string("extractor", None, "Feature extractor (see Evaluator).")
_TRUNCATION = flags.DEFINE_float("truncation", None, "Truncation threshold (> 0); default: none.")
_RESULTS = flags.DEFINE_string("results", None, "JSON-lines file to append the scores to.")
_GIN_BINDINGS = flags.DEFINE_multi_string("gin_bindings", [], "gin bindings (evaluator.*, ...).")

flags.register_validator(
    "truncation",
    lambda value: value is None or (math.isfinite(value) and value > 0),
    "--truncation must be a finite number > 0 (omit it for none)",
)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    from compare_gan_tf.commands.gin_syntax import check_gin_syntax

    check_gin_syntax([], _GIN_BINDINGS.value)
    from compare_gan_tf import console

    console.import_tensorflow()  # without its start-up lines
    from compare_gan_tf.export.loading import load_generator_module
    from compare_gan_tf.export.scoring import module_dataset, score_hub_module
    from compare_gan_tf.metrics.evaluator import Evaluator
    from compare_gan_tf.metrics.results import append_result
    from compare_gan_tf.schedules.run import parse_gin

    parse_gin([], _GIN_BINDINGS.value)
    load_generator_module(_MODULE.value)  # a missing or wrong module: one message
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
    return 0


def run():
    entry.run(main, "compare_gan_tf-evaluate-hub")


if __name__ == "__main__":
    run()
