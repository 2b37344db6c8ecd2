"""notebooks/hub_demo.ipynb runs top to bottom from a copy outside the checkout, offline, on the
shipped digits generator (found through the installed package) and on an unconditional module,
draws its figures and prints no warning."""

import json
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from compare_gan_tf import __version__
from compare_gan_tf.architectures import build_generator
from compare_gan_tf.export import METADATA_FILE, export_generator
from compare_gan_tf.pretrained import DIGITS_GENERATOR

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "hub_demo.ipynb"
CELL_TIMEOUT_SECONDS = 60
# Random samples, samples by class (conditional modules only), truncation sweep, interpolation.
CONDITIONAL_FIGURES = 4
UNCONDITIONAL_FIGURES = 3


@pytest.fixture
def kernel_name(tmp_path, monkeypatch):
    """A "python3" kernelspec that runs this interpreter, ahead of any other "python3" spec.

    The kernel inherits this environment: a proxy that refuses connections keeps it offline.
    """
    jupyter_path = tmp_path / "jupyter"
    spec_dir = jupyter_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (tests)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(jupyter_path))
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(proxy, "http://127.0.0.1:9")
    monkeypatch.delenv("MPLBACKEND", raising=False)
    # The notebook's own default applies, as on a fresh machine.
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    return "python3"


def run_notebook(kernel_name, workdir, module=None):
    """A copy of the notebook in `workdir`, executed there (its cwd), with MODULE = `module` if
    given. Two cells, added here, print the kernel's interpreter and the module it loaded.
    Raises on the first failing cell."""
    workdir.mkdir()
    copy = Path(shutil.copy(NOTEBOOK, workdir))
    notebook = nbformat.read(copy, as_version=4)
    if module is not None:
        tagged = (cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
        parameters = next(tagged)
        parameters.source = f"MODULE = {str(module)!r}"
    last_cell = "import sys\nprint(handle)\nprint(sys.executable)"
    notebook.cells.append(nbformat.v4.new_code_cell(last_cell))
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(workdir)}},
    )
    # ipykernel forwards what TensorFlow's C++ code writes to the process's stderr into the cell
    # outputs (as Jupyter shows it), except under pytest: the kernel runs without pytest's marker.
    kernel_env = dict(os.environ)
    kernel_env.pop("PYTEST_CURRENT_TEST", None)
    client.execute(env=kernel_env)
    assert sorted(workdir.iterdir()) == [copy], "the notebook wrote files where it ran"
    return notebook


def code_outputs(notebook):
    code_cells = (cell for cell in notebook.cells if cell.cell_type == "code")
    return [output for cell in code_cells for output in cell.outputs]


def assert_ran_cleanly(notebook):
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code_cells), "a code cell did not run"
    errors = [output for output in code_outputs(notebook) if output.output_type == "error"]
    assert not errors, errors
    stderr = [
        output.text
        for output in code_outputs(notebook)
        if output.output_type == "stream" and output.name == "stderr"
    ]
    assert stderr == [], stderr


def figure_count(notebook):
    return sum("image/png" in output.get("data", {}) for output in code_outputs(notebook))


def printed(notebook):
    return "".join(
        output.text
        for output in code_outputs(notebook)
        if output.output_type == "stream" and output.name == "stdout"
    )


def test_notebook_on_shipped_module(kernel_name, tmp_path):
    notebook = run_notebook(kernel_name, tmp_path / "colab")

    assert_ran_cleanly(notebook)
    assert figure_count(notebook) == CONDITIONAL_FIGURES
    stdout = printed(notebook)
    # The install cell found the package, so it installed nothing.
    assert stdout.startswith(f"compare_gan_tf {__version__}\n"), stdout
    assert stdout.rstrip().endswith(f"{DIGITS_GENERATOR}\n{sys.executable}"), stdout
    metadata = json.loads((Path(DIGITS_GENERATOR) / "assets" / METADATA_FILE).read_text())
    assert re.search(rf"FID:\s+{metadata['scores']['fid']:.2f}\n", stdout), stdout
    assert re.search(rf"classes:\s+{metadata['num_classes']}\n", stdout), stdout
    assert re.search(r"dataset:\s+digits\n", stdout), stdout


def test_notebook_on_unconditional_module(kernel_name, tmp_path):
    generator = build_generator("dcgan", 32, num_classes=None, channels=3, z_dim=8, ch=4)
    module = export_generator(generator, tmp_path / "unconditional_dcgan")

    notebook = run_notebook(kernel_name, tmp_path / "colab", module)

    assert_ran_cleanly(notebook)
    assert figure_count(notebook) == UNCONDITIONAL_FIGURES
    stdout = printed(notebook)
    assert stdout.rstrip().endswith(f"{module}\n{sys.executable}"), stdout
    assert re.search(r"z_dim:\s+8\n", stdout), stdout
    assert "unconditional: it has no classes to show" in stdout
    assert re.search(r"FID:\s+not scored\n", stdout), stdout
