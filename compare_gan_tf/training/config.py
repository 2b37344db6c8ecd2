"""gin for a run: find the config files, parse them with the bindings, and tell apart the
bindings the files gave from those given after them (see gin_check.py)."""

import os

import gin

from compare_gan_tf.errors import ConfigError
from compare_gan_tf.paths import is_file, is_local, read_text

SHIPPED_CONFIGS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "gin_configs")
DEFAULT_CONFIG = "digits_sndcgan.gin"


def shipped_configs():
    """Names of the gin configs that come with the package."""
    return sorted(name for name in os.listdir(SHIPPED_CONFIGS) if name.endswith(".gin"))


def find_config(name):
    """The path of a gin config given as a path (on any TensorFlow filesystem) or as the name
    of a shipped one; local paths are checked without TensorFlow, so the command line is fast."""
    if is_file(name):
        return name
    shipped = os.path.join(SHIPPED_CONFIGS, name)
    if os.path.isfile(shipped):
        return shipped
    raise ConfigError(
        f"gin config {name!r} is neither a file nor a shipped config; pass a path, or one of "
        f"{', '.join(shipped_configs())}."
    )


def parse_gin(configs, bindings):
    """Parses the configs (paths or shipped names) and then the bindings, into gin's state."""
    global _in_files
    paths = [find_config(name) for name in configs]
    _read_includes_through_gfile()
    _in_files = {}
    try:
        for path in paths:
            _parse_config_file(path)
        _in_files = _bindings()
        gin.parse_config(bindings)
        gin.finalize()
    except (ValueError, KeyError, NameError, TypeError, SyntaxError) as error:
        raise ConfigError(
            f"Bad gin configuration ({type(error).__name__}): {error}. Check the names against "
            "the files in gin_configs/ and the docstrings of the configurables."
        ) from None


# {(scope, selector, parameter): value} of gin's bindings once the config files were parsed.
_in_files = {}


def _bindings():
    # gin keeps its bindings private ({(scope, selector): {parameter: value}}); nothing public
    # lists them with their scopes.
    return {
        (scope, selector, parameter): value
        for (scope, selector), parameters in gin.config._CONFIG.items()
        for parameter, value in parameters.items()
    }


def given_in_files():
    """The (scope, selector, parameter) keys of gin's bindings that the config files of the last
    `parse_gin` set and nothing bound again since (bindings given after the files, such as
    --gin_bindings or gin.bind_parameter, are not among them)."""
    now = _bindings()
    if not set(_in_files) <= set(now):  # gin cannot unbind: its configuration was cleared since
        return set()
    return {key for key, value in now.items() if key in _in_files and _in_files[key] is value}


_gfile_reader_registered = False


def _read_includes_through_gfile():
    """gin opens the includes of config files through tf.io.gfile too, so they may be on gs://."""
    global _gfile_reader_registered
    if not _gfile_reader_registered:
        import tensorflow as tf

        gin.config.register_file_reader(tf.io.gfile.GFile, tf.io.gfile.exists)
        _gfile_reader_registered = True


def _parse_config_file(path):
    if is_local(path):
        gin.parse_config_file(path)
    else:
        # Read here: gin's readers would log "Path not found" for gs:// before trying tf.io.gfile.
        gin.parse_config(read_text(path))
