"""blurgauge.hw: the core: its compiler (hw/compiler), its circuit (hw/rtl, hw/regs), the named
configurations, the RTL file list, Verilator builds and Yosys synthesis."""
