"""Recognizes compare_gan's resnet_biggan generator modules (the v3 s3gan_* and ssgan_128x128
modules) and picks the options of this library's biggan generator that compute the same thing.

compare_gan's numerics (architectures/resnet_biggan.py, resnet_ops.py, arch_ops.py) map onto
biggan as: zero-insertion upsampling (resnet_ops.unpool) -> upsampling="zeros"; 1x1 shortcuts
of the upsampled input -> shortcut "auto"; conditional_batch_norm's gain gamma(c) ->
cbn_gain="gamma"; hierarchical z chunks, the shared embed_y and the output (tanh(x) + 1) / 2 ->
biggan as it is; the non_local_block -> attention_resolution, its place read from the graph.
What biggan cannot compute is refused with a ConfigError naming compare_gan's gin setting.
"""

# biggan's widths per resolution: resnet_biggan.Generator._get_in_out_channels's multipliers.
from compare_gan_tf.architectures.biggan import _G_MULTIPLIERS
from compare_gan_tf.errors import ConfigError

SEED_SIZE = 4  # resnet_biggan.Generator.apply: seed_size


def is_biggan(arrays):
    """resnet_biggan's G blocks have 1x1 shortcuts; resnet_cifar's and resnet5's 3x3."""
    shortcut = arrays.get("B1/up_conv_shortcut/kernel")
    return "fc_noise/kernel" in arrays and shortcut is not None and shortcut.shape[0] == 1


def _refuse(info, why):
    raise ConfigError(f"Cannot import {info.handle} (compare_gan resnet_biggan): {why}.")


def _check_structure(info, names):
    """ConfigError for the resnet_biggan settings that biggan has no counterpart of."""
    if "embed_z/kernel" in names:
        _refuse(
            info,
            "it maps z by a learned linear layer before splitting it (Generator.embed_z "
            "= True), which biggan does not do",
        )
    if info.labels and "embed_y/kernel" not in names:
        _refuse(
            info,
            "its BNs read the one-hot labels without the shared embedding "
            "(Generator.embed_y = False); biggan always embeds them",
        )
    if any(name.endswith(("/condition/gamma/bias", "/condition/beta/bias")) for name in names):
        _refuse(
            info,
            "its conditional BNs' linear maps have biases "
            "(conditional_batch_norm.use_bias = True); biggan's have none",
        )
    if len(info.graph.attention_sizes) > 1:
        sizes = ", ".join(f"{size} px" for size in info.graph.attention_sizes)
        _refuse(
            info,
            f"it applies self-attention at several resolutions ({sizes}; "
            "Generator.blocks_with_attention); biggan has one attention block",
        )


def _normalization(info, names):
    """biggan's normalization for the modules' block BNs (G.batch_norm_fn)."""
    if any("/condition/" in name for name in names):
        if not info.labels:
            _refuse(info, "its BNs are conditional but its signature takes no labels")
        return "conditional"
    if any("/sbn/" in name for name in names):
        if info.labels:
            _refuse(info, "it is class-conditional with self-modulated BN, which reads z alone")
        if not any("/sbn/hidden/" in name for name in names):
            _refuse(
                info,
                "its self-modulated BNs have no hidden layer "
                "(self_modulated_batch_norm.num_hidden = 0); biggan's have 32 units",
            )
        return "self_modulated"
    if "B1/bn1/gamma" in names or "B1/bn1/beta" in names:
        if info.labels:
            _refuse(
                info,
                "it takes labels but its BNs are unconditional (G.batch_norm_fn = "
                "@batch_norm), so the labels change nothing",
            )
        return "batch"
    _refuse(
        info,
        "its blocks have no BN (G.batch_norm_fn = None) while its final_norm stays; "
        'biggan with normalization="none" drops both',
    )


def _attention_resolution(info, widths):
    """Output size of the block the non_local_block follows (resnet_biggan.Generator: scope
    "non_local_block" whatever the block): from the graph, else from the only block whose
    width matches the attention's channels; None without attention."""
    theta = info.arrays.get("non_local_block/conv2d_theta/kernel")
    if theta is None:
        return None
    if info.graph.attention_sizes:
        return info.graph.attention_sizes[0]
    channels = theta.shape[2]
    sizes = [SEED_SIZE * 2 ** (index + 1) for index, w in enumerate(widths[1:]) if w == channels]
    if len(sizes) != 1:
        _refuse(
            info,
            f"its graph does not show where the self-attention ({channels} channels) "
            f"sits and {len(sizes)} blocks have that width",
        )
    return sizes[0]


def recognize_biggan(info, bn_options):
    """("biggan", generator options) for a resnet_biggan module; ConfigError for settings that
    biggan cannot reproduce."""
    arrays = info.arrays
    names = set(arrays)
    _check_structure(info, names)
    multipliers = _G_MULTIPLIERS.get(info.resolution)
    if multipliers is None:
        _refuse(
            info,
            f"{info.resolution} px is not a resnet_biggan resolution "
            f"({', '.join(map(str, _G_MULTIPLIERS))})",
        )
    blocks = len({name.split("/")[0] for name in names if name.startswith("B")})
    if blocks != len(multipliers) - 1:
        _refuse(
            info,
            f"it has {blocks} blocks where resnet_biggan at {info.resolution} px has "
            f"{len(multipliers) - 1}",
        )
    chunks = blocks + 1
    fc = arrays["fc_noise/kernel"]
    if info.z_dim % chunks or fc.shape[0] != info.z_dim // chunks:
        _refuse(
            info,
            f"fc_noise reads {fc.shape[0]} of z's {info.z_dim} values, not one of "
            f"{chunks} equal chunks (Generator.hierarchical_z = False?); biggan splits z",
        )
    ch = fc.shape[1] // (SEED_SIZE * SEED_SIZE * multipliers[0])
    options = dict(
        bn_options,
        ch=ch,
        upsampling="zeros",
        shortcut="auto",
        normalization=_normalization(info, names),
        spectral_norm="sn" if any(name.endswith("/u_var") for name in names) else "none",
        attention_resolution=_attention_resolution(info, [ch * m for m in multipliers]),
    )
    if options["normalization"] == "conditional":
        options.update(embedding_dim=int(arrays["embed_y/kernel"].shape[1]), cbn_gain="gamma")
    return "biggan", options
