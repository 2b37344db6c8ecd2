"""ProjectionHead against its formula computed by hand."""

import numpy as np
import pytest

from compare_gan_tf.layers import ProjectionHead, SpectralNormalization


def test_conditional_head_matches_the_projection_formula():
    features = np.random.randn(4, 6).astype("float32")
    labels = np.array([0, 2, 1, 2])
    head = ProjectionHead(num_classes=3)
    head(features, labels)
    weights = head.linear.kernel.numpy()
    bias = head.linear.bias.numpy()
    embeddings = head.embedding.embeddings.numpy()
    # Miyato & Koyama 2018, eq. 3: psi(phi(x)) + <embed(y), phi(x)>.
    expected = features @ weights + bias + np.sum(embeddings[labels] * features, axis=1)[:, None]
    np.testing.assert_allclose(head(features, labels).numpy(), expected, atol=1e-5)


def test_unconditional_head_is_a_linear_map():
    features = np.random.randn(4, 6).astype("float32")
    head = ProjectionHead()
    outputs = head(features).numpy()
    expected = features @ head.linear.kernel.numpy() + head.linear.bias.numpy()
    np.testing.assert_allclose(outputs, expected, atol=1e-5)
    assert outputs.shape == (4, 1)


def test_spectral_norm_covers_the_linear_map_and_the_embedding():
    head = ProjectionHead(num_classes=3, spectral_norm="sn")
    head(np.zeros((2, 6), "float32"), np.array([0, 1]))
    assert isinstance(head.linear, SpectralNormalization)
    assert isinstance(head.embedding, SpectralNormalization)


def test_conditional_head_without_labels_says_what_to_pass():
    head = ProjectionHead(num_classes=3)
    with pytest.raises(ValueError, match="needs int labels"):
        head(np.zeros((2, 6), "float32"))


def test_negative_labels_are_unlabelled_and_float_labels_weigh_the_embeddings():
    features = np.random.randn(4, 6).astype("float32")
    head = ProjectionHead(num_classes=3, spectral_norm="sn")
    head(features, np.array([0, 1, 2, 0]))
    linear = head.linear(features).numpy()
    embeddings = head.embedding.normalized_kernel().numpy()
    # compare_gan's S3GAN: an unlabelled example has an all-zero one-hot, no projection term.
    labels = np.array([-1, 2, -1, 1])
    expected = linear + np.sum(embeddings[[0, 2, 0, 1]] * features, 1, keepdims=True)
    expected[[0, 2]] = linear[[0, 2]]
    np.testing.assert_allclose(head(features, labels).numpy(), expected, atol=1e-5)
    soft = np.array([[0.2, 0.3, 0.5], [0, 0, 0], [1, 0, 0], [0.5, 0.5, 0]], "float32")
    expected = linear + np.sum((soft @ embeddings) * features, 1, keepdims=True)
    np.testing.assert_allclose(head(features, soft).numpy(), expected, atol=1e-5)
