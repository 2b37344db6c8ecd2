"""compare_gan's names (v3, github.com/google/compare_gan at 19922d3) and what they are here.

The gin configurables of compare_gan by module, its architecture and dataset names, the
configurables its references name, and the defaults of its parameters that a conversion needs
when a config leaves them unset.
"""

# Module -> the gin configurables it registers (@gin.configurable, and the tf.* ones of
# gin.tf.external_configurables, which compare_gan's main.py imports).
CONFIGURABLES = {
    "compare_gan.architectures.abstract_arch": ("G", "D"),
    "compare_gan.architectures.arch_ops": (
        "weights",
        "standardize_batch",
        "no_batch_norm",
        "batch_norm",
        "self_modulated_batch_norm",
        "conditional_batch_norm",
        "spectral_norm",
    ),
    "compare_gan.architectures.resnet_biggan": ("BigGanResNetBlock", "Generator", "Discriminator"),
    "compare_gan.architectures.resnet_biggan_deep": (
        "BigGanDeepResNetBlock",
        "Generator",
        "Discriminator",
    ),
    "compare_gan.architectures.resnet_cifar": ("Generator", "Discriminator"),
    "compare_gan.datasets": (
        "dataset",
        "replace_labels",
        "train_imagenet_transform",
        "eval_imagenet_transform",
    ),
    "compare_gan.eval_gan_lib": ("eval_z",),
    "compare_gan.gans.loss_lib": (
        "loss",
        "non_saturating",
        "wasserstein",
        "least_squares",
        "hinge",
    ),
    "compare_gan.gans.modular_gan": ("ModularGAN", "z"),
    "compare_gan.gans.penalty_lib": (
        "penalty",
        "no_penalty",
        "dragan_penalty",
        "wgangp_penalty",
        "l2_penalty",
    ),
    "compare_gan.gans.ssgan": ("SSGAN",),
    "compare_gan.gans.s3gan": ("S3GAN",),
    "compare_gan.main": ("run_config",),
    "compare_gan.runner_lib": ("options",),
    "compare_gan.tpu.tpu_ops": ("cross_replica_moments",),
    "tf.train": (
        "AdamOptimizer",
        "GradientDescentOptimizer",
        "MomentumOptimizer",
        "RMSPropOptimizer",
        "AdagradOptimizer",
        "AdadeltaOptimizer",
        "FtrlOptimizer",
    ),
    "tf.random": ("normal", "uniform", "truncated_normal"),
}

# options.architecture -> this library's Experiment.architecture (None: no equivalent).
ARCHITECTURES = {
    "dcgan_arch": "dcgan",
    "sndcgan_arch": "sndcgan",
    "resnet_cifar_arch": "resnet_cifar",
    "resnet_stl_arch": "resnet_stl",
    "resnet5_arch": "resnet5",
    "resnet30_arch": "resnet30",
    "resnet_biggan_arch": "biggan",
    "resnet_biggan_deep_arch": "biggan_deep",
    "infogan_arch": None,
    "dummy_arch": None,
}
# Where compare_gan's D reads the labels: through `project_y` (default in the value), else never.
PROJECTING_D = {
    "resnet_cifar": ("resnet_cifar.Discriminator.project_y", False),
    "biggan": ("resnet_biggan.Discriminator.project_y", True),
    "biggan_deep": ("resnet_biggan_deep.Discriminator.project_y", True),
}
# The discriminators whose blocks apply D.batch_norm_fn, and those that apply D.layer_norm.
D_BATCH_NORM = (
    "dcgan",
    "resnet_cifar",
    "resnet_stl",
    "resnet5",
    "resnet30",
    "biggan",
    "biggan_deep",
)
D_LAYER_NORM = ("resnet_cifar", "resnet_stl", "resnet5", "resnet30", "biggan")

