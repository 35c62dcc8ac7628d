"""model/inputs"""
