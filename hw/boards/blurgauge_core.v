// blurgauge_core: the Verilog-2001 face of bg_core (hw/rtl/bg_core.sv) for Vivado IP Integrator.
//
// IP Integrator's module reference (create_bd_cell -type module -reference) and the IP packager take a
// Verilog or VHDL top, not a SystemVerilog one (UG994, "Referencing RTL Modules"); this module is that
// top. It adds no logic beyond the reset register below: every port is bg_core's, under the same name,
// plus the AXI4 read-channel signals a Zynq HP port expects that bg_core leaves implicit.
//
// Interfaces, as IP Integrator infers them from the X_INTERFACE_* attributes (UG994, "HDL Parameters
// for Interface Inference"):
//   * S_AXIL  AXI4-Lite slave, 32-bit data, addresses as wide as the register package's
//             BG_CORE_REGS_MIN_ADDR_WIDTH (8; a test keeps the two equal): the registers;
//   * S_AXIS  AXI4-Stream slave, LANES bytes per beat, TLAST, no TKEEP: the streamed input patch;
//   * M_AXI   AXI4 master, read only (no write-channel ports), 128-bit data, 1-bit ID: programs,
//             weights and, with CTRL.input_from_memory, the input patch, all from DDR;
//   * M1_AXI  the same again: with READ_PORTS = 2 the core's bursts alternate between M_AXI and M1_AXI,
//             each on its own PS port (hw/boards/lib.tcl); with READ_PORTS = 1 it stays idle;
//   * aclk    the one clock of all three buses;
//   * aresetn active-low reset, as a processor system reset (proc_sys_reset) gives it;
//   * irq     level-high interrupt: STATUS.done while CTRL.irq_enable is set.
// The clock carries no FREQ_HZ: IP Integrator propagates the frequency of the clock that drives it (the
// PS's PL clock), where a value written here would have to equal the PS's achieved frequency exactly
// or fail validate_bd_design.
//
// Parameters: bg_core's, passed through unchanged, with bg_core's defaults (the pynq-z2 target of
// hw/targets.py); bg_core checks every value at elaboration. The board scripts (hw/boards/) set them
// from hw/targets.py.

