"""blurgauge.hw: hls4ml conversion, the core program format, the golden reference, RTL, synthesis."""
