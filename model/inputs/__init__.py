"""blurgauge.model.inputs: from a user image to the networks' int8 input map, the host's first stage (image
loading, noise top-up, distinct patches, the input transform). Shared by training and inference.
"""
