"""The conversion table: compare_gan's binding -> a row (see outcomes.py), one line each.

Keys are compare_gan's spelling (parse.canonical); "SSGAN.*" covers every parameter of a
configurable. A binding with no row has no known equivalent and stops the conversion, as does
a row's refusal. `DEFAULT_ROWS` are also run, on compare_gan's default, for parameters a config
leaves unset: those whose default differs from this library's, or decides something here.
"""

from compare_gan_tf.migrate import rules_model as model
from compare_gan_tf.migrate import rules_run as run
from compare_gan_tf.migrate import rules_self_supervised as self_supervised
from compare_gan_tf.migrate.outcomes import for_architectures, no_effect, only, refused, to
from compare_gan_tf.migrate.rules_self_supervised import of_class
from compare_gan_tf.migrate.vocabulary import S3GAN_PARAMETERS, SOFT_LABELS

_BIGGAN = ("biggan",)
_DEEP = ("biggan_deep",)
_CIFAR = ("resnet_cifar",)
_NEVER_IN_COMPARE_GAN = "compare_gan's default (True) is the only behaviour here"

TABLE = {
    # runner_lib.options
    "options.batch_size": to("Experiment.batch_size"),
    "options.gan_class": run.gan_class,
    "options.architecture": model.architecture,
    "options.training_steps": to("train.training_steps", why="G steps, as compare_gan counted"),
    "options.disc_iters": to("GAN.disc_iters"),
    "options.z_dim": model.z_dim,
    "options.lamba": run.lamba,
    "options.discriminator_normalization": no_effect("deprecated and ignored by compare_gan v3"),
    # ModularGAN
    "ModularGAN.g_lr": run.generator_rate,
    "ModularGAN.d_lr": run.discriminator_rate,
    "ModularGAN.g_optimizer_fn": run.generator_optimizer,
    "ModularGAN.d_optimizer_fn": run.discriminator_optimizer,
    "ModularGAN.g_use_ema": run.use_ema,
    "ModularGAN.ema_decay": run.ema_setting("GAN.ema_decay"),
    "ModularGAN.ema_start_step": run.ema_setting("GAN.ema_start_step"),
    "ModularGAN.conditional": run.conditional,
    "ModularGAN.fit_label_distribution": only(
        False,
        why="G's labels are uniform here too",
        reason="this library draws G's labels uniformly; it cannot follow the real labels",
    ),
    "ModularGAN.deprecated_split_disc_calls": only(
        False,
        why="one D call on the real and fake images together, here too",
        reason="this library calls D once on the real and fake images together",
    ),
    "ModularGAN.experimental_joint_gen_for_disc": only(
        False,
        why="fakes are generated for each D step here too",
        reason="this library generates the fakes of each D step separately (G's batch norm "
        "sees one batch, not disc_iters batches)",
    ),
    "ModularGAN.experimental_force_graph_unroll": no_effect("a GPU speed switch of compare_gan"),
    # loss_lib, penalty_lib
    "loss.fn": run.loss,
    "penalty.fn": run.penalty,
    # tf.train optimizers (gin.tf's external configurables)
    "tf.train.AdamOptimizer.beta1": run.optimizer_parameter("tf.train.AdamOptimizer", "adam.beta1"),
    "tf.train.AdamOptimizer.beta2": run.optimizer_parameter("tf.train.AdamOptimizer", "adam.beta2"),
    "tf.train.AdamOptimizer.epsilon": refused("this library's Adam keeps Keras's epsilon, 1e-7"),
    "tf.train.AdamOptimizer.learning_rate": no_effect("ModularGAN.g_lr and d_lr set the rates"),
    "tf.train.AdamOptimizer.use_locking": no_effect("a TF1 threading switch"),
    "tf.train.MomentumOptimizer.momentum": run.optimizer_parameter(
        "tf.train.MomentumOptimizer", "sgd.momentum"
    ),
    "tf.train.MomentumOptimizer.use_nesterov": run.optimizer_parameter(
        "tf.train.MomentumOptimizer", "sgd.nesterov"
    ),
    "tf.train.MomentumOptimizer.learning_rate": no_effect("ModularGAN.g_lr and d_lr set them"),
    "tf.train.GradientDescentOptimizer.learning_rate": no_effect("ModularGAN's g_lr, d_lr"),
    # abstract_arch's G and D
    "G.batch_norm_fn": model.generator_normalization,
    "G.spectral_norm": model.generator_spectral_norm,
    "D.spectral_norm": model.discriminator_normalization("spectral_norm"),
    "D.layer_norm": model.discriminator_normalization("layer_norm"),
    "D.batch_norm_fn": model.discriminator_normalization("batch_norm_fn"),
    # arch_ops
    "weights.initializer": model.initializer,
    "weights.stddev": only(
        0.02,
        why="this library's normal initializers have stddev 0.02 too",
        reason="this library's normal initializers have stddev 0.02, with no gin parameter",
    ),
    "standardize_batch.decay": model.batch_norm_setting("batch_norm.momentum"),
    "standardize_batch.epsilon": model.batch_norm_setting("batch_norm.epsilon"),
    "standardize_batch.use_cross_replica_mean": model.cross_replica,
    "standardize_batch.use_moving_averages": no_effect(
        "samples and scores here use standing statistics, recomputed for the averaged G"
    ),
    "conditional_batch_norm.use_bias": only(
        False,
        why="the conditional BN maps have no bias here either",
        reason="this library's conditional BN maps have no bias",
    ),
    "self_modulated_batch_norm.num_hidden": only(
        32,
        why="32 hidden units here too",
        reason="this library's self-modulated BN has 32 hidden units, with no gin parameter",
    ),
    "spectral_norm.singular_value": model.singular_value,
    "spectral_norm.epsilon": only(
        1e-12,
        why="epsilon 1e-12 here too",
        reason="this library's spectral norm has epsilon 1e-12, with no gin parameter",
    ),
    "cross_replica_moments.parallel": no_effect("how a TPU computes the moments"),
    "cross_replica_moments.group_size": only(
        None,
        why="statistics over all replicas, as here",
        reason="this library computes cross-replica statistics over all replicas",
    ),
    # resnet_biggan
    "resnet_biggan.Generator.ch": for_architectures(_BIGGAN, to("biggan_generator.ch")),
    "resnet_biggan.Generator.blocks_with_attention": for_architectures(
        _BIGGAN, model.attention("generator")
    ),
    "resnet_biggan.Generator.hierarchical_z": for_architectures(
        _BIGGAN,
        only(True, why="z is split over the blocks here too", reason=_NEVER_IN_COMPARE_GAN),
    ),
    "resnet_biggan.Generator.embed_z": for_architectures(
        _BIGGAN,
        only(False, why="z is not embedded here either", reason="this library never embeds z"),
    ),
    "resnet_biggan.Generator.embed_y": for_architectures(_BIGGAN, model.embed_y),
    "resnet_biggan.Generator.embed_y_dim": for_architectures(
        _BIGGAN, to("biggan_generator.embedding_dim")
    ),
    "resnet_biggan.Generator.embed_bias": for_architectures(
        _BIGGAN,
        only(False, why="no bias here either", reason="this library's embedding has no bias"),
    ),
    "resnet_biggan.Discriminator.ch": for_architectures(_BIGGAN, to("biggan_discriminator.ch")),
    "resnet_biggan.Discriminator.blocks_with_attention": for_architectures(
        _BIGGAN, model.attention("discriminator")
    ),
    "resnet_biggan.Discriminator.project_y": for_architectures(_BIGGAN, run.project_y),
    "BigGanResNetBlock.add_shortcut": for_architectures(
        _BIGGAN,
        only(True, why="G blocks have 1x1 shortcuts here too", reason=_NEVER_IN_COMPARE_GAN),
    ),
    # resnet_biggan_deep
    "resnet_biggan_deep.Generator.ch": for_architectures(_DEEP, to("biggan_deep_generator.ch")),
    "resnet_biggan_deep.Generator.embed_y": for_architectures(_DEEP, model.embed_y),
    "resnet_biggan_deep.Generator.embed_y_dim": for_architectures(
        _DEEP, to("biggan_deep_generator.embedding_dim")
    ),
    "resnet_biggan_deep.Generator.experimental_fast_conv_to_rgb": for_architectures(
        _DEEP, model.fast_conv_to_rgb
    ),
    "resnet_biggan_deep.Discriminator.ch": for_architectures(
        _DEEP, to("biggan_deep_discriminator.ch")
    ),
    "resnet_biggan_deep.Discriminator.blocks_with_attention": no_effect(
        "compare_gan's biggan_deep ignores it and attends at 64 px, as this library does"
    ),
    "resnet_biggan_deep.Discriminator.project_y": for_architectures(_DEEP, run.project_y),
    # resnet_cifar
    "resnet_cifar.Generator.hierarchical_z": for_architectures(
        _CIFAR, only(False, why="not here either", reason="this library's resnet_cifar G has none")
    ),
    "resnet_cifar.Generator.embed_z": for_architectures(
        _CIFAR, only(False, why="not here either", reason="this library never embeds z")
    ),
    "resnet_cifar.Generator.embed_y": for_architectures(
        _CIFAR,
        only(
            False,
            why="the labels reach G's conditional BN directly, here too",
            reason="this library's resnet_cifar G has no label embedding beside its BN",
        ),
    ),
    "resnet_cifar.Discriminator.project_y": for_architectures(_CIFAR, run.project_y),
    # z, eval_z
    **{f"z.{p}": run.z_prior("z", p) for p in ("distribution_fn", "minval", "maxval", "stddev")},
    **{
        f"eval_z.{p}": run.z_prior("eval_z", p)
        for p in ("distribution_fn", "minval", "maxval", "stddev")
    },
    # datasets
    "dataset.name": run.dataset_name,
    "dataset.seed": to("dataset.seed"),
    "train_imagenet_transform.crop_method": only(
        "distorted",
        why="a random square crop of 50-100% of the area here too",
        reason="this library crops ImageNet training images at random (compare_gan's distorted)",
    ),
    "eval_imagenet_transform.crop_method": only(
        "middle",
        why="the central square here too",
        reason="this library takes the central square of ImageNet evaluation images",
    ),
    "replace_labels.file_pattern": refused(SOFT_LABELS),
    # main.run_config
    "run_config.iterations_per_loop": to("train.steps_per_loop"),
    "run_config.save_checkpoints_steps": to("train.save_checkpoints_steps"),
    "run_config.keep_checkpoint_max": to("train.keep_checkpoint_max"),
    "run_config.tf_random_seed": run.random_seed,
    "run_config.single_core": only(
        False,
        why="every core of the device is used, as here",
        reason="this library uses every core; choose devices with make_strategy.kind",
    ),
    # SSGAN and S3GAN (gans/ssgan.py, gans/s3gan.py); their ModularGAN settings are
    # ModularGAN.* in compare_gan's configs, and are refused under these names.
    "SSGAN.self_supervision": of_class("SSGAN", self_supervised.ssgan_mode),
    "SSGAN.rotated_batch_size": of_class("SSGAN", to("SelfSupervision.rotated_batch_size")),
    "SSGAN.weight_rotation_loss_d": of_class("SSGAN", to("SelfSupervision.weight_rotation_loss_d")),
    "SSGAN.weight_rotation_loss_g": of_class("SSGAN", to("SelfSupervision.weight_rotation_loss_g")),
    "S3GAN.self_supervision": of_class("S3GAN", self_supervised.s3gan_mode),
    **{f"S3GAN.{name}": of_class("S3GAN", to(f"S3GAN.{name}")) for name in S3GAN_PARAMETERS},
    "SSGAN.*": refused("bind SSGAN's ModularGAN settings as ModularGAN.*, as compare_gan did"),
    "S3GAN.*": refused("bind S3GAN's ModularGAN settings as ModularGAN.*, as compare_gan did"),
}

