"""blurgauge.model: the estimator: input preprocessing, training data, the quantized networks, training,
evaluation, the class table (classes.py) and the cascade's decision rule (cascade.py)."""
