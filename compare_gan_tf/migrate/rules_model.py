"""Rows for the models: architecture, normalizations, spectral norm, initializers and the
architecture-specific options. Each is a row of table.py: `row(value, context) -> Outcome`."""

from compare_gan_tf.migrate import vocabulary as names
from compare_gan_tf.migrate.outcomes import combine, emit, needs_architecture, note, refuse


def _exactly(name, context, *bindings):
    """`bindings` and those that make `name` compare_gan's (vocabulary.EXACT) for the context's
    architecture."""
    networks = {"generator": context.generator, "discriminator": context.discriminator}
    exact = [
        (networks[network](parameter), value) for network, parameter, value in names.EXACT[name]
    ]
    return emit(*bindings, *exact)


_ARCHITECTURE_NOTES = {
    "resnet30": "compare_gan's resnet30 failed under Python 3 (float channel counts)",
}
# BigGAN's channel multipliers per resolution: compare_gan's G has one block fewer than entries.
_BIGGAN_G_BLOCKS = {32: 3, 64: 4, 128: 5, 256: 6, 512: 7}
_BIGGAN_D_BLOCKS = {32: 4, 64: 5, 128: 6, 256: 7, 512: 8}


def architecture(value, context):
    if value not in names.ARCHITECTURES:
        known = ", ".join(names.ARCHITECTURES)
        return refuse(f"unknown architecture {value!r}; compare_gan's are {known}")
    chosen = names.ARCHITECTURES[value]
    if chosen is None:
        return refuse(
            f"this library has no {value[: -len('_arch')]} (compare_gan_tf/architectures/"
            "registry.py lists dcgan, sndcgan, resnet_cifar, resnet_stl, resnet5, resnet30, "
            "biggan, biggan_deep)"
        )
    lines = emit(("Experiment.architecture", chosen))
    if chosen in names.ARCHITECTURE_EXACT:
        exact = names.ARCHITECTURE_EXACT[chosen]
        lines = _exactly(exact, context, ("Experiment.architecture", chosen))
    if chosen in _ARCHITECTURE_NOTES:
        lines = combine(lines, note(_ARCHITECTURE_NOTES[chosen]))
    return lines


def z_dim(value, context):
    """options.z_dim; BigGAN's G splits z into one chunk per block and one for its fc."""
    if context.architecture == "biggan" and context.resolution in _BIGGAN_G_BLOCKS:
        chunks = _BIGGAN_G_BLOCKS[context.resolution] + 1
        if value % chunks:
            return refuse(
                f"resnet_biggan at {context.resolution} px splits z into {chunks} chunks, and "
                f"{value} is no multiple of {chunks} (compare_gan failed on it too): bind "
                f"options.z_dim = {20 * chunks}, BigGAN's"
            )
    return emit(("Experiment.z_dim", value))


@needs_architecture
def generator_normalization(value, context):
    chosen = context.generator_normalization
    if chosen is None:
        return refuse(f"G.batch_norm_fn = {value!r} has no equivalent")
    if chosen == "none" and context.architecture in ("biggan", "biggan_deep"):
        return refuse(
            "compare_gan's BigGAN G without batch norm still ends with one; this library's "
            "drops that one too"
        )
    vector = context.architecture in ("biggan", "biggan_deep")  # CBN also reads z there
    if chosen == "conditional" and not context.conditional and not vector:
        return refuse("conditional batch norm needs labels: ModularGAN.conditional is False")
    if chosen == "conditional":
        binding = (context.generator("normalization"), chosen)
        return _exactly("conditional_batch_norm", context, binding)
    return emit((context.generator("normalization"), chosen))


@needs_architecture
def generator_spectral_norm(value, context):
    return emit((context.generator("spectral_norm"), "sn" if value else "none"))


def discriminator_normalization(parameter):
    """A row of D.spectral_norm, D.layer_norm or D.batch_norm_fn: together they decide D's
    normalization here."""

    @needs_architecture
    def row(value, context):
        if parameter == "layer_norm" and context.architecture not in names.D_LAYER_NORM:
            return note(f"no effect: compare_gan's {context.compare_gan_architecture} D has none")
        if parameter == "batch_norm_fn" and context.architecture not in names.D_BATCH_NORM:
            return note(f"no effect: compare_gan's {context.compare_gan_architecture} D has none")
        chosen, reason = context.discriminator_normalization()
        if reason:
            return refuse(reason)
        return emit((context.discriminator("normalization"), chosen))

    return row


@needs_architecture
def initializer(value, context):
    if value not in names.INITIALIZERS:
        return refuse(
            f"unknown initializer {value!r}; compare_gan's are normal, truncated, orthogonal"
        )
    return emit(
        (context.generator("initializer"), value), (context.discriminator("initializer"), value)
    )


def batch_norm_setting(target):
    def row(value, context):
        if not context.uses_batch_norm:
            return note("no effect: no batch norm in G or D")
        return emit((target, value))

    return row


def cross_replica(value, context):
    if value is None:
        return note("automatic in both: on with several replicas here, on TPUs in compare_gan")
    why = None
    if context.discriminator_normalization()[0] == "batch":
        why = "D's batch norms use per-replica statistics here"
    return emit(("batch_norm.generator_cross_replica", bool(value)), note=why)


def singular_value(value, context):
    if value not in ("left", "right", "auto"):
        return refuse(f"unknown singular_value {value!r}; compare_gan's are left, right, auto")
    if not context.uses_spectral_norm:
        return note("no effect: no spectral norm in G or D")
    if value == "right":
        return note("this library keeps the right singular vector (u of the fan-out size) too")
    return note(
        "this library keeps the right singular vector, not the left: the same power "
        "iteration, whose estimate of sigma is half an iteration apart"
    )


def _block_numbers(value):
    if not isinstance(value, str):
        return None
    blocks = [name.strip() for name in value.split(",") if name.strip()]
    if not all(name[:1] == "B" and name[1:].isdigit() for name in blocks):
        return None
    return [int(name[1:]) for name in blocks]


def attention(side):
    """blocks_with_attention of resnet_biggan's G or D -> attention_resolution here."""

    def row(value, context):
        numbers = _block_numbers(value)
        if numbers is None:
            return refuse(f'blocks_with_attention = {value!r} is not a list like "B4"')
        resolution = context.resolution
        if resolution not in _BIGGAN_D_BLOCKS:
            return refuse("needs dataset.name at 32, 64, 128, 256 or 512 px to place attention")
        count = (_BIGGAN_G_BLOCKS if side == "generator" else _BIGGAN_D_BLOCKS)[resolution]
        numbers = [n for n in numbers if 1 <= n <= count]
        target = f"biggan_{side}.attention_resolution"
        if not numbers:
            return emit((target, None), note="no self-attention, as in compare_gan")
        if len(numbers) > 1:
            return refuse("this library puts self-attention after one block only")
        (block,) = numbers
        if side == "generator":
            return emit((target, 4 * 2**block))
        if block == count - 1:
            return refuse(
                f"B{block} and B{count} output the same size; this library attends after the "
                f"last block of a size (B{count})"
            )
        return emit((target, resolution // 2 ** min(block, count - 1)))

    return row


def embed_y(value, context):
    if value:
        return note("this library's BigGAN G embeds the labels (a shared embedding) too")
    if context.conditional:
        return refuse("this library's conditional BigGAN G always embeds the labels")
    return note("no effect: ModularGAN.conditional is False")


def fast_conv_to_rgb(value, context):
    why = "max(ch, channels) outputs here, 128 in compare_gan" if value else None
    return emit(("biggan_deep_generator.wide_output_conv", bool(value)), note=why)
