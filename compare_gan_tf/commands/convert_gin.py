"""compare_gan_tf-convert-gin: a compare_gan gin config as compare_gan_tf's, binding for binding.

    compare_gan_tf-convert-gin OLD.gin [--out NEW.gin]

OLD.gin is a config of Google's compare_gan (v3, e.g. its example_configs/*.gin); its `include`
lines are followed from its folder. The converted config goes to --out (written whole or not at
all), else to stdout. Each compare_gan binding is quoted in a comment above the bindings it
became, with comments on what differs here or why it needs nothing; compare_gan's defaults for
what OLD.gin leaves unset follow at the end. Train with it:

    compare_gan_tf --gin_config=NEW.gin --model_dir=DIR

A binding with no equivalent here stops the conversion: one message lists every such binding and
why, and nothing is written. Exit statuses: see compare_gan_tf/commands/entry.py (0 done, 1 a
binding with no equivalent or an unreadable file, 2 a bad flag or argument). TensorFlow is not
loaded unless --out is on a scheme:// filesystem (gs://...).
"""

import os
import sys
import uuid

from absl import app, flags

from compare_gan_tf.commands import entry
from compare_gan_tf.errors import UserError
from compare_gan_tf.paths import is_local

_OUT = flags.DEFINE_string("out", None, "Write the converted config here; default: stdout.")


class OutputError(UserError, OSError):
    """--out could not be written (a missing folder, no permission, a full disk)."""


def _write(path, text):
    """Writes `text` to `path` whole or not at all (a temporary file renamed over it)."""
    if not is_local(path):
        from compare_gan_tf import files  # imports TensorFlow, for gs:// and the like

        files.write_file(path, text)
        return
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise OutputError(f"Cannot write {path}: {error.strerror or error}") from error


def main(argv):
    if len(argv) != 2:
        given = f"got {' '.join(argv[1:])}" if len(argv) > 2 else "got none"
        raise app.UsageError(f"Pass one compare_gan config, as OLD.gin ({given}).")
    from compare_gan_tf.migrate.compare_gan_gin import convert_file

    text = convert_file(argv[1])
    if _OUT.value is None:
        sys.stdout.write(text)
        return 0
    _write(_OUT.value, text)
    print(f"Wrote {_OUT.value}; train with compare_gan_tf --gin_config={_OUT.value}", flush=True)
    return 0


def run():
    entry.run(main, "compare_gan_tf-convert-gin")


if __name__ == "__main__":
    run()
