"""TensorFlow, Keras and QKeras, imported once with the package's environment settings.

The tested combination (tensorflow-cpu 2.14.1, numpy 1.26, QKeras 0.9.0, hls4ml 1.3.0) needs no
workaround; the settings here only keep TensorFlow's start-up chatter out of the user's terminal
and its thread pools within the machine, and live in the package so no user shell needs them.
"""

from __future__ import annotations

import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no oneDNN / CPU-feature banners

import tensorflow as tf

keras = tf.keras

import qkeras  # noqa: E402

# Keras warns whenever it serialises a layer whose constraint is a QKeras quantizer (QKeras passes
# its quantizers as constraints); the weights are unaffected. Same filter as pytest's (pyproject).
warnings.filterwarnings("ignore", message=r"The `keras.constraints.serialize\(\)` API", category=UserWarning)

__all__ = ["keras", "qkeras", "tf"]
