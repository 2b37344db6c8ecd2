"""compare_gan_tf-convert-gin's exit statuses and outputs (TensorFlow never loads for local
files), and compare_gan_tf's refusal of a compare_gan config, naming the command that converts
it."""

import os
import re
import shlex

import gin
import pytest
import tensorflow as tf
from absl import flags

from compare_gan_tf.commands import convert_gin, entry
from compare_gan_tf.migrate.compare_gan_gin import convert_file
from tests.commands.test_entry import _lines, _run

MODULE = "compare_gan_tf.commands.convert_gin"
NAME = "compare_gan_tf-convert-gin"
DATA = os.path.join(os.path.dirname(__file__), "data")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CIFAR = os.path.join(DATA, "resnet_cifar10.gin")
BAD = 'options.architecture = "infogan_arch"\nloss.fn = @softplus\nfoo.bar = 1\n'


def _bad_config(tmp_path):
    path = tmp_path / "bad.gin"
    path.write_text(BAD)
    return str(path)


def test_out_gets_the_conversion_without_tensorflow(tmp_path):
    out = tmp_path / "cifar.gin"
    result = _run(MODULE, CIFAR, f"--out={out}")
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_text() == convert_file(CIFAR)
    assert result.stdout == f"Wrote {out}; train with compare_gan_tf --gin_config={out}\n"
    assert _lines(result.stderr) == [] and "tensorflow loaded: False" in result.stderr
    assert os.listdir(tmp_path) == ["cifar.gin"]  # no temporary left behind


def test_without_out_the_conversion_goes_to_stdout(tmp_path):
    result = _run(MODULE, CIFAR)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == convert_file(CIFAR)
    assert os.listdir(tmp_path) == []


def test_a_binding_with_no_equivalent_exits_1_and_writes_nothing(tmp_path):
    out = tmp_path / "new.gin"
    out.write_text("# an earlier conversion\n")
    result = _run(MODULE, _bad_config(tmp_path), f"--out={out}")
    assert result.returncode == entry.USER_ERROR_STATUS
    message = _lines(result.stderr)
    assert message[0].startswith(f"Cannot convert {tmp_path / 'bad.gin'}: 7 of its ")
    assert [line.split(": ")[0] for line in message[1:4]] == [f"  bad.gin:{n}" for n in (1, 2, 3)]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert out.read_text() == "# an earlier conversion\n"
    assert "tensorflow loaded: False" in result.stderr


@pytest.mark.parametrize(
    "arguments, message",
    [
        ((), "Pass one compare_gan config, as OLD.gin (got none)."),
        ((CIFAR, CIFAR), f"Pass one compare_gan config, as OLD.gin (got {CIFAR} {CIFAR})."),
        ((CIFAR, "--outt=x.gin"), "Unknown command line flag 'outt'"),
    ],
)
def test_a_usage_error_exits_2_in_one_line(arguments, message):
    result = _run(MODULE, *arguments)
    assert result.returncode == entry.USAGE_STATUS
    [line] = _lines(result.stderr)
    assert line.startswith(f"{NAME}: ") and line.endswith(f"(see {NAME} --help)")
    assert message in line


def test_a_missing_config_or_folder_exits_1(tmp_path):
    result = _run(MODULE, str(tmp_path / "none.gin"))
    assert result.returncode == entry.USER_ERROR_STATUS
    assert _lines(result.stderr) == [
        f"Cannot read the compare_gan config {tmp_path / 'none.gin'}: [Errno 2] No such file or "
        f"directory: '{tmp_path / 'none.gin'}'."
    ]
    result = _run(MODULE, CIFAR, f"--out={tmp_path / 'no' / 'new.gin'}")
    assert result.returncode == entry.USER_ERROR_STATUS
    assert _lines(result.stderr) == [
        f"Cannot write {tmp_path / 'no' / 'new.gin'}: No such file or directory"
    ]


def test_help_shows_the_usage():
    result = _run(MODULE, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"{NAME}: a compare_gan gin config as compare_gan_tf's")
    assert "--out: Write the converted config here" in result.stdout


def test_the_console_script_is_installed_beside_the_others():
    with open(os.path.join(ROOT, "setup.py")) as file:
        assert f'"{NAME}=compare_gan_tf.commands.convert_gin:run",' in file.read()


def test_out_on_a_tensorflow_filesystem(tmp_path):
    out = "ram://convert/cifar.gin"
    flags.FLAGS([NAME, f"--out={out}"])
    try:
        assert entry._guarded(convert_gin.main, NAME)([NAME, CIFAR]) == 0
    finally:
        flags.FLAGS.unparse_flags()
    with tf.io.gfile.GFile(out) as file:
        assert file.read() == convert_file(CIFAR)


def test_compare_gan_tf_refuses_a_compare_gan_config_with_the_command_to_convert_it(tmp_path):
    config = tmp_path / "biggan.gin"
    with open(os.path.join(DATA, "biggan_imagenet128.gin")) as file:
        config.write_text(file.read())
    result = _run("compare_gan_tf.main", f"--gin_config={config}", f"--model_dir={tmp_path}/run")
    assert result.returncode == entry.USER_ERROR_STATUS
    assert "tensorflow loaded: False" in result.stderr
    message = _lines(result.stderr)
    converted = tmp_path / "biggan_converted.gin"
    assert message == [
        f"{config} is a compare_gan config (it binds options.z_dim, options.architecture, "
        "ModularGAN.conditional, options.batch_size, ...), which compare_gan_tf does not read. "
        "Convert it first:",
        f"    {NAME} {config} --out {converted}",
        f"then run with --gin_config={converted}.",
    ]
    assert not os.path.exists(tmp_path / "run")
    # The command it names converts the config.
    arguments = shlex.split(message[1])[1:]
    assert _run(MODULE, *arguments).returncode == 0
    assert converted.read_text() == convert_file(str(config))


def test_compare_gan_tf_refuses_a_compare_gan_binding(tmp_path):
    result = _run("compare_gan_tf.main", "--gin_bindings=ModularGAN.g_lr = 1e-4")
    assert result.returncode == entry.USER_ERROR_STATUS
    [line] = _lines(result.stderr)
    assert re.match(r"^--gin_bindings 'ModularGAN.g_lr = 1e-4' binds compare_gan's ", line)
    assert f"convert it with {NAME} OLD.gin --out NEW.gin" in line
    assert "tensorflow loaded: False" in result.stderr


@pytest.fixture(autouse=True)
def _clean_gin():
    yield
    gin.clear_config()