# dataset.name -> (this library's dataset.name, resolution); the ImageNet variants of S3GAN's
# label experiments and the size filter have no equivalent.
DATASETS = {
    "mnist": ("mnist", 28),
    "fashion-mnist": ("fashion_mnist", 28),
    "cifar10": ("cifar10", 32),
    "celeb_a": ("celeb_a", 64),
    "lsun-bedroom": ("lsun_bedroom", 128),
    **{f"imagenet_{size}": ("imagenet", size) for size in (64, 128, 256, 512)},
    # Never registered in compare_gan (its issue 44), but its example config names it.
    **{f"celeb_a_hq_{size}": ("celeb_a_hq", size) for size in (64, 128, 256, 512, 1024)},
}
UNLABELLED = ("celeb_a", "lsun_bedroom", "celeb_a_hq")
NO_DATASET = {
    "imagenet_512_hq400": "keeps the ImageNet images with a short side of 400 px or more",
    "labeled_only_imagenet_128": "drops the unlabelled ImageNet images of S3GAN's experiments",
    "soft_labeled_imagenet_128": "reads S3GAN's soft labels from TFRecord files",
    "single_class_imagenet_128": "gives every ImageNet image one label",
    "random_class_imagenet_128": "gives ImageNet images random labels",
}

# References, by compare_gan's name, to this library's bindings (loss.fn, penalty.fn) or choice.
# The least-squares and DRAGAN bindings also choose compare_gan's forms (loss_lib.least_squares
# on D's sigmoid outputs; penalty_lib.dragan_penalty's clipped two-sided points), which this
# library's defaults do not take (docs/migrating.md, "compare_gan-exact numerics").
LOSSES = {
    "non_saturating": (("GANObjective.loss", "non_saturating"),),
    "wasserstein": (("GANObjective.loss", "wasserstein"),),
    "least_squares": (
        ("GANObjective.loss", "least_squares"),
        ("GANObjective.least_squares_on", "sigmoid"),
    ),
    "hinge": (("GANObjective.loss", "hinge"),),
}
PENALTIES = {
    "no_penalty": (("GANObjective.penalty", "none"),),
    "wgangp_penalty": (("GANObjective.penalty", "wgan_gp"),),
    "dragan_penalty": (
        ("GANObjective.penalty", "dragan"),
        ("GANObjective.dragan_noise", "two_sided_clipped"),
    ),
    "l2_penalty": (("GANObjective.penalty", "l2"),),
}
# Where this library's models compute otherwise than compare_gan's by default: the options, as
# (network, parameter, value), that make them compare_gan's, bound on <architecture>_<network>.
EXACT = {
    # compare_gan's conditional BN scales by gamma(y), not 1 + gamma(y) (its issue 54).
    "conditional_batch_norm": (("generator", "cbn_gain", "gamma"),),
    # resnet_ops.ResNetBlock: unpool (zero insertion) and 3x3 shortcuts in G and D.
    "resnet_blocks": (
        ("generator", "upsampling", "zeros"),
        ("generator", "shortcut", "conv3x3"),
        ("discriminator", "shortcut", "conv3x3"),
    ),
    # resnet_biggan: unpool; G's 1x1 shortcuts as here; no shortcut in D blocks that keep width.
    "biggan_blocks": (
        ("generator", "upsampling", "zeros"),
        ("discriminator", "shortcut", "none_if_same_channels"),
    ),
    # resnet_biggan_deep: unpool, in the main path and the shortcut; shortcuts as here.
    "biggan_deep_blocks": (("generator", "upsampling", "zeros"),),
    # sndcgan: g_bn1 normalizes each unit of the fc output, before the reshape.
    "sndcgan_seed_norm": (("generator", "flat_seed_norm", True),),
}
# The EXACT entry of each architecture whose compare_gan model differs from this library's.
ARCHITECTURE_EXACT = {
    **{name: "resnet_blocks" for name in ("resnet_cifar", "resnet_stl", "resnet5", "resnet30")},
    "biggan": "biggan_blocks",
    "biggan_deep": "biggan_deep_blocks",
    "sndcgan": "sndcgan_seed_norm",
}
NORMALIZATIONS = {
    None: "none",
    "no_batch_norm": "none",
    "batch_norm": "batch",
    "conditional_batch_norm": "conditional",
    "self_modulated_batch_norm": "self_modulated",
}
OPTIMIZERS = {
    "tf.train.AdamOptimizer": "adam",
    "tf.train.GradientDescentOptimizer": "sgd",
    "tf.train.MomentumOptimizer": "sgd",
}
Z_PRIORS = {"tf.random.uniform": "uniform", "tf.random.normal": "normal"}
GAN_CLASSES = ("ModularGAN", "SSGAN", "S3GAN")
# S3GAN's parameters that keep their name and meaning here (objectives/s3gan.py).
S3GAN_PARAMETERS = (
    "rotated_batch_fraction",
    "weight_rotation_loss_d",
    "weight_rotation_loss_g",
    "project_y",
    "use_predictor",
    "use_soft_pred",
    "weight_class_loss",
    "use_soft_labels",
)
SOFT_LABELS = (
    "S3GAN's replacement labels are read from files; this library's datasets give their own "
    "labels (dataset.labeled_fraction keeps a part of them)"
)
INITIALIZERS = ("normal", "truncated", "orthogonal")