DEFAULT_ROWS = (
    "options.z_dim",
    "options.disc_iters",
    "options.lamba",
    "ModularGAN.conditional",
    "ModularGAN.g_use_ema",
    "ModularGAN.g_lr",
    "ModularGAN.d_lr",
    "ModularGAN.g_optimizer_fn",
    "tf.train.AdamOptimizer.beta1",
    "tf.train.AdamOptimizer.beta2",
    "loss.fn",
    "penalty.fn",
    "G.batch_norm_fn",
    "G.spectral_norm",
    "D.spectral_norm",
    "weights.initializer",
    "standardize_batch.decay",
    "standardize_batch.epsilon",
    "z.distribution_fn",
    "eval_z.distribution_fn",
    "run_config.save_checkpoints_steps",
    "resnet_biggan.Generator.blocks_with_attention",
    "resnet_biggan.Discriminator.blocks_with_attention",
    "resnet_biggan.Discriminator.project_y",
    "resnet_biggan_deep.Generator.experimental_fast_conv_to_rgb",
    "resnet_biggan_deep.Discriminator.project_y",
    "resnet_cifar.Discriminator.project_y",
)
# Bindings compare_gan requires (gin.REQUIRED or a positional parameter).
REQUIRED = (
    "options.batch_size",
    "options.gan_class",
    "options.architecture",
    "options.training_steps",
    "dataset.name",
)


def row(key):
    """The row of compare_gan's binding `key`, or None."""
    selector = key.rsplit(".", 1)[0]
    return TABLE.get(key) or TABLE.get(f"{selector}.*")
