# The board-independent part of a blurgauge overlay (sourced by hw/boards/bitstream.tcl):
#
#   PS master (registers) -> smartconnect_ctrl -> bg_core_0/S_AXIL
#   bg_core_0/M_AXI (128-bit AXI4, read only) -> smartconnect_mem -> PS high-performance slave (DDR)
#   bg_core_0/M1_AXI (READ_PORTS = 2: every other burst) -> smartconnect_mem1 -> a second PS HP slave
#   PS PL clock -> every aclk; PS PL reset -> proc_sys_reset -> the SmartConnects and bg_core_0
#   bg_core_0/irq -> the PS's first fabric interrupt line
#
# No DMA: the core reads its programs, weights and input patch from DDR through its own master. The
# S_AXIS input stays unconnected (IP Integrator ties an unconnected input to 0: no stream beats).
# Each board's ps.tcl provides `bg_create_ps`, which returns a dict naming its PS pins (see there) and
# enables a second HP port when the core reads through two (READ_PORTS, from hw/targets.py).
# Every command used here is documented in UG835 (Tcl commands) and UG994 (IP Integrator); docs/board.md
# lists them.

# The name the driver looks the core up by (host/transports/pynq.py: Overlay ip_dict key).
set bg_core_name bg_core_0
set bg_bd_name blurgauge
set bg_overlay_name blurgauge

proc bg_latest_ipdef {name} {
    # The catalog's newest version of an AMD IP (xilinx.com:ip:<name>:<version>), so the script does not
    # pin a version that a later Vivado replaces.
    set defs [lsort -dictionary [get_ipdefs -quiet "xilinx.com:ip:${name}:*"]]
    if {[llength $defs] == 0} {
        error "blurgauge: the IP catalog has no xilinx.com:ip:${name}; is this a complete Vivado install?"
    }
    return [lindex $defs end]
}

proc bg_read_ports {} {
    # The core's read masters: 1 or 2 (bg_core's READ_PORTS; hw/targets.py sets it in bg(params)).
    global bg
    set ports [expr {[dict exists $bg(params) READ_PORTS] ? [dict get $bg(params) READ_PORTS] : 1}]
    if {$ports != 1 && $ports != 2} { error "blurgauge: READ_PORTS must be 1 or 2, not $ports" }
    return $ports
}

proc bg_create_project {} {
    global bg bg_bd_name bg_core_name
    file mkdir $bg(build)
    create_project -force -part $bg(part) blurgauge [file join $bg(build) project]
    set bg(board_preset) 0
    if {$bg(board_part) ne ""} {
        set parts [lsort -dictionary [get_board_parts -quiet -latest_file_version $bg(board_part)]]
        if {[llength $parts] > 0} {
            set_property board_part [lindex $parts end] [current_project]
            set bg(board_preset) 1
            puts "blurgauge: board file [lindex $parts end]: the PS takes the board preset"
        } else {
            puts "blurgauge: WARNING: no board file matches $bg(board_part): $bg(board_files_hint)"
        }
    }
    # The core's files in hw/rtl_files.py's order (packages first), then the Verilog-2001 wrapper.
    add_files -norecurse $bg(sources)
    update_compile_order -fileset sources_1
    create_bd_design $bg_bd_name
}

proc bg_pin {ps key} {
    # A PS pin named by the board's dict, checked: a wrong name fails here, not as a dangling net.
    set pin [get_bd_pins -quiet [dict get $ps cell]/[dict get $ps $key]]
    if {$pin eq ""} { error "blurgauge: the PS has no pin [dict get $ps $key] ($key)" }
    return $pin
}

proc bg_intf_pin {ps key} {
    set pin [get_bd_intf_pins -quiet [dict get $ps cell]/[dict get $ps $key]]
    if {$pin eq ""} { error "blurgauge: the PS has no interface [dict get $ps $key] ($key)" }
    return $pin
}

