"""The core's register map: hw/regs/bg_core.rdl and what hw/regs/generate.py makes from it."""
