"""GAN losses against their closed forms written in numpy with log/sigmoid, not softplus."""

import numpy as np
import pytest

from compare_gan_tf.objectives import LOSSES, get_loss, hinge, non_saturating
from compare_gan_tf.objectives.losses import needs_real_logits

REAL = np.array([[-2.0], [-0.5], [0.0], [0.7], [3.0]], dtype=np.float32)
FAKE = np.array([[-1.5], [0.2], [1.0], [2.5], [-3.0]], dtype=np.float32)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


# (d_loss_real, d_loss_fake, g_loss) of each loss, from the papers' formulas.
REFERENCES = {
    "non_saturating": lambda r, f: (
        np.mean(-np.log(_sigmoid(r))),
        np.mean(-np.log(1.0 - _sigmoid(f))),
        np.mean(-np.log(_sigmoid(f))),
    ),
    "minimax": lambda r, f: (
        np.mean(-np.log(_sigmoid(r))),
        np.mean(-np.log(1.0 - _sigmoid(f))),
        np.mean(np.log(1.0 - _sigmoid(f))),
    ),
    "wasserstein": lambda r, f: (-np.mean(r), np.mean(f), -np.mean(f)),
    "least_squares": lambda r, f: (
        0.5 * np.mean((r - 1.0) ** 2),
        0.5 * np.mean(f**2),
        0.5 * np.mean((f - 1.0) ** 2),
    ),
    "hinge": lambda r, f: (
        np.mean(np.maximum(0.0, 1.0 - r)),
        np.mean(np.maximum(0.0, 1.0 + f)),
        -np.mean(f),
    ),
    # Jolicoeur-Martineau 2019 / Huang et al. 2024 (R3GAN): pairs of the same index.
    "relativistic_pairing": lambda r, f: (
        np.mean(-np.log(_sigmoid(r - f))),
        0.0,
        np.mean(-np.log(_sigmoid(f - r))),
    ),
    # Jolicoeur-Martineau 2019, RaSGAN: each logit against the other side's mean.
    "relativistic_average": lambda r, f: (
        np.mean(-np.log(_sigmoid(r - f.mean()))),
        np.mean(-np.log(1.0 - _sigmoid(f - r.mean()))),
        np.mean(-np.log(_sigmoid(f - r.mean()))) + np.mean(-np.log(1.0 - _sigmoid(r - f.mean()))),
    ),
    # Jolicoeur-Martineau 2019, RaHingeGAN.
    "relativistic_average_hinge": lambda r, f: (
        np.mean(np.maximum(0.0, 1.0 - (r - f.mean()))),
        np.mean(np.maximum(0.0, 1.0 + (f - r.mean()))),
        np.mean(np.maximum(0.0, 1.0 - (f - r.mean())))
        + np.mean(np.maximum(0.0, 1.0 + (r - f.mean()))),
    ),
}
RELATIVISTIC = ("relativistic_pairing", "relativistic_average", "relativistic_average_hinge")


def test_every_loss_has_a_reference():
    assert set(REFERENCES) == set(LOSSES)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_loss_matches_closed_form(name):
    result = get_loss(name)(REAL, FAKE)
    d_real, d_fake, g = REFERENCES[name](REAL, FAKE)
    np.testing.assert_allclose(result.d_loss_real, d_real, rtol=1e-5)
    np.testing.assert_allclose(result.d_loss_fake, d_fake, rtol=1e-5)
    np.testing.assert_allclose(result.d_loss, d_real + d_fake, rtol=1e-5)
    np.testing.assert_allclose(result.g_loss, g, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(set(REFERENCES) - set(RELATIVISTIC)))
def test_generator_side_needs_only_fake_logits(name):
    result = get_loss(name)(None, FAKE)
    assert result.d_loss is None and result.d_loss_real is None
    np.testing.assert_allclose(result.g_loss, REFERENCES[name](REAL, FAKE)[2], rtol=1e-5)


def test_least_squares_uses_logits_not_sigmoid():
    # On logits the D loss is 0 when real logits are 1 and fake logits 0; on sigmoids it is not.
    result = get_loss("least_squares")(np.ones([3, 1], "float32"), np.zeros([3, 1], "float32"))
    assert float(result.d_loss) == 0.0


@pytest.mark.parametrize("shape", [(5,), (5, 2), (5, 1, 1)])
def test_wrong_logit_shape_is_rejected(shape):
    with pytest.raises(ValueError, match=r"real_logits must have shape \[batch, 1\]"):
        hinge(np.zeros(shape, "float32"), FAKE)


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match="use one of: non_saturating, minimax"):
        get_loss("vanilla")


def test_callable_passes_through():
    assert get_loss(non_saturating) is non_saturating


@pytest.mark.parametrize("name", RELATIVISTIC)
def test_relativistic_generator_loss_reads_the_real_logits(name):
    loss = get_loss(name)
    assert needs_real_logits(loss)
    moved = loss(REAL + 1.0, FAKE).g_loss
    assert abs(float(moved) - float(loss(REAL, FAKE).g_loss)) > 1e-3
    np.testing.assert_allclose(moved, REFERENCES[name](REAL + 1.0, FAKE)[2], rtol=1e-5)
    with pytest.raises(ValueError, match="pass real_logits"):
        loss(None, FAKE)


def test_only_the_relativistic_losses_read_real_logits_in_the_generator_step():
    assert {name for name in LOSSES if needs_real_logits(LOSSES[name])} == set(RELATIVISTIC)


def test_relativistic_pairing_needs_equal_batches():
    with pytest.raises(ValueError, match="index by index"):
        get_loss("relativistic_pairing")(REAL, FAKE[:3])
