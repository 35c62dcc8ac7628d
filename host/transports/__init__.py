"""host/transports"""
