"""Rows for the run's settings: GAN class, loss and penalty, optimizers, EMA, labels, z prior,
dataset and loop. Each is a row of table.py: `row(value, context) -> outcomes.Outcome`."""

from compare_gan_tf.migrate import rules_self_supervised as self_supervised
from compare_gan_tf.migrate import vocabulary as names
from compare_gan_tf.migrate.outcomes import combine, emit, note, refuse
from compare_gan_tf.migrate.vocabulary import ref_name


def gan_class(value, context):
    name = ref_name(value)
    if name == "ModularGAN":
        return note(
            "no effect here: this library has one GAN class; ModularGAN's settings are "
            "Experiment.*, GAN.*, GANObjective.* and the optimizers'"
        )
    if name == "SSGAN":
        return self_supervised.ssgan_class(context)
    if name == "S3GAN":
        return self_supervised.s3gan_class(context)
    return refuse(f"unknown GAN class {value!r}; compare_gan's are @ModularGAN, @SSGAN, @S3GAN")


def loss(value, context):
    name = ref_name(value)
    if name in names.LOSSES:
        return emit(*names.LOSSES[name])
    return refuse(f"unknown loss {value!r}; compare_gan's are @{', @'.join(names.LOSSES)}")


def penalty(value, context):
    name = ref_name(value)
    if name not in names.PENALTIES:
        known = ", @".join(names.PENALTIES)
        return refuse(f"unknown penalty {value!r}; compare_gan's are @{known}")
    if context.penalty == "none":
        return emit(*names.PENALTIES[name])
    why = None
    if context.penalty in ("wgan_gp", "dragan"):
        why = "images are in [-1, 1] here, [0, 1] in compare_gan"
    return combine(emit(*names.PENALTIES[name], note=why), lamba(None, context))


def lamba(value, context):
    """options.lamba, the penalty weight (`value` is read from the context)."""
    if context.penalty in ("none", None):
        return note("no effect: there is no penalty (penalty.fn), as in compare_gan")
    weight = float(context.value("options.lamba"))
    return emit(("GANObjective.penalty_weight", weight))


def _optimizer_lines(scope, context):
    function = context.optimizer(scope)
    chosen = names.OPTIMIZERS.get(function)
    if chosen is None:
        return refuse(
            f"optimizer @{function} has no equivalent (this library's: adam, adamw, sgd); "
            "use @tf.train.AdamOptimizer, GradientDescentOptimizer or MomentumOptimizer"
        )
    if chosen == "adam":
        return note(f"{scope}: Adam here too (Keras's, with epsilon 1e-7 where TF1's had 1e-8)")
    momentum = 0.0
    nesterov = False
    if function == "tf.train.MomentumOptimizer":
        momentum = context.value("tf.train.MomentumOptimizer.momentum", None)
        if momentum is None:
            return refuse("tf.train.MomentumOptimizer needs tf.train.MomentumOptimizer.momentum")
        nesterov = context.value("tf.train.MomentumOptimizer.use_nesterov")
    return emit(
        (f"{scope}/optimizer.name", "sgd"),
        (f"{scope}/sgd.momentum", momentum),
        (f"{scope}/sgd.nesterov", nesterov),
    )


def generator_optimizer(value, context):
    outcomes = [_optimizer_lines("generator", context)]
    if context.value("ModularGAN.d_optimizer_fn") is None:
        outcomes.append(_optimizer_lines("discriminator", context))
    return combine(*outcomes)


def discriminator_optimizer(value, context):
    if value is None:
        return note("None: D uses ModularGAN.g_optimizer_fn, as written for it")
    return _optimizer_lines("discriminator", context)


def _rate(scope, rate, context):
    chosen = names.OPTIMIZERS.get(context.optimizer(scope))
    if chosen is None:
        return note("see the optimizer, which has no equivalent")
    return emit((f"{scope}/{chosen}.learning_rate", rate))


def generator_rate(value, context):
    outcomes = [_rate("generator", value, context)]
    if context.value("ModularGAN.d_lr") is None:
        outcomes.append(_rate("discriminator", value, context))
    return combine(*outcomes)