`default_nettype none

module blurgauge_core #(
    parameter LANES        = 16,     // P of the P x P MAC array: 4, 8, 16, 32 or 64
    parameter SLOTS        = 4,      // activation slots, 2..255
    parameter SLOT_BYTES   = 65536,  // bytes per slot, a power of two, 64*LANES .. 16777216
    parameter WBUF_TILES   = 128,    // P x P tiles of one output block, a power of two 2..65536
    parameter ADDR_W       = 32,     // AXI4 address width, 32..64
    parameter MAX_BURST    = 16,     // AXI4 burst length in beats, 1..256
    parameter OUTSTANDING  = 4,      // AXI4 read bursts in flight, 1..15 (over both ports)
    parameter READ_PORTS   = 2,      // AXI4 read masters: 1 (M_AXI) or 2 (M_AXI, M1_AXI)
    parameter WEIGHT_PAIRS = 0,      // 1: weights two beats a cycle through both masters (bg_core's checks)
    parameter STEM_K       = 7,      // kernel side of the taps-on-lanes stem layer, 1..8
    parameter DSP_PRODUCTS = 168     // MAC array products built in DSP blocks, 0..4096
) (
    (* X_INTERFACE_INFO = "xilinx.com:signal:clock:1.0 aclk CLK" *)
    (* X_INTERFACE_PARAMETER = "ASSOCIATED_BUSIF S_AXIL:S_AXIS:M_AXI:M1_AXI, ASSOCIATED_RESET aresetn" *)
    input  wire                 aclk,
    (* X_INTERFACE_INFO = "xilinx.com:signal:reset:1.0 aresetn RST" *)
    (* X_INTERFACE_PARAMETER = "POLARITY ACTIVE_LOW" *)
    input  wire                 aresetn,

    // AXI4-Lite slave: the registers
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL AWADDR" *)
    (* X_INTERFACE_PARAMETER = "PROTOCOL AXI4LITE, READ_WRITE_MODE READ_WRITE, ADDR_WIDTH 8, DATA_WIDTH 32" *)
    input  wire [7:0]           s_axil_awaddr,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL AWPROT" *)
    input  wire [2:0]           s_axil_awprot,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL AWVALID" *)
    input  wire                 s_axil_awvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL AWREADY" *)
    output wire                 s_axil_awready,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL WDATA" *)
    input  wire [31:0]          s_axil_wdata,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL WSTRB" *)
    input  wire [3:0]           s_axil_wstrb,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL WVALID" *)
    input  wire                 s_axil_wvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL WREADY" *)
    output wire                 s_axil_wready,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL BRESP" *)
    output wire [1:0]           s_axil_bresp,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL BVALID" *)
    output wire                 s_axil_bvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL BREADY" *)
    input  wire                 s_axil_bready,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL ARADDR" *)
    input  wire [7:0]           s_axil_araddr,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL ARPROT" *)
    input  wire [2:0]           s_axil_arprot,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL ARVALID" *)
    input  wire                 s_axil_arvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL ARREADY" *)
    output wire                 s_axil_arready,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL RDATA" *)
    output wire [31:0]          s_axil_rdata,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL RRESP" *)
    output wire [1:0]           s_axil_rresp,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL RVALID" *)
    output wire                 s_axil_rvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 S_AXIL RREADY" *)
    input  wire                 s_axil_rready,

    // AXI4-Stream slave: the input patch, LANES bytes per beat
    (* X_INTERFACE_INFO = "xilinx.com:interface:axis:1.0 S_AXIS TDATA" *)
    (* X_INTERFACE_PARAMETER = "HAS_TLAST 1, HAS_TKEEP 0, HAS_TSTRB 0, HAS_TREADY 1" *)
    input  wire [8*LANES-1:0]   s_axis_tdata,
    (* X_INTERFACE_INFO = "xilinx.com:interface:axis:1.0 S_AXIS TLAST" *)
    input  wire                 s_axis_tlast,
    (* X_INTERFACE_INFO = "xilinx.com:interface:axis:1.0 S_AXIS TVALID" *)
    input  wire                 s_axis_tvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:axis:1.0 S_AXIS TREADY" *)
    output wire                 s_axis_tready,

    // AXI4 read master: DDR (the write channels are absent: READ_ONLY)
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARID" *)
    (* X_INTERFACE_PARAMETER = "PROTOCOL AXI4, READ_WRITE_MODE READ_ONLY, DATA_WIDTH 128, ID_WIDTH 1" *)
    output wire [0:0]           m_axi_arid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARADDR" *)
    output wire [ADDR_W-1:0]    m_axi_araddr,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARLEN" *)
    output wire [7:0]           m_axi_arlen,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARSIZE" *)
    output wire [2:0]           m_axi_arsize,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARBURST" *)
    output wire [1:0]           m_axi_arburst,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARLOCK" *)
    output wire [0:0]           m_axi_arlock,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARCACHE" *)
    output wire [3:0]           m_axi_arcache,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARPROT" *)
    output wire [2:0]           m_axi_arprot,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARQOS" *)
    output wire [3:0]           m_axi_arqos,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARVALID" *)
    output wire                 m_axi_arvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI ARREADY" *)
    input  wire                 m_axi_arready,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI RID" *)
    input  wire [0:0]           m_axi_rid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI RDATA" *)
    input  wire [127:0]         m_axi_rdata,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI RRESP" *)
    input  wire [1:0]           m_axi_rresp,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI RLAST" *)
    input  wire                 m_axi_rlast,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI RVALID" *)
    input  wire                 m_axi_rvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M_AXI RREADY" *)
    output wire                 m_axi_rready,

    // second AXI4 read master: every other burst with READ_PORTS = 2, idle with 1 (then left unconnected)
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARID" *)
    (* X_INTERFACE_PARAMETER = "PROTOCOL AXI4, READ_WRITE_MODE READ_ONLY, DATA_WIDTH 128, ID_WIDTH 1" *)
    output wire [0:0]           m1_axi_arid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARADDR" *)
    output wire [ADDR_W-1:0]    m1_axi_araddr,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARLEN" *)
    output wire [7:0]           m1_axi_arlen,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARSIZE" *)
    output wire [2:0]           m1_axi_arsize,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARBURST" *)
    output wire [1:0]           m1_axi_arburst,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARLOCK" *)
    output wire [0:0]           m1_axi_arlock,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARCACHE" *)
    output wire [3:0]           m1_axi_arcache,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARPROT" *)
    output wire [2:0]           m1_axi_arprot,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARQOS" *)
    output wire [3:0]           m1_axi_arqos,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARVALID" *)
    output wire                 m1_axi_arvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI ARREADY" *)
    input  wire                 m1_axi_arready,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI RID" *)
    input  wire [0:0]           m1_axi_rid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI RDATA" *)
    input  wire [127:0]         m1_axi_rdata,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI RRESP" *)
    input  wire [1:0]           m1_axi_rresp,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI RLAST" *)
    input  wire                 m1_axi_rlast,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI RVALID" *)
    input  wire                 m1_axi_rvalid,
    (* X_INTERFACE_INFO = "xilinx.com:interface:aximm:1.0 M1_AXI RREADY" *)
    output wire                 m1_axi_rready,

    (* X_INTERFACE_INFO = "xilinx.com:signal:interrupt:1.0 irq INTERRUPT" *)
    (* X_INTERFACE_PARAMETER = "SENSITIVITY LEVEL_HIGH" *)
    output wire                 irq
);

    // bg_core's reset is synchronous and active high. The PS's resets are active low, and
    // proc_sys_reset's peripheral_aresetn is already synchronous to aclk; one register turns it into
    // bg_core's polarity and keeps the inverter off the path into the core's flops. proc_sys_reset holds
    // its output in reset from configuration on, so this register needs no initial value of its own.
    reg rst;
    always @(posedge aclk) begin
        rst <= ~aresetn;
    end

    // The read channel's remaining AXI4 signals, constant: normal (not exclusive) access, normal
    // non-cacheable bufferable memory (AXI4 ARCACHE 0b0011, the value AMD's masters use for DDR through
    // an HP port), unprivileged secure data access, no QoS.
    assign m_axi_arlock  = 1'b0;
    assign m_axi_arcache = 4'b0011;
    assign m_axi_arprot  = 3'b000;
    assign m_axi_arqos   = 4'b0000;
    assign m1_axi_arlock  = 1'b0;
    assign m1_axi_arcache = 4'b0011;
    assign m1_axi_arprot  = 3'b000;
    assign m1_axi_arqos   = 4'b0000;

    bg_core #(
        .LANES(LANES), .SLOTS(SLOTS), .SLOT_BYTES(SLOT_BYTES), .WBUF_TILES(WBUF_TILES), .ADDR_W(ADDR_W),
        .MAX_BURST(MAX_BURST), .OUTSTANDING(OUTSTANDING), .READ_PORTS(READ_PORTS), .WEIGHT_PAIRS(WEIGHT_PAIRS),
        .STEM_K(STEM_K),
        .DSP_PRODUCTS(DSP_PRODUCTS)
    ) u_core (
        .clk(aclk), .rst(rst),
        .s_axil_awready(s_axil_awready), .s_axil_awvalid(s_axil_awvalid), .s_axil_awaddr(s_axil_awaddr),
        .s_axil_awprot(s_axil_awprot), .s_axil_wready(s_axil_wready), .s_axil_wvalid(s_axil_wvalid),
        .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb), .s_axil_bready(s_axil_bready),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bresp(s_axil_bresp), .s_axil_arready(s_axil_arready),
        .s_axil_arvalid(s_axil_arvalid), .s_axil_araddr(s_axil_araddr), .s_axil_arprot(s_axil_arprot),
        .s_axil_rready(s_axil_rready), .s_axil_rvalid(s_axil_rvalid), .s_axil_rdata(s_axil_rdata),
        .s_axil_rresp(s_axil_rresp),
        .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tdata(s_axis_tdata),
        .s_axis_tlast(s_axis_tlast),
        .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
        .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst), .m_axi_arvalid(m_axi_arvalid),
        .m_axi_arready(m_axi_arready), .m_axi_rid(m_axi_rid), .m_axi_rdata(m_axi_rdata),
        .m_axi_rresp(m_axi_rresp), .m_axi_rlast(m_axi_rlast), .m_axi_rvalid(m_axi_rvalid),
        .m_axi_rready(m_axi_rready),
        .m1_axi_arid(m1_axi_arid), .m1_axi_araddr(m1_axi_araddr), .m1_axi_arlen(m1_axi_arlen),
        .m1_axi_arsize(m1_axi_arsize), .m1_axi_arburst(m1_axi_arburst), .m1_axi_arvalid(m1_axi_arvalid),
        .m1_axi_arready(m1_axi_arready), .m1_axi_rid(m1_axi_rid), .m1_axi_rdata(m1_axi_rdata),
        .m1_axi_rresp(m1_axi_rresp), .m1_axi_rlast(m1_axi_rlast), .m1_axi_rvalid(m1_axi_rvalid),
        .m1_axi_rready(m1_axi_rready),
        .irq(irq)
    );

endmodule

`default_nettype wire
