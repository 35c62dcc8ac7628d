"""blurgauge.model.nets: the quantized ResNet18s, their roles in the cascade, their weight files and Keras
inference.
"""
