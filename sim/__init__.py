"""blurgauge.sim: cocotb testbenches and simulation runners for the RTL core."""
