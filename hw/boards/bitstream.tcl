# Vivado batch build of a blurgauge overlay: project, block design, bitstream, hardware handoff, reports.
#
#   vivado -mode batch -nojournal -source hw/boards/bitstream.tcl -tclargs <build>/config.tcl
#
# `make bitstream BOARD=pynq-z2|zcu104` (hw/bitstream.py) writes config.tcl and runs this. config.tcl sets
# the array `bg` from hw/targets.py and hw/rtl_files.py: board, part, board-file pattern, PL clock, the
# core's parameters, the source files, the build folder and the output folder, so nothing here repeats a
# fact that has its own source. The board's processing system comes from hw/boards/<board>/ps.tcl; the
# rest of the design (SmartConnects, reset, core, interrupt, address map) from lib.tcl, shared.
#
# Output, in bg(out): blurgauge.bit and blurgauge.hwh (one base name, as a PYNQ overlay needs),
# utilization.rpt, timing_summary.rpt, and blurgauge.tcl (the block design, re-creatable).

if {[llength $argv] != 1} {
    error "usage: vivado -mode batch -source hw/boards/bitstream.tcl -tclargs <config.tcl>"
}
source [lindex $argv 0]
set here [file dirname [file normalize [info script]]]
source [file join $here lib.tcl]
source [file join $here $bg(board) ps.tcl]

bg_create_project
set ps [bg_create_ps $bg(clock_mhz) $bg(board_preset) [bg_read_ports]]
bg_create_system $ps
bg_build_and_export
