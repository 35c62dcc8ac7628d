# ZCU104 (xczu7ev-ffvc1156-2-e): the Zynq UltraScale+ MPSoC processing system of a blurgauge overlay.
#
# The ZCU104 board file ships with Vivado (xilinx.com:zcu104); the PS takes its preset, and only the
# overlay's ports are changed below. Without the board file the build stops: the MPSoC's DDR4 and MIO
# settings are too many to restate here, and a PS that does not describe the board yields a wrong .hwh.

proc bg_create_ps {clock_mhz board_preset read_ports} {
    if {!$board_preset} {
        error "blurgauge: the ZCU104 build needs Vivado's xilinx.com:zcu104 board file (it ships with\
               Vivado; select the ZCU104 under Devices > Boards when installing)"
    }
    set ps [create_bd_cell -type ip -vlnv [bg_latest_ipdef zynq_ultra_ps_e] zynq_ultra_ps_e_0]
    apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {apply_board_preset "1"} $ps
    # The overlay's ports: M_AXI_HPM0_FPD (32-bit) for the registers, HPM1_FPD and HPM0_LPD off (an
    # enabled master needs its clock connected), S_AXI_HP0_FPD at 128 bits (the core's width: no width
    # conversion; S_AXI_HP1_FPD too when the core reads through two ports), PL clock 0 at the target
    # clock, and the PL-to-PS interrupt group 0.
    set hp1 [expr {$read_ports == 2 ? 1 : 0}]
    set_property -dict [list \
        CONFIG.PSU__USE__M_AXI_GP0 {1} \
        CONFIG.PSU__MAXIGP0__DATA_WIDTH {32} \
        CONFIG.PSU__USE__M_AXI_GP1 {0} \
        CONFIG.PSU__USE__M_AXI_GP2 {0} \
        CONFIG.PSU__USE__S_AXI_GP2 {1} \
        CONFIG.PSU__SAXIGP2__DATA_WIDTH {128} \
        CONFIG.PSU__USE__S_AXI_GP3 $hp1 \
        CONFIG.PSU__SAXIGP3__DATA_WIDTH {128} \
        CONFIG.PSU__FPGA_PL0_ENABLE {1} \
        CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ $clock_mhz \
        CONFIG.PSU__USE__IRQ0 {1} \
    ] $ps
    return [dict create \
        cell zynq_ultra_ps_e_0 \
        pl_clk pl_clk0 pl_resetn pl_resetn0 \
        gp_master M_AXI_HPM0_FPD gp_aclk maxihpm0_fpd_aclk \
        hp_slave S_AXI_HP0_FPD hp_aclk saxihp0_fpd_aclk \
        hp1_slave S_AXI_HP1_FPD hp1_aclk saxihp1_fpd_aclk \
        irq pl_ps_irq0 \
        reg_offset 0xA0000000 \
        ddr_segment SAXIGP2/HP0_DDR_LOW ddr1_segment SAXIGP3/HP1_DDR_LOW \
        actual_mhz_property CONFIG.PSU__CRL_APB__PL0_REF_CTRL__ACT_FREQMHZ]
}
