"""blurgauge.hw.compiler: from weight files to core programs (hls4ml conversion, export, the program format), the
golden integer reference that runs them, and the cost model.
"""
