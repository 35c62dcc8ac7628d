"""blurgauge.model.training: one network's training run and the recipe that trains the shipped set."""
