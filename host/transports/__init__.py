"""blurgauge.host.transports: how the driver reaches a core: the simulated RTL (a Verilator server process) or a
PYNQ board.
"""
