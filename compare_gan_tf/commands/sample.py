"""compare_gan_tf-sample: N images of a trained generator as PNG files (and optionally an .npz).

    compare_gan_tf-sample --model_dir=runs/digits [--output_dir=DIR] [--num_images=100]
        [--classes=3,5] [--truncation=T] [--seed=0] [--batch_size=64] [--npz=FILE.npz]
    compare_gan_tf-sample --module=runs/digits/hub/generator --output_dir=DIR ...

From --model_dir: the EMA generator at the best checkpoint by the run's score (model_dir/best),
else the newest, built from model_dir/config.gin; the output folder defaults to
model_dir/generated. From --module: an exported generator module. Files are named by index and
class (000017_class3.png; unconditional: 000017.png); classes go round-robin over all classes or
over --classes. The same --seed and --batch_size give the same files. Exit statuses: see
compare_gan_tf/commands/entry.py (0 done, 1 an error to fix, 2 a bad flag).
"""

import math

from absl import app, flags

from compare_gan_tf.commands import entry

_MODEL_DIR = flags.DEFINE_string("model_dir", None, "A run's folder: sample its best checkpoint.")
_MODULE = flags.DEFINE_string("module", None, "A generator module's path or hub handle.")
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", None, "Folder for the PNG files; default: MODEL_DIR/generated."
)
_NUM_IMAGES = flags.DEFINE_integer("num_images", 100, "How many images.", lower_bound=1)
_CLASSES = flags.DEFINE_list("classes", None, "Class ids to go round-robin over; default: all.")
_TRUNCATION = flags.DEFINE_float(
    "truncation", None, "Truncation threshold on |z| (> 0); default: none."
)
_SEED = flags.DEFINE_integer("seed", 0, "Seed of z: the same seed gives the same images.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 64, "Images per generator call.", lower_bound=1)
_NPZ = flags.DEFINE_string("npz", None, "Also write all images, z and labels to this .npz.")


def _check_source(values):
    if (values["model_dir"] is None) == (values["module"] is None):
        raise flags.ValidationError("pass exactly one of --model_dir and --module")
    if values["module"] is not None and values["output_dir"] is None:
        raise flags.ValidationError("--module needs --output_dir (there is no run folder)")
    return True


def _check_classes(classes):
    if classes is not None and not all(value.strip().isdigit() for value in classes):
        raise flags.ValidationError(f"--classes takes class ids like 3,5; got {','.join(classes)}")
    return True


def _check_truncation(truncation):
    if truncation is not None and not (math.isfinite(truncation) and truncation > 0):
        raise flags.ValidationError("--truncation must be a finite number > 0 (omit it for none)")
    return True


flags.register_multi_flags_validator(["model_dir", "module", "output_dir"], _check_source)
flags.register_validator("classes", _check_classes)
flags.register_validator("truncation", _check_truncation)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {' '.join(argv[1:])}; use --flag=value.")
    # TensorFlow loads only now, after the flags are checked, without its start-up lines.
    from compare_gan_tf import console

    console.import_tensorflow()
    from compare_gan_tf.export.loading import HubSampler
    from compare_gan_tf.schedules import run, sample

    settings = dict(
        classes=None if _CLASSES.value is None else [int(value) for value in _CLASSES.value],
        truncation=_TRUNCATION.value,
        seed=_SEED.value,
        batch_size=_BATCH_SIZE.value,
        npz=_NPZ.value,
    )
    if _MODULE.value is not None:
        sampler = HubSampler(_MODULE.value)
        written = sample.write_sample_files(
            sampler, _OUTPUT_DIR.value, _NUM_IMAGES.value, **settings
        )
    else:
        model_dir = _MODEL_DIR.value
        run.check_checkpoints(model_dir, ["sample"])
        run.configure(run.default_configs(model_dir, ["sample"]))
        written = sample.sample_images(
            model_dir,
            run.build_experiment(),
            num_images=_NUM_IMAGES.value,
            output_dir=_OUTPUT_DIR.value,
            **settings,
        )
    print(written.summary(), flush=True)
    return 0


def run():
    entry.run(main, "compare_gan_tf-sample")


if __name__ == "__main__":
    run()