class Ref:
    """A gin reference, @name or @name(), by compare_gan's canonical name when it is known."""

    def __init__(self, name, evaluate=False):
        self.name = name
        self.evaluate = evaluate

    def __eq__(self, other):
        return isinstance(other, Ref) and (self.name, self.evaluate) == (other.name, other.evaluate)

    def __hash__(self):
        return hash((self.name, self.evaluate))

    def __repr__(self):
        return f"@{self.name}{'()' if self.evaluate else ''}"


def ref_name(value):
    """The name a value refers to (None stays None); anything else is returned as is."""
    return value.name if isinstance(value, Ref) and not value.evaluate else value


# compare_gan's defaults, for parameters a config leaves unset (REQUIRED ones are absent).
DEFAULTS = {
    "options.disc_iters": 1,
    "options.z_dim": 128,
    "options.lamba": 1,
    "ModularGAN.conditional": False,
    "ModularGAN.g_use_ema": False,
    "ModularGAN.ema_decay": 0.9999,
    "ModularGAN.ema_start_step": 40000,
    "ModularGAN.g_lr": 0.0002,
    "ModularGAN.d_lr": None,
    "ModularGAN.g_optimizer_fn": Ref("tf.train.AdamOptimizer"),
    "ModularGAN.d_optimizer_fn": None,
    "tf.train.AdamOptimizer.beta1": 0.9,
    "tf.train.AdamOptimizer.beta2": 0.999,
    "tf.train.MomentumOptimizer.use_nesterov": False,
    "loss.fn": Ref("non_saturating"),
    "penalty.fn": Ref("no_penalty"),
    "G.batch_norm_fn": None,
    "G.spectral_norm": False,
    "D.batch_norm_fn": None,
    "D.layer_norm": False,
    "D.spectral_norm": False,
    "weights.initializer": "normal",
    "standardize_batch.decay": 0.999,
    "standardize_batch.epsilon": 1e-3,
    "spectral_norm.singular_value": "left",
    "z.distribution_fn": Ref("tf.random.uniform"),
    "z.minval": -1.0,
    "z.maxval": 1.0,
    "z.stddev": 1.0,
    "eval_z.distribution_fn": Ref("tf.random.uniform"),
    "eval_z.minval": -1.0,
    "eval_z.maxval": 1.0,
    "eval_z.stddev": 1.0,
    "run_config.save_checkpoints_steps": 5000,
    "resnet_biggan.Generator.blocks_with_attention": "B4",
    "resnet_biggan.Discriminator.blocks_with_attention": "B1",
    "resnet_biggan.Discriminator.project_y": True,
    "resnet_biggan_deep.Generator.experimental_fast_conv_to_rgb": False,
    "resnet_biggan_deep.Discriminator.project_y": True,
    "resnet_cifar.Discriminator.project_y": False,
}
