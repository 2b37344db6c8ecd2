"""compare_gan_tf-import-module: a compare_gan TF1 generator hub module as a run of this library.

    compare_gan_tf-import-module HANDLE --out=DIR [--tags=gen,bs64] [--tolerance=1e-4]

HANDLE is a path (or hub handle) of a TF1 hub module; --tags its graph's tags (compare_gan's
modules have {gen|disc, bs8|bs16|bs32|bs64|bsNone}; omitted: the default graph). The generator's
variables are mapped into this library's architecture (export/import_tf1.py), checked against
the module's own output on random z (and labels, for a conditional module), then DIR gets:
    ckpt-0...           a model_dir checkpoint (G and the EMA G from the module; D, optimizers
                        freshly initialized), in the trainer's layout (training/checkpoints.py)
    imported.gin        the architecture's bindings; add a dataset to train or sample from DIR
                        (one with the module's classes when it is conditional)
    hub/generator       a generator module of this library's format (export/hub.py)
Exit statuses: see compare_gan_tf/commands/entry.py (0 done, 1 an error to fix, 2 a bad flag).
"""

from absl import app, flags

from compare_gan_tf.commands import entry

_OUT = flags.DEFINE_string("out", None, "Folder to write: model_dir checkpoint and hub module.")
_TAGS = flags.DEFINE_list("tags", None, "The module graph's tags, e.g. gen,bs64; default: none.")
_TOLERANCE = flags.DEFINE_float(
    "tolerance", 1e-4, "Largest accepted |module - Keras| on images in [0, 1].", lower_bound=0.0
)
flags.mark_flag_as_required("out")


def main(argv):
    if len(argv) != 2:
        raise app.UsageError("Pass one HANDLE (the module's path or hub handle), then --out=DIR.")
    from compare_gan_tf import console

    console.import_tensorflow()
    from compare_gan_tf.commands.imported_run import write_run
    from compare_gan_tf.export.import_tf1 import import_generator

    tags = set(_TAGS.value) if _TAGS.value else None
    imported = import_generator(argv[1], tags=tags, tolerance=_TOLERANCE.value)
    checkpoint, _, module = write_run(imported, _OUT.value)
    print(
        f"Imported {argv[1]} as {imported.architecture}: max |module - Keras| = "
        f"{imported.max_abs_difference:.3g} on {imported.parity_batch} z; wrote {checkpoint} "
        f"and {module}.",
        flush=True,
    )
    return 0


def run():
    entry.run(main, "compare_gan_tf-import-module")


if __name__ == "__main__":
    run()
