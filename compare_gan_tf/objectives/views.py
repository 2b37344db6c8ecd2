"""How GANObjective's D sees images: augmented (DiffAugment, ADA), packed (PacGAN), gradient
normalized, or through the self-supervised task's heads on D's features."""

import tensorflow as tf

from compare_gan_tf.objectives.augmentation import diff_augment
from compare_gan_tf.objectives.losses import needs_real_logits
from compare_gan_tf.objectives.objective_parts import concat_labels, seed_keyword
from compare_gan_tf.objectives.packing import pack
from compare_gan_tf.objectives.seeds import Draws


class DiscriminatorViews:
    """Mixin of GANObjective, which sets `augment`, `ada`, `packing`, `normalize`, `auxiliary`
    and `self_supervision`."""

    def discriminator_view(self, d_fn, seed=None):
        """d_fn as the objective's D sees images: augmented, then packed (PacGAN).

        `seed`: None augments with the global generator; with a seed, call i of the view
        augments with stateless draws keyed by a seed folded from `seed` and i.
        """
        draws = Draws(seed)

        def view(images, labels):
            if self.augment == "diffaugment":
                images = diff_augment(images, **seed_keyword(draws.next_seed()))
            elif self.augment == "ada":
                images = self.ada(images, seed=draws.next_seed())
            if self.packing > 1:
                # PacGAN's D is unconditional (the GAN checks): the labels are dropped.
                images, labels = pack(images, self.packing), None
            return d_fn(images, labels)

        if self.augment == "none" and self.packing == 1:
            return d_fn
        return view

    def discriminator_logits(
        self, d_fn, d_parts, seed, real_images, fake_images, labels, fake_labels
    ):
        """(D as the losses see it, real logits, fake logits, the self-supervision's parts and
        metrics) of one D step: reals and fakes go through D in one call, as in compare_gan."""
        if self.auxiliary is None:
            d_fn = self.normalize(self.discriminator_view(d_fn, seed))
            logits = d_fn(
                tf.concat([real_images, fake_images], axis=0), concat_labels(labels, fake_labels)
            )
            sizes = [tf.shape(real_images)[0], tf.shape(fake_images)[0]]
            real_logits, fake_logits = tf.split(logits, [size // self.packing for size in sizes])
            return d_fn, real_logits, fake_logits, {}, {}
        features_view = self.features_view(d_parts, seed)
        d_fn = self.auxiliary.logits_fn(d_parts, features_view)
        real_logits, fake_logits, parts, monitor = self.auxiliary.discriminator_terms(
            d_parts, features_view, real_images, fake_images, labels, fake_labels
        )
        return d_fn, real_logits, fake_logits, parts, monitor

    def generator_logits(self, d_fn, d_parts, seed, fake_images, labels, real=None):
        """(D's logits of the fakes, of the reals or None, the self-supervision's parts) of one
        G step. `real`: (images, labels), read when the loss needs real logits (the reals then
        go through D in one call with the fakes, as in the D step)."""
        if not needs_real_logits(self.loss_fn):
            real = None
        elif real is None:
            raise ValueError(
                f"{self.loss_fn.__name__} reads real logits: pass real=(images, labels)."
            )
        if self.auxiliary is None:
            view = self.normalize(self.discriminator_view(d_fn, seed))
            if real is None:
                return view(fake_images, labels), None, {}
            real_images, real_labels = real
            images = tf.concat([tf.cast(real_images, fake_images.dtype), fake_images], axis=0)
            # An unconditional G step has no labels; D then reads none of the reals' either.
            both_labels = None if labels is None else concat_labels(real_labels, labels)
            logits = view(images, both_labels)
            real_logits, fake_logits = tf.split(logits, 2)
            return fake_logits, real_logits, {}
        features_view = self.features_view(d_parts, seed)
        fake_logits, parts = self.auxiliary.generator_terms(
            d_parts, features_view, fake_images, labels
        )
        real_logits = None
        if real is not None:
            real_logits = self.auxiliary.logits_fn(d_parts, features_view)(*real)
        return fake_logits, real_logits, parts

    def features_view(self, d_parts, seed):
        """D's features of the images as the objective's D sees them (augmented)."""
        if d_parts is None:
            raise ValueError(
                f"GANObjective.self_supervision = {self.self_supervision!r} needs D's features: "
                "pass d_parts=self_supervision.DiscriminatorParts(features, head)."
            )
        return self.discriminator_view(lambda images, labels: d_parts.features(images), seed)

    def adapt_augmentation(self, real_logits, step, monitor):
        # Karras et al. 2020, section 3: r_t over `interval` D steps moves p toward the target.
        self.ada.accumulate(real_logits)
        due = tf.equal(tf.math.floormod(tf.cast(step, tf.int64) + 1, self.ada.interval), 0)
        self.ada.update(due=due)
        if monitor is not None:
            monitor["ada_p"] = tf.convert_to_tensor(self.ada.p)
