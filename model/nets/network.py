"""The quantized ResNet18 shared by all six networks of the cascade (and the native baseline).

ResNet18 as in He et al. (2016): a 7x7 stride-2 stem, a 3x3 stride-2 max-pool, four stages of two
basic blocks (widths w, 2w, 4w, 8w; stride 2 and a 1x1 projection shortcut at the start of stages
2-4), global average pooling and a dense head with 8 outputs. Layer names follow Keras's own
applications (``conv3_block1_1_conv``): hls4ml configures layers by name, and the names appear in
the core program and in the performance tables.

Quantizers (see ``quantizers.py`` for the formats and why each was chosen) are placed so that the
hardware computes only int8 x int8 products, integer accumulators, bias, ReLU, residual add and a
requantization back to 8 bits after every layer:

* the input patch is quantized to 8 bits (``input_quant``);
* every convolution is a ``QConv2DBatchnorm`` (batch normalization folded into the 8-bit kernel and
  the bias during training), followed by an 8-bit quantized activation: unsigned ReLU where a ReLU
  follows, signed where the result enters a residual add;
* the residual sum goes through an 8-bit quantized ReLU;
* the global average (a sum shifted right by 4 bits on the 4x4 map) is requantized to 8 bits;
* the dense head has 8-bit weights; its outputs (the logits) stay at accumulator precision.

Explicit ``ZeroPadding2D`` layers precede every strided layer, so each layer of the core program
has a plain 'valid' geometry and the padding is visible (hls4ml's io_stream max-pool accepts only
unpadded pooling).
"""

from __future__ import annotations

from dataclasses import dataclass

from blurgauge.model import classes
from blurgauge.model.nets.quantizers import quantizer
from blurgauge.model.nets.tf_env import keras, qkeras

INPUT_SHAPE = (128, 128, 1)
#: ``bn_freeze`` value that builds the inference form: plain QConv2D layers that take the folded,
#: quantized kernels and biases of a trained network (what hls4ml converts and the core runs).
FOLDED = "folded"
DEFAULT_WIDTH = 16


@dataclass(frozen=True)
class NetworkSpec:
    """What distinguishes networks of the family: only the width, and the role for naming."""

    width: int = DEFAULT_WIDTH
    outputs: int = classes.HEAD_OUTPUTS
    #: False builds the float twin: the same layers with plain Conv2D + BatchNormalization and
    #: unquantized activations, to measure what the 8-bit formats cost (never shipped or converted).
    quantized: bool = True

    def __post_init__(self) -> None:
        if self.width < 1:
            raise ValueError(f"width must be >= 1, got {self.width}")


def _conv(x, filters: int, kernel: int, stride: int, name: str, bn_freeze: int | str | None,
          quantized: bool = True):
    if stride > 1:
        # Pad (k-1)/2 on each side as in the original ResNet: n/2 windows for an even input n.
        lead = (kernel - 1) // 2
        trail = kernel - 1 - lead
        if kernel > 1:
            x = keras.layers.ZeroPadding2D(((lead, trail), (lead, trail)), name=f"{name}_pad")(x)
        padding = "valid"
    else:
        padding = "same"
    if not quantized:
        y = keras.layers.Conv2D(filters, kernel, strides=stride, padding=padding, use_bias=False,
                                kernel_initializer="he_normal", name=name)(x)
        return keras.layers.BatchNormalization(name=f"{name}_bn")(y)
    common = dict(strides=stride, padding=padding, kernel_quantizer=quantizer("weight"),
                  bias_quantizer=quantizer("bias"), name=name)
    if bn_freeze == FOLDED:
        return qkeras.QConv2D(filters, kernel, **common)(x)
    return qkeras.QConv2DBatchnorm(
        filters, kernel, kernel_initializer="he_normal", ema_freeze_delay=bn_freeze, **common
    )(x)


def _act(x, kind: str, name: str, quantized: bool):
    """The 8-bit activation in format ``kind`` (relu, signed, input); in the float twin a ReLU or nothing."""
    if quantized:
        return qkeras.QActivation(quantizer(kind), name=name)(x)
    return keras.layers.ReLU(name=name)(x) if kind == "relu" else x


