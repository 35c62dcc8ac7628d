"""model/training"""
