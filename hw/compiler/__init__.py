"""hw/compiler"""
