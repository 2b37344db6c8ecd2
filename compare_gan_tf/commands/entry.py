"""The entry wrapper that every command runs through: absl's app.run with exit statuses.

    0   done.
    1   an error a user can fix (compare_gan_tf.errors.UserError): its message, no traceback.
    2   a usage error (unknown flag, bad flag value, unexpected argument, unknown schedule): one
        line naming it, and where the help is; no help dump.
    75  preempted (SIGTERM or Ctrl-C; sysexits.h's EX_TEMPFAIL): the checkpoint is saved;
        rerun to resume.
Any other exception is a bug and keeps its traceback (status 1). `--debug` prints the traceback
in every case. This module imports nothing heavy, so a bad flag fails before TensorFlow loads.
"""

import sys
import traceback

from absl import app, flags

from compare_gan_tf.errors import Preempted, UserError

USER_ERROR_STATUS = 1
USAGE_STATUS = 2
PREEMPTED_STATUS = 75

_DEBUG = flags.DEFINE_bool(
    "debug", False, "Print the full traceback of any error, for a bug report."
)


_HELP_FLAGS = ("-h", "--help", "--helpshort", "-?")


def run(main, name):
    """Runs `main(argv)` as the command `name` (used in messages), with the statuses above."""
    if any(argument in _HELP_FLAGS for argument in sys.argv[1:]):
        print(_help(main))
        sys.exit(0)
    app.run(_guarded(main, name), flags_parser=lambda argv: _parse_flags(argv, name))


def _help(main):
    """The command's docstring and the flags it defines (absl's own left out). absl's --help
    lists those of sys.argv[0], which for an installed console script is a shim with none."""
    defined = flags.FLAGS.flags_by_module_dict()
    own = sorted(
        (key for key in defined if not key.startswith("absl")), key=lambda key: key == __name__
    )
    sections = [(sys.modules[main.__module__].__doc__ or "").strip()]
    sections += [flags.FLAGS.module_help(key).strip() for key in own]
    return "\n\n".join(sections)


def _parse_flags(argv, name):
    try:
        return flags.FLAGS(argv)
    except flags.Error as error:
        # --debug itself may not have been parsed yet, so look for it in the raw arguments.
        _fail(USAGE_STATUS, _usage_line(name, error), debug="--debug" in argv)


def _guarded(main, name):
    """`main` with the package's errors turned into their messages and exit statuses."""

    def guarded(argv):
        from compare_gan_tf import console

        console.quiet_logging(verbosity_set=flags.FLAGS["verbosity"].present)
        try:
            return main(argv)
        except app.UsageError as error:
            _fail(USAGE_STATUS, _usage_line(name, error))
        except UserError as error:
            _fail(USER_ERROR_STATUS, str(error))
        except Preempted as preempted:
            if _DEBUG.value:
                traceback.print_exc()
            print(preempted, flush=True)
            sys.exit(PREEMPTED_STATUS)

    return guarded


def _usage_line(name, error):
    message = " ".join(str(error).split())
    return f"{name}: {message} (see {name} --help)"


def _fail(status, message, debug=None):
    if _DEBUG.value if debug is None else debug:
        traceback.print_exc()
    print(message, file=sys.stderr, flush=True)
    sys.exit(status)
