"""Research studies: what the data allows, what the labels allow, coarse-stage comparisons (not part of the
product).
"""
