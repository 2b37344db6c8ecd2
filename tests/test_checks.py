"""check_choice: returns a valid value, names the bad one and the choices otherwise."""

import pytest

from compare_gan_tf.checks import check_choice
from compare_gan_tf.errors import UserError
from compare_gan_tf.objectives import losses


class _CustomError(ValueError):
    pass


def test_a_valid_value_is_returned():
    assert check_choice("padding", "zeros", ("reflect", "zeros")) == "zeros"
    assert check_choice("resolution", 32, (32, 64)) == 32
    assert check_choice("loss", "hinge", {"hinge": None}) == "hinge"


def test_the_message_names_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"^Unknown padding 'edge'; use one of reflect, zeros\.$"):
        check_choice("padding", "edge", ("reflect", "zeros"))
    with pytest.raises(ValueError, match=r"^Unknown resolution 12; use one of 8, 16\.$"):
        check_choice("resolution", 12, (8, 16))


def test_fix_colon_and_error_class():
    with pytest.raises(
        _CustomError, match=r"^Unknown loss 'x'; use one of: a, b\. Or a callable\.$"
    ):
        check_choice("loss", "x", ("a", "b"), "Or a callable.", error=_CustomError, colon=True)


def test_an_unhashable_value_is_reported_not_a_type_error():
    with pytest.raises(ValueError, match=r"Unknown loss \['a'\]"):
        check_choice("loss", ["a"], {"a": None})


def test_an_unknown_name_is_a_user_error():
    with pytest.raises(UserError, match=r"^Unknown GAN loss 'hinj'; use one of: "):
        losses.get_loss("hinj")