proc bg_create_system {ps} {
    global bg bg_core_name bg_overlay_name
    # The core: module reference of the wrapper, parameters from hw/targets.py.
    create_bd_cell -type module -reference blurgauge_core $bg_core_name
    set core [get_bd_cells $bg_core_name]
    set config {}
    foreach {name value} $bg(params) { lappend config CONFIG.$name $value }
    set_property -dict $config $core

    set sc_ctrl [create_bd_cell -type ip -vlnv [bg_latest_ipdef smartconnect] smartconnect_ctrl]
    set_property -dict [list CONFIG.NUM_SI 1 CONFIG.NUM_MI 1] $sc_ctrl
    set sc_mem [create_bd_cell -type ip -vlnv [bg_latest_ipdef smartconnect] smartconnect_mem]
    set_property -dict [list CONFIG.NUM_SI 1 CONFIG.NUM_MI 1] $sc_mem
    set rst [create_bd_cell -type ip -vlnv [bg_latest_ipdef proc_sys_reset] proc_sys_reset_0]

    # Buses. SmartConnect converts width and protocol where the two sides differ (UG994; PG247): on the
    # Zynq-7000 the 128-bit AXI4 master meets the 64-bit AXI3 HP port.
    connect_bd_intf_net [bg_intf_pin $ps gp_master] [get_bd_intf_pins smartconnect_ctrl/S00_AXI]
    connect_bd_intf_net [get_bd_intf_pins smartconnect_ctrl/M00_AXI] [get_bd_intf_pins $bg_core_name/S_AXIL]
    connect_bd_intf_net [get_bd_intf_pins $bg_core_name/M_AXI] [get_bd_intf_pins smartconnect_mem/S00_AXI]
    connect_bd_intf_net [get_bd_intf_pins smartconnect_mem/M00_AXI] [bg_intf_pin $ps hp_slave]
    set mem_interconnects [list smartconnect_mem]
    set hp_clocks [list [bg_pin $ps hp_aclk]]
    if {[bg_read_ports] == 2} {
        # The second read master on a second HP port through its own SmartConnect: both ports map all
        # of DDR, so one SmartConnect with two masters would see the same addresses twice.
        set sc_mem1 [create_bd_cell -type ip -vlnv [bg_latest_ipdef smartconnect] smartconnect_mem1]
        set_property -dict [list CONFIG.NUM_SI 1 CONFIG.NUM_MI 1] $sc_mem1
        connect_bd_intf_net [get_bd_intf_pins $bg_core_name/M1_AXI] [get_bd_intf_pins smartconnect_mem1/S00_AXI]
        connect_bd_intf_net [get_bd_intf_pins smartconnect_mem1/M00_AXI] [bg_intf_pin $ps hp1_slave]
        lappend mem_interconnects smartconnect_mem1
        lappend hp_clocks [bg_pin $ps hp1_aclk]
    }
    set sc_clocks [list [get_bd_pins smartconnect_ctrl/aclk]]
    set sc_resets [list [get_bd_pins smartconnect_ctrl/aresetn]]
    foreach sc $mem_interconnects {
        lappend sc_clocks [get_bd_pins $sc/aclk]
        lappend sc_resets [get_bd_pins $sc/aresetn]
    }

    # One clock for everything: the PS's PL clock at hw/targets.py's frequency.
    connect_bd_net [bg_pin $ps pl_clk] \
        [bg_pin $ps gp_aclk] {*}$hp_clocks {*}$sc_clocks \
        [get_bd_pins proc_sys_reset_0/slowest_sync_clk] [get_bd_pins $bg_core_name/aclk]

    # Reset: the PS's PL reset through proc_sys_reset, which synchronises it to the clock; the
    # interconnect reset for the SmartConnects, the peripheral reset for the core (PG164).
    connect_bd_net [bg_pin $ps pl_resetn] [get_bd_pins proc_sys_reset_0/ext_reset_in]
    connect_bd_net [get_bd_pins proc_sys_reset_0/interconnect_aresetn] {*}$sc_resets
    connect_bd_net [get_bd_pins proc_sys_reset_0/peripheral_aresetn] [get_bd_pins $bg_core_name/aresetn]

    # Interrupt straight to the PS's first fabric interrupt line, no AXI interrupt controller: PYNQ
    # (the 2.7 and 3.x images) handles one interrupt wired to IRQ_F2P[0] / pl_ps_irq0[0] directly
    # (PYNQ's "Interrupt" documentation; docs/board.md).
    connect_bd_net [get_bd_pins $bg_core_name/irq] [bg_pin $ps irq]

    # Address map: the registers at the PS master's usual PL base, the core's master onto DDR only.
    set reg_seg [get_bd_addr_segs $bg_core_name/S_AXIL/*]
    if {[llength $reg_seg] != 1} { error "blurgauge: expected one register segment on $bg_core_name/S_AXIL, found '$reg_seg'" }
    assign_bd_address -target_address_space [get_bd_addr_spaces [dict get $ps cell]/Data] \
        -offset [dict get $ps reg_offset] -range 64K $reg_seg
    set ddr_seg [get_bd_addr_segs [dict get $ps cell]/[dict get $ps ddr_segment]]
    if {[llength $ddr_seg] != 1} { error "blurgauge: expected one DDR segment [dict get $ps ddr_segment], found '$ddr_seg'" }
    assign_bd_address -target_address_space [get_bd_addr_spaces $bg_core_name/M_AXI] $ddr_seg
    if {[bg_read_ports] == 2} {
        set ddr1_seg [get_bd_addr_segs [dict get $ps cell]/[dict get $ps ddr1_segment]]
        if {[llength $ddr1_seg] != 1} { error "blurgauge: expected one DDR segment [dict get $ps ddr1_segment], found '$ddr1_seg'" }
        assign_bd_address -target_address_space [get_bd_addr_spaces $bg_core_name/M1_AXI] $ddr1_seg
    }

    validate_bd_design
    save_bd_design
    # The block design as Vivado holds it, re-creatable, written before the long runs so that it is
    # there to inspect even when implementation fails.
    file mkdir $bg(out)
    write_bd_tcl -force [file join $bg(out) $bg_overlay_name.tcl]
    puts "blurgauge: PL clock requested $bg(clock_mhz) MHz, the PS gives [bg_actual_mhz $ps] MHz"
}

proc bg_actual_mhz {ps} {
    return [get_property [dict get $ps actual_mhz_property] [get_bd_cells [dict get $ps cell]]]
}

proc bg_build_and_export {} {
    global bg bg_bd_name bg_overlay_name
    set bd_file [get_files $bg_bd_name.bd]
    make_wrapper -top -import $bd_file
    set_property top ${bg_bd_name}_wrapper [current_fileset]
    update_compile_order -fileset sources_1

    launch_runs impl_1 -to_step write_bitstream -jobs $bg(jobs)
    wait_on_runs impl_1
    # wait_on_runs returns however the run ended; PROGRESS says whether it got to the end (UG835).
    if {[get_property PROGRESS [get_runs impl_1]] ne "100%"} {
        error "blurgauge: implementation stopped at [get_property PROGRESS [get_runs impl_1]]\
               ([get_property STATUS [get_runs impl_1]]); see [get_property DIRECTORY [get_runs impl_1]]/runme.log"
    }

    file mkdir $bg(out)
    open_run impl_1
    report_utilization -file [file join $bg(out) utilization.rpt]
    report_timing_summary -file [file join $bg(out) timing_summary.rpt]

    # The overlay: the bitstream and the hardware handoff under one base name. Vivado writes the .hwh
    # with the block design's generated products: <project>.gen/sources_1/bd/<bd>/hw_handoff/<bd>.hwh
    # (2020.2 and later; .srcs/ before that).
    set bit [glob -nocomplain [file join [get_property DIRECTORY [get_runs impl_1]] ${bg_bd_name}_wrapper.bit]]
    set project_dir [get_property DIRECTORY [current_project]]
    set hwh [glob -nocomplain \
        [file join $project_dir blurgauge.gen sources_1 bd $bg_bd_name hw_handoff $bg_bd_name.hwh] \
        [file join $project_dir blurgauge.srcs sources_1 bd $bg_bd_name hw_handoff $bg_bd_name.hwh]]
    if {[llength $bit] != 1 || [llength $hwh] < 1} {
        error "blurgauge: bitstream ($bit) or hardware handoff ($hwh) not found under $project_dir"
    }
    file copy -force [lindex $bit 0] [file join $bg(out) $bg_overlay_name.bit]
    file copy -force [lindex $hwh 0] [file join $bg(out) $bg_overlay_name.hwh]

    # A bitstream that misses timing may compute wrong logits: refuse it loudly (the files stay, for
    # inspection, beside the report that says why).
    set setup [get_timing_paths -quiet -setup -max_paths 1]
    set hold [get_timing_paths -quiet -hold -max_paths 1]
    set wns [expr {$setup eq "" ? 0 : [get_property SLACK $setup]}]
    set whs [expr {$hold eq "" ? 0 : [get_property SLACK $hold]}]
    puts "blurgauge: worst setup slack $wns ns, worst hold slack $whs ns at $bg(clock_mhz) MHz"
    if {$wns < 0 || $whs < 0} {
        error "blurgauge: timing not met at $bg(clock_mhz) MHz (setup $wns ns, hold $whs ns; see\
               $bg(out)/timing_summary.rpt); build again with a lower CLOCK_MHZ"
    }
    puts "blurgauge: wrote $bg(out)/$bg_overlay_name.bit and $bg(out)/$bg_overlay_name.hwh"
}
