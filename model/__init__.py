"""blurgauge.model: data synthesis, patch selection, the quantized networks, training, evaluation."""
