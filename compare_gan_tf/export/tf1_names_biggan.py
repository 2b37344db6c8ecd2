"""Name map from compare_gan's resnet_biggan generator (its v3 s3gan / ssgan modules) to this
library's biggan generator, and the spectral-norm vectors that make both compute one sigma.

Scopes (compare_gan architectures/resnet_biggan.py, Generator.apply and BigGanResNetBlock):

    embed_y                 linear of one-hot y, no bias unless Generator.embed_bias
    fc_noise                linear of the first z chunk
    B<i>/bn1, B<i>/bn2      the block's BNs: conditional_batch_norm (<bn>/condition/gamma and
                            /beta, bias-free linear maps of concat(z chunk, embed_y)),
                            self_modulated_batch_norm (<bn>/sbn/hidden, gamma, beta) or batch_norm
    B<i>/up_conv1, B<i>/same_conv2, B<i>/up_conv_shortcut (1x1)
    non_local_block         conv2d_theta, conv2d_phi, conv2d_g, conv2d_attn_g (bias-free), sigma
    final_norm, final_conv  unconditional batch_norm, then the 3x3 convolution to the image

With G.spectral_norm every kernel but embed_y's has "<kernel>/u_var" (arch_ops.spectral_norm).
"""

import numpy as np

from compare_gan_tf.export.tf1_names import Entry, _identity, batch_norm_entries
from compare_gan_tf.layers import ConditionalBatchNorm, SelfModulationBatchNorm
from compare_gan_tf.layers.spectral_norm import SpectralNormalization


def _l2_normalize(vector, epsilon=1e-12):
    # tf.math.l2_normalize as arch_ops.spectral_norm calls it: x / sqrt(max(sum(x^2), epsilon)).
    return vector / np.sqrt(max(float(np.sum(vector * vector)), epsilon))


def _vector_with_sigma(matrix, sigma):
    """A unit u over the columns of `matrix` from which this library's power-iteration step
    (layers/spectral_norm.py, power_iteration) estimates `sigma`.

    That step gives |W^T w| for w = normalize(W u). With W's singular values s_1 >= s_k >= ...,
    right singular vectors r_1, r_k and sigma between s_k and s_1, u = cos(t) r_1 / s_1 +
    sin(t) r_k / s_k makes w = cos(t) l_1 + sin(t) l_k, so |W^T w|^2 = cos^2 s_1^2 + sin^2 s_k^2,
    which the angle t sets to sigma^2.
    """
    values, vectors = np.linalg.eigh(matrix.T @ matrix)  # s^2 ascending, right singular vectors
    values = np.clip(values, 0.0, None)
    top, target = values[-1], sigma * sigma
    nonzero = np.flatnonzero(values > top * 1e-12)
    below = nonzero[values[nonzero] <= target]
    k = below[-1] if below.size else nonzero[0]
    low = values[k]
    if target >= top or top - low <= top * 1e-12:
        return vectors[:, -1]
    cos2 = float(np.clip((target - low) / (top - low), 0.0, 1.0))
    u = vectors[:, -1] * np.sqrt(cos2 / top) + vectors[:, k] * np.sqrt((1.0 - cos2) / low)
    return u / np.linalg.norm(u)


def keras_u(u_var, kernel):
    """SpectralNormalization.u (a vector over the kernel's columns) for compare_gan's `u_var`.

    compare_gan (arch_ops.spectral_norm) runs one power-iteration step from u_var in inference
    too. singular_value="right" keeps u_var [1, columns] and runs the step this library runs:
    u_var is copied. "left" (the default; "auto" picks it when rows <= columns) keeps [rows, 1]
    and estimates sigma = |W v|, v = normalize(W^T u_var): the vector returned gives this
    library's step that sigma. An array of neither shape gives an empty vector, which fill()
    reports as misshapen.
    """
    matrix = np.asarray(kernel, np.float64).reshape(-1, kernel.shape[-1])
    rows, columns = matrix.shape
    if u_var.shape == (1, columns):
        return u_var.reshape(-1)
    if u_var.shape != (rows, 1):
        return np.zeros((0,), np.float32)
    v = _l2_normalize(matrix.T @ np.asarray(u_var[:, 0], np.float64))
    sigma = float(np.linalg.norm(matrix @ v))
    return _vector_with_sigma(matrix, sigma)


