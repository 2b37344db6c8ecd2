"""Hub modules that ship with the package: the digits generator the default config trains.

`DIGITS_GENERATOR` is the path of a class-conditional SNDCGAN (ch 32, DiffAugment, mode seeking;
its BN statistics tabulated for truncation thresholds) trained by
`python -m compare_gan_tf.main` (digits_sndcgan.gin, seed 0, 1,200 steps; the best checkpoint
by FID); its scores are in its metadata (`json.loads(module.metadata.numpy())["scores"]`) and
its model card is digits_sndcgan.md beside it.
"""

import importlib.resources

from compare_gan_tf.errors import UserError


class ShippedModuleNotFoundError(UserError, FileNotFoundError):
    """A name that is not one of the modules in compare_gan_tf/pretrained."""


def shipped_modules():
    """The names of the shipped modules: the SavedModel directories of this package."""
    package = importlib.resources.files(__name__)
    return sorted(entry.name for entry in package.iterdir() if (entry / "saved_model.pb").is_file())


def shipped_module_path(name="digits_sndcgan"):
    """The path of a shipped module, found through the installed package, for `hub.load`."""
    module = importlib.resources.files(__name__) / name
    if not (module / "saved_model.pb").is_file():
        raise ShippedModuleNotFoundError(
            f"No shipped module named {name!r}; the package ships {', '.join(shipped_modules())}."
        )
    # Installed packages are plain directories, so the Traversable is a filesystem path.
    return str(module)


DIGITS_GENERATOR = shipped_module_path()
