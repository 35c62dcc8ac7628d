"""The named core configurations: which bg_core parameters go with which board, part and network width.

One table for everything that names a configuration: ``make synth TARGET=...`` (hw/synth.py) takes the
parameters, the Yosys family and the part's totals from here; the RTL tests and benches that simulate a
target take its parameters and network width; the host's rtl backend starts the simulated core with the
``pynq-z2`` parameters, which are also bg_core.sv's defaults (a test keeps the two equal).

Pure data: importable on a board without TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Target:
    name: str
    board: str
    part: str
    #: ``synth_xilinx -family``: xc7 (7-series, Zynq-7000) or xcup (UltraScale+, Zynq UltraScale+ MPSoC).
    family: str
    #: Programmable-logic totals of the part, by the resource names hw/synth.py reports.
    totals: dict[str, int]
    #: bg_core parameters (names as in hw/rtl/bg_core.sv); the rest keep the RTL's defaults.
    core: dict[str, int]
    #: The network width the configuration is sized for: its slots hold that width's largest activation
    #: and its weight buffer one output block of that width's widest layer.
    width: int
    #: Extra ``synth_xilinx`` options.
    synth_options: tuple[str, ...] = field(default=())
    #: The PL clock a board build runs the core at, in MHz (``make bitstream``: hw/bitstream.py).
    clock_mhz: int = 100
    #: The data width of each PS port through which the board design's core reads DDR (hw/boards/<board>/
    #: ps.tcl, tested equal; core["READ_PORTS"] of them), clocked like the core: below the core's 128 bits,
    #: a 128-bit beat arrives on a port at most every 128 / read_port_bits cycles (``make bench-rtl`` and the
    #: RTL tests model it).
    read_port_bits: int = 128

    @property
    def lanes(self) -> int:
        return self.core["LANES"]


TARGETS: dict[str, Target] = {
    # The default: a 16 x 16 array for the width-16 networks on the Zynq-7020 of a PYNQ-Z2 (AMD DS190). 168 of
    # the 256 products in DSP48E1 (the rest in LUTs) and 4 slots of 64 KiB keep 10 % of every resource free.
    "pynq-z2": Target(
        name="pynq-z2",
        board="TUL PYNQ-Z2",
        part="XC7Z020 (Zynq-7020)",
        family="xc7",
        totals={"LUT": 53_200, "FF": 106_400, "DSP48E1": 220, "BRAM36": 140, "CARRY4": 13_300},
        core={"LANES": 16, "SLOTS": 4, "SLOT_BYTES": 65536, "WBUF_TILES": 128, "DSP_PRODUCTS": 168, "READ_PORTS": 2},
        width=16,
        clock_mhz=100,  # host/accelerator.py TARGET_CLOCK_MHZ: the board times the docs project
        read_port_bits=64,  # S_AXI_HP0 and HP1, the Zynq-7000's widest HP ports, each behind a SmartConnect
    ),
    # The paper's width 64 on a 32 x 32 array for a ZCU104 (XCZU7EV, AMD DS891): every product in a DSP48E2,
    # 256 KiB slots (the stem's 64 x 64 x 64 output) and a weight buffer of two 256-tile blocks (conv5: 512
    # input channels = 16 lane groups x 9 taps = 144 tiles per block of 32 output channels). The slots are
    # large enough for UltraRAM, which -uram lets Yosys use. Two read ports and the weights two beats a cycle
    # through them: at width 64 conv4 and conv5 wait on weights even at a beat a cycle (docs/core-rtl.md; an
    # image in two ranges: 58 % through one port, 66 % through two, 79 % with the weight pairs).
    "zcu104": Target(
        name="zcu104",
        board="AMD Zynq UltraScale+ MPSoC ZCU104",
        part="XCZU7EV (Zynq UltraScale+ EV)",
        family="xcup",
        totals={"LUT": 230_400, "FF": 460_800, "DSP48E2": 1_728, "BRAM36": 312, "URAM288": 96, "CARRY8": 28_800},
        core={"LANES": 32, "SLOTS": 4, "SLOT_BYTES": 262144, "WBUF_TILES": 256, "DSP_PRODUCTS": 1024, "READ_PORTS": 2,
              "WEIGHT_PAIRS": 1},
        width=64,
        synth_options=("-uram",),
        clock_mhz=200,  # the figure docs/core-rtl.md quotes; met timing only a Vivado run can show
        read_port_bits=128,  # S_AXI_HP0_FPD and S_AXI_HP1_FPD at 128 bits: no width conversion
    ),
}

DEFAULT_TARGET = "pynq-z2"


def get(name: str) -> Target:
    try:
        return TARGETS[name]
    except KeyError:
        raise ValueError(f"unknown target {name!r}; one of {', '.join(TARGETS)}") from None
