"""LeCam regularization of the discriminator (Tseng et al. 2021, "Regularizing Generative
Adversarial Networks under Limited Data").

D's outputs on real images are pulled toward a moving average of its past outputs on fakes and
vice versa, which keeps D's predictions from drifting apart on a small training set. The
paper's R_LC = E_x[||D(x) - alpha_F||^2] + E_z[||D(G(z)) - alpha_R||^2] is added to D's loss
with a weight lambda. Both of the authors' implementations (google/lecam-gan: BigGAN
in PyTorch, StyleGAN2 in TF) make each term one-sided, relu(D(x) - alpha_F)^2 and
relu(alpha_R - D(G(z)))^2, which only pulls outputs that lie beyond the other side's anchor;
that is the default here, and `one_sided=False` gives the paper's two-sided squares.
"""

import gin
import tensorflow as tf


def _replica_mean(value):
    """`value` averaged over the replicas in a replica context; unchanged in a cross-replica one."""
    context = tf.distribute.get_replica_context()
    if context is None:
        return value
    return context.all_reduce(tf.distribute.ReduceOp.MEAN, value)


@gin.configurable(denylist=["weight"])  # GANObjective.lecam_weight sets the weight
class LeCamRegularizer(tf.Module):
    """The two EMA anchors and the weighted LeCam penalty.

    `update` first folds this step's batch means of D(x) and D(G(z)) into the anchors, then
    `penalty` uses the updated anchors: both reference implementations update before computing
    the term (StyleGAN2's reads the value returned by the moving-average assignment; BigGAN's
    updates inside the D loss, before the LeCam term). `__call__` does both in that order.

    Defaults: weight 0.3 is the BigGAN CIFAR-10/100 value in the authors' scripts (every lc-*
    script, 10%, 20% and 100% of the data, with or without DiffAugment). The StyleGAN2 scripts
    use 1e-6 (CIFAR) and 3e-7 (FFHQ) with StyleGAN2's loss and logit scale, so they do not
    carry over. decay 0.99 with zero-debiasing is the StyleGAN2 code's
    (assign_moving_average(decay=0.99, zero_debias=True)); the BigGAN code instead uses decay
    0.9 and, for its first 1000 iterations, anchors equal to the current batch means with the
    term switched off.

    Build it inside `strategy.scope()`. The anchors are non-trainable float32 variables; under
    `strategy.run` the batch means are averaged over the replicas before the update, so every
    replica holds the same anchors (StyleGAN2's code kept one per GPU).

    Args:
      weight: lambda.
      decay: EMA decay of the anchors.
      one_sided: relu inside the squares, as in the code; False for the paper's two-sided R_LC.
      zero_debias: divide the EMA by 1 - decay^t (t = number of updates), so the anchors are
        unbiased from the first update; False starts them at 0 instead.
      name: module name.
    """

    def __init__(self, weight=0.3, decay=0.99, one_sided=True, zero_debias=True, name="lecam"):
        super().__init__(name=name)
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be in [0, 1); got {decay}.")
        self.weight = float(weight)
        self.decay = float(decay)
        self.one_sided = bool(one_sided)
        self.zero_debias = bool(zero_debias)
        # MEAN aggregation lets each replica assign; every replica assigns the same value.
        variable = dict(trainable=False, dtype=tf.float32, aggregation=tf.VariableAggregation.MEAN)
        self.real_anchor = tf.Variable(0.0, name="real_anchor", **variable)
        self.fake_anchor = tf.Variable(0.0, name="fake_anchor", **variable)
        self.updates = tf.Variable(0.0, name="updates", **variable)

    def _moved(self, anchor, batch_mean, updates):
        """The anchor after one EMA step on `batch_mean` (debiased if zero_debias)."""
        decay = self.decay
        if not self.zero_debias:
            # Tseng et al. 2021, anchors: alpha <- decay alpha + (1 - decay) mean(D).
            return decay * anchor + (1.0 - decay) * batch_mean
        # The biased EMA m_t = decay m_{t-1} + (1 - decay) x_t, m_0 = 0, equals
        # (1 - decay^t) alpha_t; alpha_t = m_t / (1 - decay^t) is the debiased anchor.
        biased = decay * (1.0 - decay ** (updates - 1.0)) * anchor + (1.0 - decay) * batch_mean
        return biased / (1.0 - decay**updates)

    def update(self, real_logits, fake_logits):
        """Folds this batch's mean D(x) and mean D(G(z)) into alpha_R and alpha_F.

        Args:
          real_logits: float [B, 1], D's logits on the real batch.
          fake_logits: float [B', 1], D's logits on the generated batch.
        """
        real_mean = _replica_mean(
            tf.reduce_mean(tf.cast(tf.stop_gradient(real_logits), tf.float32))
        )
        fake_mean = _replica_mean(
            tf.reduce_mean(tf.cast(tf.stop_gradient(fake_logits), tf.float32))
        )
        updates = tf.convert_to_tensor(self.updates) + 1.0
        real_anchor = self._moved(tf.convert_to_tensor(self.real_anchor), real_mean, updates)
        fake_anchor = self._moved(tf.convert_to_tensor(self.fake_anchor), fake_mean, updates)
        self.real_anchor.assign(real_anchor)
        self.fake_anchor.assign(fake_anchor)
        self.updates.assign(updates)

    def penalty(self, real_logits, fake_logits):
        """lambda R_LC with the current anchors, a float32 scalar (differentiable in the logits).

        Args:
          real_logits: float [B, 1], D's logits on the real batch.
          fake_logits: float [B', 1], D's logits on the generated batch.
        """
        real_gap = tf.cast(real_logits, tf.float32) - tf.convert_to_tensor(self.fake_anchor)
        fake_gap = tf.convert_to_tensor(self.real_anchor) - tf.cast(fake_logits, tf.float32)
        if self.one_sided:
            real_gap, fake_gap = tf.nn.relu(real_gap), tf.nn.relu(fake_gap)
        # Tseng et al. 2021, R_LC = E[||D(x) - alpha_F||^2] + E[||D(G(z)) - alpha_R||^2].
        regularizer = tf.reduce_mean(tf.square(real_gap)) + tf.reduce_mean(tf.square(fake_gap))
        return self.weight * regularizer

    def __call__(self, real_logits, fake_logits):
        """`update`, then `penalty` with the updated anchors, as in the reference code."""
        self.update(real_logits, fake_logits)
        return self.penalty(real_logits, fake_logits)