def _basic_block(x, filters: int, stride: int, name: str, bn_freeze: int | str | None, quantized: bool = True):
    if stride != 1 or x.shape[-1] != filters:
        shortcut = _conv(x, filters, 1, stride, f"{name}_0_conv", bn_freeze, quantized)
        shortcut = _act(shortcut, "signed", f"{name}_0_quant", quantized)
    else:
        shortcut = x
    y = _conv(x, filters, 3, stride, f"{name}_1_conv", bn_freeze, quantized)
    y = _act(y, "relu", f"{name}_1_relu", quantized)
    y = _conv(y, filters, 3, 1, f"{name}_2_conv", bn_freeze, quantized)
    y = _act(y, "signed", f"{name}_2_quant", quantized)
    y = keras.layers.Add(name=f"{name}_add")([shortcut, y])
    return _act(y, "relu", f"{name}_out", quantized)


def build_resnet18(
    spec: NetworkSpec | None = None, name: str = "resnet18", bn_freeze: int | str | None = None
) -> keras.Model:
    """The quantized ResNet18; returns logits (no softmax: the host computes it).

    ``bn_freeze``: training step after which batch-norm statistics stop updating and the folded
    kernels are final (None: never; inference always uses the moving statistics); ``FOLDED``
    builds the inference form with batch normalization already folded into the convolutions.
    """
    spec = spec or NetworkSpec()
    w, q = spec.width, spec.quantized
    inputs = keras.Input(INPUT_SHAPE, name="patch")
    x = _act(inputs, "input", "input_quant", q)
    x = _conv(x, w, 7, 2, "conv1_conv", bn_freeze, q)
    x = _act(x, "relu", "conv1_relu", q)
    # After a ReLU, zero padding is exactly the -inf padding of a 'same' max-pool.
    x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name="pool1_pad")(x)
    x = keras.layers.MaxPooling2D(3, strides=2, padding="valid", name="pool1_pool")(x)
    for stage, filters in enumerate((w, 2 * w, 4 * w, 8 * w), start=2):
        for block in (1, 2):
            stride = 2 if (stage > 2 and block == 1) else 1
            x = _basic_block(x, filters, stride, f"conv{stage}_block{block}", bn_freeze, q)
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if not q:
        return keras.Model(inputs, keras.layers.Dense(spec.outputs, name="logits")(x), name=name)
    x = _act(x, "relu", "avg_pool_quant", q)
    logits = qkeras.QDense(
        spec.outputs, kernel_quantizer=quantizer("weight"), bias_quantizer=quantizer("bias"), name="logits"
    )(x)
    return keras.Model(inputs, logits, name=name)


def float_copy(quantized: keras.Model) -> keras.Model:
    """The float twin carrying the weights of a training-form quantized network.

    The result computes the same function with every quantizer removed: float kernels, biases and
    activations, no saturation. Comparing the two on one set of weights isolates what the 8-bit
    formats cost at inference, which a separately trained float twin cannot (its weights differ).

    A ``QConv2DBatchnorm`` in inference computes ``BN(conv(x, kernel) + bias)`` with the moving
    statistics; the float twin has no convolution bias, so the bias moves into the moving mean.
    """
    spec = NetworkSpec(quantized.get_layer("conv1_conv").filters, quantized.get_layer("logits").units, quantized=False)
    twin = build_resnet18(spec, name=f"{quantized.name}_float")
    for layer in quantized.layers:
        if isinstance(layer, qkeras.QConv2DBatchnorm):
            bn = layer.batchnorm
            twin.get_layer(layer.name).set_weights([layer.kernel.numpy()])
            twin.get_layer(f"{layer.name}_bn").set_weights([
                bn.gamma.numpy(), bn.beta.numpy(), bn.moving_mean.numpy() - layer.bias.numpy(),
                bn.moving_variance.numpy(),
            ])
            if twin.get_layer(f"{layer.name}_bn").epsilon != bn.epsilon:
                raise ValueError(f"{layer.name}: batch-norm epsilon {bn.epsilon} differs from the twin's")
        elif isinstance(layer, qkeras.QDense):
            twin.get_layer(layer.name).set_weights([layer.kernel.numpy(), layer.bias.numpy()])
        elif isinstance(layer, qkeras.QConv2D):
            raise ValueError(f"{layer.name}: a folded network has lost its float weights; use the training form")
    return twin
