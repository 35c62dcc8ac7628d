"""blurgauge.sim: verification: the cocotb testbenches of the RTL, and the agreement checks between the
backends (hls4ml C simulation against golden; golden, keras, hls and rtl estimates end to end)."""
