"""MINE (Belghazi et al. 2018): a mutual-information term for G against mode collapse.

The project's choices, since the paper's GAN settings are unverified (methods.md section 12):
- The code c is G's whole latent z, so the estimate is I(G(z); z); labels are not used.
- T(x, z) is an MLP on [flatten(x), z]: `hidden_layers` ReLU Dense layers of `hidden_units` each,
  then Dense(1). Its first layer has (pixels + z_dim) * hidden_units weights, so it suits small
  images; it is trained by its own optimizer to maximize the estimate.
- The estimate is the Donsker-Varadhan bound with marginal pairs (x_i, z_pi(i)) from a shuffle of
  z within the (replica's) batch, and the paper's bias-corrected gradient: the moving average of
  E[exp T] over batches, rate 0.01 as in common re-implementations, starting from 1.
"""

import gin
import keras
import tensorflow as tf

from compare_gan_tf.objectives.seeds import Draws


def donsker_varadhan(joint_scores, marginal_scores, marginal_average):
    """DV estimate mean(T_joint) - log mean exp(T_marginal), with the bias-corrected gradient.

    The value is the DV bound itself; the gradient is mean(grad T_joint) - mean(exp(T_marginal)
    grad T_marginal) / marginal_average, with `marginal_average` treated as a constant.
    """
    joint_scores = tf.cast(joint_scores, tf.float32)
    marginal_scores = tf.reshape(tf.cast(marginal_scores, tf.float32), [-1])
    count = tf.cast(tf.size(marginal_scores), tf.float32)
    log_mean_exp = tf.reduce_logsumexp(marginal_scores) - tf.math.log(count)
    joint_mean = tf.reduce_mean(joint_scores)
    # Belghazi et al. 2018, section 3.1 (DV bound): I_hat = E_joint[T] - log E_marginal[exp T].
    estimate = joint_mean - log_mean_exp
    average = tf.stop_gradient(tf.cast(marginal_average, tf.float32))
    # Belghazi et al. 2018, section 3.2: the gradient of log E[exp T] uses a moving average of
    # E[exp T] as its denominator; exp(log_mean_exp) / average has exactly that gradient.
    surrogate = joint_mean - tf.exp(log_mean_exp) / average
    return surrogate + tf.stop_gradient(estimate - surrogate)


class MutualInformationEstimator(keras.Model):
    """Statistics network T(x, z) with the moving average of the DV bias correction.

    Build it (call it once, e.g. on zeros, or `build`) inside `strategy.scope()`. Gin configures it
    through `mine_estimator`, since gin's wrapper hides the constructor's arguments from Keras.
    """

    def __init__(self, hidden_units=256, hidden_layers=2, moving_average_rate=0.01, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.moving_average_rate = moving_average_rate
        self.hidden = [
            keras.layers.Dense(hidden_units, activation="relu") for _ in range(hidden_layers)
        ]
        self.score = keras.layers.Dense(1)
        # MEAN aggregation lets each replica assign its update; the replicas' values are averaged.
        self.marginal_average = self.add_weight(
            shape=(),
            initializer="ones",
            trainable=False,
            aggregation="mean",
            name="marginal_average",
        )

    def build(self, input_shape):
        image_shape, z_shape = input_shape
        features = 1
        for size in image_shape[1:]:
            features *= size
        features += z_shape[-1]
        for layer in self.hidden:
            layer.build((None, features))
            features = layer.units
        self.score.build((None, features))
        self.built = True

    def call(self, inputs):
        """T(x, z) [B, 1] for inputs = (images, z)."""
        images, z = inputs
        images = tf.cast(images, tf.float32)
        features = tf.reshape(images, [tf.shape(images)[0], -1])
        features = tf.concat([features, tf.cast(z, tf.float32)], axis=1)
        for layer in self.hidden:
            features = layer(features)
        return self.score(features)

    def mutual_information(self, images, z, update_average=False, seed=None):
        """DV estimate of I(images; z) on a batch of pairs, with the bias-corrected gradient.

        With `update_average` (the step that trains T) the moving average is updated first and
        the new value is used, as in Belghazi et al.'s correction. `seed` keys the shuffle of
        the marginal pairs (None: the global generator).
        """
        joint = self((images, z))
        marginal = self((images, Draws(seed).shuffle(z)))
        average = self.marginal_average
        if update_average:
            batch_mean = tf.reduce_mean(tf.exp(tf.stop_gradient(marginal)))
            rate = self.moving_average_rate
            # Belghazi et al. 2018, section 3.2: exponential moving average of E_marginal[exp T].
            average = (1.0 - rate) * tf.convert_to_tensor(average) + rate * batch_mean
            self.marginal_average.assign(average)
        return donsker_varadhan(joint, marginal, average)

    def get_config(self):
        config = super().get_config()
        config.update(
            hidden_units=self.hidden_units,
            hidden_layers=len(self.hidden),
            moving_average_rate=self.moving_average_rate,
        )
        return config


@gin.configurable
def mine_estimator(hidden_units=256, hidden_layers=2, moving_average_rate=0.01):
    """The MutualInformationEstimator that GANObjective uses when mine_weight > 0."""
    return MutualInformationEstimator(hidden_units, hidden_layers, moving_average_rate)
