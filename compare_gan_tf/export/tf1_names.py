"""Name maps from compare_gan's TF1 generator variables to this library's Keras generators.

Each family is a function that lists, for a built Keras generator, every weight it expects from
the module: the TF1 variable name (under compare_gan's `generator/` scope), the Keras variable
and the transform from the module's array to the Keras value. The names come from
compare_gan's tf.variable_scope names (architectures/resnet_ops.py, resnet_cifar.py,
resnet5.py, sndcgan.py, arch_ops.py at its last commit); no published module was read.

    linear / conv2d / deconv2d   <scope>/kernel, <scope>/bias   same layout as Keras
                                 (Dense [in, out], Conv2D [kh, kw, in, out],
                                 Conv2DTranspose [kh, kw, out, in])
    batch_norm                   <scope>/gamma, <scope>/beta, and either
                                 <scope>/moving_mean, <scope>/moving_variance or
                                 <scope>/accu/accu_mean, accu_variance, accu_counter
                                 (the statistics are accu / counter; update_accus is ignored)
"""

import dataclasses

import numpy as np

# compare_gan's exported G variables live under this scope.
SCOPE = "generator/"
# A module exported with g_use_ema reads the shadow copies, named "<variable>/<EMA_SUFFIX>".
EMA_SUFFIX = "ExponentialMovingAverage"
# Variables a generator module may hold that no Keras weight needs.
IGNORED = ("update_accus",)


@dataclasses.dataclass
class Entry:
    """One Keras weight filled from the module: `target` gets transform(module arrays)."""

    target: object  # a Keras variable
    sources: tuple  # TF1 names (without SCOPE) the value is computed from
    transform: object = None  # callable(*arrays) -> array; None: the one source as is
    # Alternative sources (e.g. BN accumulators instead of moving averages).
    alternatives: tuple = ()


def _identity(array):
    return array


def dense_entries(layer, scope, scale=1.0):
    """A Keras Dense / Conv2D / Conv2DTranspose `layer` from compare_gan's linear / conv2d /
    deconv2d `scope`. `scale` multiplies kernel and bias (a sigmoid output read through tanh)."""

    def scaled(array):
        return array * scale

    transform = _identity if scale == 1.0 else scaled
    entries = [Entry(layer.kernel, (f"{scope}/kernel",), transform)]
    if layer.use_bias:
        entries.append(Entry(layer.bias, (f"{scope}/bias",), transform))
    return entries


def batch_norm_entries(norm, scope):
    """A Keras BatchNormalization from compare_gan's batch_norm `scope` (gamma, beta and the
    moving averages, or the accumulators that replace them)."""
    if norm is None:
        return []

    def accumulated(total, counter):
        return total / counter

    entries = []
    if norm.scale:
        entries.append(Entry(norm.gamma, (f"{scope}/gamma",)))
    if norm.center:
        entries.append(Entry(norm.beta, (f"{scope}/beta",)))
    for statistic, variable in (("mean", norm.moving_mean), ("variance", norm.moving_variance)):
        accu = (f"{scope}/accu/accu_{statistic}", f"{scope}/accu/accu_counter")
        entries.append(
            Entry(
                variable,
                (f"{scope}/moving_{statistic}",),
                alternatives=((accu, accumulated),),
            )
        )
    return entries


def resnet_block_entries(block, scope):
    """compare_gan's resnet_ops.ResNetBlock (generator side) into a GeneratorResBlock built with
    upsampling="zeros" and shortcut="conv3x3"."""
    scale = "up" if block.upsample else "same"
    entries = batch_norm_entries(block.norm1, f"{scope}/bn1")
    entries += dense_entries(block.conv1, f"{scope}/{scale}_conv1")
    entries += batch_norm_entries(block.norm2, f"{scope}/bn2")
    entries += dense_entries(block.conv2, f"{scope}/same_conv2")
    entries += dense_entries(block.shortcut, f"{scope}/{scale}_conv_shortcut")
    return entries


def resnet_entries(generator):
    """resnet_cifar and resnet5: fc_noise, B1..Bn, final_norm, final_conv. compare_gan ends in
    a sigmoid and this library in tanh then (x + 1) / 2, which equals sigmoid(2x): the final
    convolution is halved."""
    entries = dense_entries(generator.fc, "fc_noise")
    for index, block in enumerate(generator.blocks):
        entries += resnet_block_entries(block, f"B{index + 1}")
    entries += batch_norm_entries(generator.final_norm, "final_norm")
    entries += dense_entries(generator.final_conv, "final_conv", scale=0.5)
    return entries


def sndcgan_entries(generator):
    """sndcgan: g_fc1, g_bn1 (per unit of the flat fc output), then g_dc2..g_dc5 with
    g_bn2..g_bn4 before the last three deconvolutions."""
    entries = dense_entries(generator.fc, "g_fc1")
    for index, norm in enumerate(generator.norms):
        entries += batch_norm_entries(norm, f"g_bn{index + 1}")
    for index, deconv in enumerate(generator.deconvs):
        entries += dense_entries(deconv, f"g_dc{index + 2}")
    return entries


def module_name(name):
    """A TF1 variable name as the maps write it: without ":0", the generator scope and the EMA
    suffix. Returns (name, is_ema)."""
    name = name.split(":")[0]
    is_ema = name.endswith("/" + EMA_SUFFIX)
    if is_ema:
        name = name[: -len(EMA_SUFFIX) - 1]
    if name.startswith(SCOPE):
        name = name[len(SCOPE) :]
    return name, is_ema


def module_arrays(named_arrays):
    """{map name: array} from {TF1 variable name: array}; an EMA shadow replaces its raw
    variable (it is what an EMA module's graph reads)."""
    arrays, from_ema = {}, set()
    for name, array in named_arrays.items():
        key, is_ema = module_name(name)
        if key in from_ema and not is_ema:
            continue
        arrays[key] = np.asarray(array)
        if is_ema:
            from_ema.add(key)
    return arrays
