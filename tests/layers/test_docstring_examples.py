"""The `Example:` sections of the layers' docstrings run and print what they claim."""

import doctest
import inspect
import io

import keras
import pytest

import compare_gan_tf.layers as layers
from compare_gan_tf.layers import (
    attention,
    blocks,
    bottleneck_blocks,
    heads,
    initializers,
    modulated_norm,
    normalization,
    regularizers,
    spectral_norm,
)

MODULES = (
    attention,
    blocks,
    bottleneck_blocks,
    heads,
    initializers,
    modulated_norm,
    normalization,
    regularizers,
    spectral_norm,
)
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
PUBLIC = {name: getattr(layers, name) for name in layers.__all__}
PUBLIC_CLASSES = sorted(name for name, obj in PUBLIC.items() if inspect.isclass(obj))


def _doctests():
    finder = doctest.DocTestFinder()
    tests = [test for module in MODULES for test in finder.find(module) if test.examples]
    return sorted(tests, key=lambda test: test.name)


DOCTESTS = _doctests()


@pytest.mark.parametrize("test", DOCTESTS, ids=[test.name for test in DOCTESTS])
def test_example_runs_without_failures(test):
    keras.utils.set_random_seed(0)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = io.StringIO()
    results = runner.run(test, out=report.write)
    assert results.attempted == len(test.examples)
    assert results.failed == 0, report.getvalue()


def test_every_public_name_has_an_example():
    parser = doctest.DocTestParser()
    missing = [
        name for name, obj in PUBLIC.items() if not parser.get_examples(inspect.getdoc(obj) or "")
    ]
    assert not missing, f"public names without a doctest example: {missing}"
    tested = {test.name.rsplit(".", 1)[-1] for test in DOCTESTS}
    assert set(PUBLIC) <= tested


@pytest.mark.parametrize("name", PUBLIC_CLASSES)
def test_public_class_docstring_has_keras_sections(name):
    doc = inspect.getdoc(PUBLIC[name])
    for section in ("Args:", "Call arguments:", "Example:", "Reference:"):
        assert f"\n{section}\n" in doc, f"{name} docstring has no {section} section"
    assert doc.splitlines()[1] == "", f"{name} docstring does not open with a one-line summary"
