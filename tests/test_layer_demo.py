"""The embedded default (layer demo) runs end to end and its SN claim holds."""

import json

import numpy as np

from compare_gan_tf import layer_demo


def test_layer_demo_writes_results_and_sn_kernels_have_unit_norm(tmp_path):
    results = layer_demo.run(str(tmp_path), steps=30, batch_size=32)
    written = json.loads((tmp_path / "layer_demo.json").read_text())
    assert written["results"]["sn"]["held_out_accuracy"] == results["sn"]["held_out_accuracy"]
    sn_sigmas = [v[0] for v in results["sn"]["top3_singular_values"].values()]
    assert len(sn_sigmas) == 8  # 2 convs + shortcut per block, psi and the class embedding
    # One power iteration per call trails the moving weights by a little after only 30 steps.
    np.testing.assert_allclose(sn_sigmas, 1.0, atol=0.05)
    free_sigmas = [v[0] for v in results["none"]["top3_singular_values"].values()]
    assert max(abs(np.array(free_sigmas) - 1.0)) > 0.2  # without SN nothing holds them at 1
    # Shuffled pixels are easy to spot: both discriminators beat chance clearly.
    for mode in ("none", "sn"):
        assert results[mode]["held_out_accuracy"] > 0.8
    assert not list(tmp_path.glob("*.tmp"))


def test_digits_are_scaled_to_minus_one_one():
    images, labels = layer_demo.digits_16px()
    assert images.shape == (1797, 16, 16, 1) and labels.shape == (1797,)
    assert images.min() == -1.0 and images.max() == 1.0
    assert set(np.unique(labels)) == set(range(10))
