// Test wrapper of the generated register block: the hwif structs as plain ports, so that cocotb
// (which cannot reach into unpacked struct ports through Verilator's VPI) can drive and watch them.
// Testbench only; the core's top level connects the structs directly.

`default_nettype none

module bg_core_regs_tb (
    input  wire         clk,
    input  wire         rst,

    output logic        s_axil_awready,
    input  wire         s_axil_awvalid,
    input  wire  [bg_core_regs_pkg::BG_CORE_REGS_MIN_ADDR_WIDTH-1:0] s_axil_awaddr,
    input  wire  [2:0]  s_axil_awprot,
    output logic        s_axil_wready,
    input  wire         s_axil_wvalid,
    input  wire  [31:0] s_axil_wdata,
    input  wire  [3:0]  s_axil_wstrb,
    input  wire         s_axil_bready,
    output logic        s_axil_bvalid,
    output logic [1:0]  s_axil_bresp,
    output logic        s_axil_arready,
    input  wire         s_axil_arvalid,
    input  wire  [bg_core_regs_pkg::BG_CORE_REGS_MIN_ADDR_WIDTH-1:0] s_axil_araddr,
    input  wire  [2:0]  s_axil_arprot,
    input  wire         s_axil_rready,
    output logic        s_axil_rvalid,
    output logic [31:0] s_axil_rdata,
    output logic [1:0]  s_axil_rresp,

    input  wire  [7:0]  cfg_lanes,
    input  wire  [7:0]  cfg_slots,
    input  wire  [7:0]  cfg_log2_slot_bytes,
    input  wire         st_busy,
    input  wire         st_done_set,
    input  wire         st_done_clr,
    input  wire         st_error,
    input  wire  [7:0]  st_error_code,
    input  wire  [15:0] st_layer,
    input  wire  [31:0] cycles,
    input  wire  [31:0] stall_cycles,
    input  wire  [7:0]  res_argmax,
    input  wire  [7:0]  res_logits_frac,
    input  wire  [255:0] logits,          // LOGIT[i] at [32*i +: 32]

    output logic        ctrl_start,
    output logic        ctrl_soft_reset,
    output logic        ctrl_reuse_input,
    output logic        ctrl_irq_enable,
    output logic        status_done,
    output logic [63:0] program_addr
);
    bg_core_regs_pkg::bg_core__in_t  hwif_in;
    bg_core_regs_pkg::bg_core__out_t hwif_out;

    bg_core_regs u_regs (.*);

    always_comb begin
        hwif_in.CONFIG.lanes.next = cfg_lanes;
        hwif_in.CONFIG.slots.next = cfg_slots;
        hwif_in.CONFIG.log2_slot_bytes.next = cfg_log2_slot_bytes;
        hwif_in.STATUS.busy.next = st_busy;
        hwif_in.STATUS.done.hwset = st_done_set;
        hwif_in.STATUS.done.hwclr = st_done_clr;
        hwif_in.STATUS.error.next = st_error;
        hwif_in.STATUS.error_code.next = st_error_code;
        hwif_in.STATUS.layer.next = st_layer;
        hwif_in.CYCLES.count.next = cycles;
        hwif_in.STALL_CYCLES.count.next = stall_cycles;
        hwif_in.RESULT.argmax.next = res_argmax;
        hwif_in.RESULT.logits_frac.next = res_logits_frac;
        for (int i = 0; i < 8; i++) begin
            hwif_in.LOGIT[i].value.next = logits[32*i +: 32];
        end
    end

    assign ctrl_start = hwif_out.CTRL.start.value;
    assign ctrl_soft_reset = hwif_out.CTRL.soft_reset.value;
    assign ctrl_reuse_input = hwif_out.CTRL.reuse_input.value;
    assign ctrl_irq_enable = hwif_out.CTRL.irq_enable.value;
    assign status_done = hwif_out.STATUS.done.value;
    assign program_addr = {hwif_out.PROGRAM_ADDR_HI.addr.value, hwif_out.PROGRAM_ADDR_LO.addr.value};
endmodule

`default_nettype wire
