"""blurgauge.model.evaluation: the shipped estimator scored on the paper's protocol, a control and a synthetic
sweep.
"""
