"""model/evaluation"""