def weight_entries(layer, scope, rotate_rows=0):
    """A Dense / Conv2D `layer` (spectrally normalized or not) from compare_gan's linear or
    conv2d `scope`: kernel, bias when the layer has one, u when it is normalized.

    `rotate_rows` moves that many leading kernel rows to the end: compare_gan's condition is
    concat(z chunk, embedding), this library's concat(embedding, z chunk).
    """
    normalized = isinstance(layer, SpectralNormalization)
    inner = layer.layer if normalized else layer

    def rotated(kernel):
        return np.roll(kernel, -rotate_rows, axis=0)

    entries = [Entry(inner.kernel, (f"{scope}/kernel",), rotated if rotate_rows else _identity)]
    if inner.use_bias:
        entries.append(Entry(inner.bias, (f"{scope}/bias",)))
    if normalized:
        entries.append(Entry(layer.u, (f"{scope}/kernel/u_var", f"{scope}/kernel"), keras_u))
    return entries


def norm_entries(norm, scope, rotate_rows=0):
    """A generator BN of any kind from compare_gan's batch norm `scope` (arch_ops.batch_norm,
    conditional_batch_norm, self_modulated_batch_norm)."""
    if isinstance(norm, ConditionalBatchNorm):
        entries = batch_norm_entries(norm.standardize, scope)
        entries += weight_entries(norm.gamma, f"{scope}/condition/gamma", rotate_rows)
        entries += weight_entries(norm.beta, f"{scope}/condition/beta", rotate_rows)
        return entries
    if isinstance(norm, SelfModulationBatchNorm):
        entries = batch_norm_entries(norm.standardize, scope)
        for layer, name in ((norm.hidden, "hidden"), (norm.gain, "gamma"), (norm.bias, "beta")):
            entries += weight_entries(layer, f"{scope}/sbn/{name}")
        return entries
    return batch_norm_entries(norm, scope)


def block_entries(block, scope, rotate_rows):
    """resnet_biggan.BigGanResNetBlock (scale "up") into a GeneratorResBlock built with
    upsampling="zeros" and shortcut="auto" (a 1x1 convolution of the upsampled input)."""
    entries = norm_entries(block.norm1, f"{scope}/bn1", rotate_rows)
    entries += weight_entries(block.conv1, f"{scope}/up_conv1")
    entries += norm_entries(block.norm2, f"{scope}/bn2", rotate_rows)
    entries += weight_entries(block.conv2, f"{scope}/same_conv2")
    entries += weight_entries(block.shortcut, f"{scope}/up_conv_shortcut")
    return entries


def attention_entries(attention, scope="non_local_block"):
    """arch_ops.non_local_block into a NonLocalBlock; its scalar sigma is the block's gamma."""
    entries = []
    for layer, name in (
        (attention.theta, "conv2d_theta"),
        (attention.phi, "conv2d_phi"),
        (attention.g, "conv2d_g"),
        (attention.attention_output, "conv2d_attn_g"),
    ):
        entries += weight_entries(layer, f"{scope}/{name}")
    return entries + [Entry(attention.gamma, (f"{scope}/sigma",))]


def embedding_entries(embedding):
    """embed_y (one-hot y times a kernel) is a table lookup; a bias (Generator.embed_bias) adds
    to every row, since one-hot rows sum to 1."""

    def with_bias(kernel, bias):
        # Unequal widths: the kernel as it is, which fill() then reports as misshapen.
        return kernel + bias if kernel.shape[-1:] == bias.shape else kernel

    return [
        Entry(
            embedding.embeddings,
            ("embed_y/kernel", "embed_y/bias"),
            with_bias,
            alternatives=((("embed_y/kernel",), _identity),),
        )
    ]


def biggan_entries(generator):
    """Every weight of a biggan generator built for a resnet_biggan module."""
    entries = []
    rotate_rows = 0
    if generator.embedding is not None:
        entries += embedding_entries(generator.embedding)
        rotate_rows = generator.z_dim // (len(generator.blocks) + 1)  # one z chunk
    entries += weight_entries(generator.fc, "fc_noise")
    for index, block in enumerate(generator.blocks):
        entries += block_entries(block, f"B{index + 1}", rotate_rows)
    if generator.attention is not None:
        entries += attention_entries(generator.attention)
    entries += norm_entries(generator.final_norm, "final_norm")
    entries += weight_entries(generator.final_conv, "final_conv")
    return entries
