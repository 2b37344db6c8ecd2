"""The compare_gan_tf command run in this process (so ram:// files and gin state are shared)."""

from absl import flags

from compare_gan_tf import main as cli
from compare_gan_tf.commands import entry


def run_command(*arguments):
    """The exit status of `compare_gan_tf *arguments`, through the command's own entry."""
    flags.FLAGS(["compare_gan_tf", *arguments])
    try:
        return entry._guarded(cli.main, "compare_gan_tf")(["compare_gan_tf"])
    except SystemExit as exited:
        return exited.code
    finally:
        flags.FLAGS.unparse_flags()
