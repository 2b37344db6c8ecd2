"""compare_gan_tf.pretrained finds the shipped modules and their model card inside the package."""

import os

import pytest

import compare_gan_tf.pretrained
from compare_gan_tf.errors import UserError
from compare_gan_tf.pretrained import (
    DIGITS_GENERATOR,
    ShippedModuleNotFoundError,
    shipped_module_path,
    shipped_modules,
)

PACKAGE_DIR = os.path.dirname(compare_gan_tf.pretrained.__file__)


def test_digits_generator_is_the_saved_model_in_the_package():
    path = shipped_module_path("digits_sndcgan")

    assert path == DIGITS_GENERATOR == os.path.join(PACKAGE_DIR, "digits_sndcgan")
    assert os.path.isfile(os.path.join(path, "saved_model.pb"))
    assert shipped_modules() == ["digits_sndcgan"]


def test_model_card_lies_beside_the_module():
    card = os.path.join(PACKAGE_DIR, "digits_sndcgan.md")

    with open(card) as file:
        assert file.readline() == "# Model card: digits_sndcgan\n"


def test_unknown_name_names_the_shipped_modules():
    with pytest.raises(ShippedModuleNotFoundError) as raised:
        shipped_module_path("digits_dcgan")

    assert str(raised.value) == (
        "No shipped module named 'digits_dcgan'; the package ships digits_sndcgan."
    )
    assert isinstance(raised.value, UserError) and isinstance(raised.value, FileNotFoundError)
