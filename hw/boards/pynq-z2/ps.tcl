# PYNQ-Z2 (xc7z020clg400-1): the Zynq-7000 processing system of a blurgauge overlay.
#
# With TUL's board file installed (tul.com.tw:pynq-z2) the PS takes the board preset (DDR, MIO, clocks)
# and only the overlay's ports are changed below. Without it, the part-only settings here stand in for
# the preset: the PS clock input and the DDR part that set the PL clock's and the HP port's behaviour.
# A PYNQ image's boot loader configures the PS itself before any overlay loads (PYNQ then sets only
# the PL clocks from the .hwh), so these only need to describe the board truthfully.

proc bg_create_ps {clock_mhz board_preset read_ports} {
    set ps [create_bd_cell -type ip -vlnv [bg_latest_ipdef processing_system7] ps7]
    if {$board_preset} {
        apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \
            -config {make_external "FIXED_IO, DDR" apply_board_preset "1" Master "Disable" Slave "Disable"} $ps
    } else {
        # PYNQ-Z2 (TUL PYNQ-Z2 reference manual): 50 MHz PS clock, one 16-bit MT41K256M16 RE-125 DDR3
        # (512 MB) at 525 MHz, UART0 on MIO 14..15, SD0 on MIO 40..45.
        set_property -dict [list \
            CONFIG.PCW_CRYSTAL_PERIPHERAL_FREQMHZ {50} \
            CONFIG.PCW_UIPARAM_DDR_MEMORY_TYPE {DDR 3} \
            CONFIG.PCW_UIPARAM_DDR_PARTNO {MT41K256M16 RE-125} \
            CONFIG.PCW_UIPARAM_DDR_BUS_WIDTH {16 Bit} \
            CONFIG.PCW_UIPARAM_DDR_FREQ_MHZ {525} \
            CONFIG.PCW_UART0_PERIPHERAL_ENABLE {1} \
            CONFIG.PCW_UART0_UART0_IO {MIO 14 .. 15} \
            CONFIG.PCW_SD0_PERIPHERAL_ENABLE {1} \
            CONFIG.PCW_SD0_SD0_IO {MIO 40 .. 45} \
        ] $ps
        apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \
            -config {make_external "FIXED_IO, DDR" apply_board_preset "0" Master "Disable" Slave "Disable"} $ps
    }
    # The overlay's ports: M_AXI_GP0 (32-bit) for the registers, S_AXI_HP0 at its widest (64 bits) for
    # the core's reads (and S_AXI_HP1 too when the core reads through two ports: 128 bits a cycle between
    # them), FCLK_CLK0 at the target clock with its reset, and the fabric interrupts.
    set hp1 [expr {$read_ports == 2 ? 1 : 0}]
    set_property -dict [list \
        CONFIG.PCW_USE_M_AXI_GP0 {1} \
        CONFIG.PCW_USE_S_AXI_HP0 {1} \
        CONFIG.PCW_S_AXI_HP0_DATA_WIDTH {64} \
        CONFIG.PCW_USE_S_AXI_HP1 $hp1 \
        CONFIG.PCW_S_AXI_HP1_DATA_WIDTH {64} \
        CONFIG.PCW_EN_CLK0_PORT {1} \
        CONFIG.PCW_EN_RST0_PORT {1} \
        CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ $clock_mhz \
        CONFIG.PCW_USE_FABRIC_INTERRUPT {1} \
        CONFIG.PCW_IRQ_F2P_INTR {1} \
    ] $ps
    return [dict create \
        cell ps7 \
        pl_clk FCLK_CLK0 pl_resetn FCLK_RESET0_N \
        gp_master M_AXI_GP0 gp_aclk M_AXI_GP0_ACLK \
        hp_slave S_AXI_HP0 hp_aclk S_AXI_HP0_ACLK \
        hp1_slave S_AXI_HP1 hp1_aclk S_AXI_HP1_ACLK \
        irq IRQ_F2P \
        reg_offset 0x43C00000 \
        ddr_segment S_AXI_HP0/HP0_DDR_LOWOCM ddr1_segment S_AXI_HP1/HP1_DDR_LOWOCM \
        actual_mhz_property CONFIG.PCW_ACT_FPGA0_PERIPHERAL_FREQMHZ]
}