def discriminator_rate(value, context):
    if value is None:
        rate = context.value("ModularGAN.g_lr")
        return combine(note("None: D uses ModularGAN.g_lr"), _rate("discriminator", rate, context))
    return _rate("discriminator", value, context)


def optimizer_parameter(function, target):
    """A parameter of a tf.train optimizer: `target` ("adam.beta1") when G or D uses it."""

    def row(value, context):
        scopes = [s for s in ("generator", "discriminator") if context.optimizer(s) == function]
        if not scopes:
            return note(f"no effect: neither G nor D uses @{function}")
        if target.startswith("adam."):
            return emit((target, value))
        return emit(*((f"{scope}/{target}", value) for scope in scopes))

    return row


def use_ema(value, context):
    if not value:
        return emit(
            ("GAN.ema_decay", 0.0),
            note="the averaged generator stays a copy of G, the generator compare_gan scored",
        )
    return emit(
        ("GAN.ema_decay", context.value("ModularGAN.ema_decay")),
        ("GAN.ema_start_step", context.value("ModularGAN.ema_start_step")),
        note="this library scores and samples the averaged G, as compare_gan's hub module did",
    )


def ema_setting(target):
    def row(value, context):
        if not context.value("ModularGAN.g_use_ema"):
            return note("no effect: ModularGAN.g_use_ema is False")
        return emit((target, value))

    return row


def conditional(value, context):
    lines = emit(("Experiment.conditional", bool(value)))
    if not value:
        return lines
    if context.dataset and context.dataset[0] in names.UNLABELLED:
        return refuse(f"{context.dataset[0]} has no labels (compare_gan refused it too)")
    if context.generator_normalization != "conditional":
        return refuse(
            "compare_gan's G reads labels only through @conditional_batch_norm (G.batch_norm_fn "
            f"is {context.value('G.batch_norm_fn')!r}); this library's conditional G always reads "
            "them: set G.batch_norm_fn = @conditional_batch_norm or ModularGAN.conditional = False"
        )
    s3gan = self_supervised.gan_class_of(context) == "S3GAN"  # S3GAN.project_y decides
    if context.architecture and context.architecture not in names.PROJECTING_D and not s3gan:
        return refuse(
            f"compare_gan's {context.compare_gan_architecture} D ignores the labels; this "
            "library's conditional D projects them (Miyato and Koyama 2018)"
        )
    return lines


def project_y(value, context):
    if not context.conditional:
        return note("no effect: ModularGAN.conditional is False")
    if self_supervised.gan_class_of(context) == "S3GAN":
        return self_supervised.architecture_projection(value, context)
    if value:
        return note("this library's conditional D projects the labels too")
    return refuse(
        "a conditional compare_gan D with project_y = False ignores the labels; this "
        "library's conditional D always projects them"
    )


def z_prior(prefix, parameter):
    """A row of z.* or eval_z.* (`parameter`: distribution_fn, minval, maxval or stddev)."""

    def row(value, context):
        prior, reason = context.z_prior(prefix)
        if reason:
            return refuse(reason)
        if parameter != "distribution_fn" and (parameter == "stddev") != (prior == "normal"):
            return note(f"no effect: {prefix} is {prior}")
        if prefix == "z":
            return emit(("GAN.z_prior", prior))
        trained = context.z_prior("z")[0]
        if trained and prior != trained:
            return refuse(
                f"this library evaluates with the training prior (GAN.z_prior = {trained!r}); "
                f"compare_gan's eval_z is {prior}: bind eval_z like z to convert"
            )
        return note("evaluation draws from GAN.z_prior here")

    return row


def dataset_name(value, context):
    if value in names.NO_DATASET:
        return refuse(f"{value!r} {names.NO_DATASET[value]}; this library has no such dataset")
    if value not in names.DATASETS:
        return refuse(f"unknown dataset {value!r}; compare_gan's are {', '.join(names.DATASETS)}")
    name, resolution = names.DATASETS[value]
    why = None
    if name == "celeb_a_hq":
        why = "compare_gan never registered celeb_a_hq (its issue 44); here it is TFDS's"
    return emit(("dataset.name", name), ("dataset.resolution", resolution), note=why)


def random_seed(value, context):
    if value is None:
        return note("no effect: this library always seeds (Experiment.seed, 547 by default)")
    return emit(("Experiment.seed", value))
