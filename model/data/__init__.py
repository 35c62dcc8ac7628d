"""blurgauge.model.data: training data synthesis (blur kernels, dead-leaves and photo scenes, blur and noise,
sharded datasets) and the reference data's layout.
"""
