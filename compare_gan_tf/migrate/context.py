"""The whole compare_gan config as the rows see it: each parameter's value (the config's last
binding, else compare_gan's default) and the settings several bindings decide together."""

import functools

from compare_gan_tf.migrate import vocabulary as names
from compare_gan_tf.migrate.vocabulary import DEFAULTS, ref_name

MISSING = object()


class Context:
    """`bindings`: {key: value} of the config, the last binding of each key."""

    def __init__(self, bindings):
        self.bindings = dict(bindings)

    def value(self, key, default=MISSING):
        """The config's value of `key`, else compare_gan's default, else `default`."""
        if key in self.bindings:
            return self.bindings[key]
        return DEFAULTS.get(key, default)

    def bound(self, key):
        return key in self.bindings

    @functools.cached_property
    def compare_gan_architecture(self):
        return self.value("options.architecture", None)

    @functools.cached_property
    def architecture(self):
        """This library's name of options.architecture; None when it has no equivalent."""
        return names.ARCHITECTURES.get(self.compare_gan_architecture)

    def generator(self, parameter):
        return f"{self.architecture}_generator.{parameter}"

    def discriminator(self, parameter):
        return f"{self.architecture}_discriminator.{parameter}"

    @functools.cached_property
    def dataset(self):
        """(this library's dataset.name, resolution), or None."""
        return names.DATASETS.get(self.value("dataset.name", None))

    @property
    def resolution(self):
        return self.dataset[1] if self.dataset else None

    @property
    def conditional(self):
        return bool(self.value("ModularGAN.conditional"))

    @property
    def generator_normalization(self):
        """G's normalization here ("batch", ...), or None for a function with no equivalent."""
        return names.NORMALIZATIONS.get(ref_name(self.value("G.batch_norm_fn")))

    def discriminator_normalization(self):
        """(D's normalization here, None), or (None, why there is none) for compare_gan's
        combination of D.spectral_norm, D.layer_norm and D.batch_norm_fn."""
        function = ref_name(self.value("D.batch_norm_fn"))
        inner = names.NORMALIZATIONS.get(function, "?")
        if self.architecture not in names.D_BATCH_NORM:
            inner = "none"
        if inner not in ("none", "batch"):
            return None, (
                f"D.batch_norm_fn = {self.value('D.batch_norm_fn')!r}: this library's D has no "
                "conditional or self-modulated batch norm"
            )
        layer = self.value("D.layer_norm") and self.architecture in names.D_LAYER_NORM
        chosen = [
            kind
            for kind, on in (
                ("spectral", self.value("D.spectral_norm")),
                ("layer", layer),
                ("batch", inner == "batch"),
            )
            if on
        ]
        if len(chosen) > 1:
            return None, (
                f"compare_gan's D combines {' and '.join(chosen)} normalization; this library's "
                "takes one (<architecture>_discriminator.normalization)"
            )
        if self.architecture == "biggan_deep" and chosen in (["layer"], ["batch"]):
            return None, f"this library's biggan_deep D has no {chosen[0]} normalization"
        return (chosen[0] if chosen else "none"), None

    def optimizer(self, scope):
        """compare_gan's optimizer function of `scope` ("generator" or "discriminator")."""
        function = self.value("ModularGAN.g_optimizer_fn")
        if scope == "discriminator" and self.value("ModularGAN.d_optimizer_fn") is not None:
            function = self.value("ModularGAN.d_optimizer_fn")
        return ref_name(function)

    def optimizers(self):
        """This library's optimizer names of G and D (None for one with no equivalent)."""
        return {names.OPTIMIZERS.get(self.optimizer(s)) for s in ("generator", "discriminator")}

    @property
    def penalty(self):
        """GANObjective.penalty's value here, or None for a penalty with no equivalent."""
        bindings = dict(names.PENALTIES.get(ref_name(self.value("penalty.fn")), ()))
        return bindings.get("GANObjective.penalty")

    @property
    def uses_batch_norm(self):
        in_g = self.generator_normalization not in ("none", None)
        in_d = self.discriminator_normalization()[0] == "batch"
        # compare_gan's BigGAN generators end with an unconditional batch norm in any case.
        return in_g or in_d or self.architecture in ("biggan", "biggan_deep")

    @property
    def uses_spectral_norm(self):
        return bool(self.value("G.spectral_norm") or self.value("D.spectral_norm"))

    def z_prior(self, prefix):
        """(GAN.z_prior's value, None) for compare_gan's `prefix`.* ("z" or "eval_z"), or
        (None, why there is no equivalent)."""
        function = ref_name(self.value(f"{prefix}.distribution_fn"))
        prior = names.Z_PRIORS.get(function)
        if prior is None:
            return None, (
                f"{prefix}.distribution_fn = {self.value(prefix + '.distribution_fn')!r}: this "
                "library draws z from U(-1, 1) or N(0, 1) (GAN.z_prior) only"
            )
        low, high = self.value(f"{prefix}.minval"), self.value(f"{prefix}.maxval")
        if prior == "uniform" and (low, high) != (-1.0, 1.0):
            return None, f"{prefix} is U({low}, {high}); this library's uniform prior is U(-1, 1)"
        if prior == "normal" and self.value(f"{prefix}.stddev") != 1.0:
            stddev = self.value(f"{prefix}.stddev")
            return None, f"{prefix} is N(0, {stddev}^2); this library's normal prior is N(0, 1)"
        return prior, None
