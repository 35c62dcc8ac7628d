// Test adapter of the board wrapper (hw/boards/blurgauge_core.v): bg_core's own port list around the
// wrapper, so that bg_core's testbench (sim/tb_core.py) runs unchanged through it
// (tests/sim/test_rtl_wrapper.py). It only renames: clk/rst (active high, as the testbench's harness
// drives it) to the wrapper's aclk/aresetn (active low), and it shows the sequencer's layer index and
// image-job run, which the testbench watches to time each layer, under bg_core's names. Testbench only;
// a block design instantiates blurgauge_core itself.

`default_nettype none

module blurgauge_core_tb #(
    parameter int LANES        = 16,
    parameter int SLOTS        = 4,
    parameter int SLOT_BYTES   = 65536,
    parameter int WBUF_TILES   = 128,
    parameter int ADDR_W       = 32,
    parameter int MAX_BURST    = 16,
    parameter int OUTSTANDING  = 4,
    parameter int READ_PORTS   = 2,
    parameter int WEIGHT_PAIRS = 0,
    parameter int STEM_K       = 7,
    parameter int DSP_PRODUCTS = 168
) (
    input  wire                 clk,
    input  wire                 rst,

    output wire                 s_axil_awready,
    input  wire                 s_axil_awvalid,
    input  wire  [bg_core_regs_pkg::BG_CORE_REGS_MIN_ADDR_WIDTH-1:0] s_axil_awaddr,
    input  wire  [2:0]          s_axil_awprot,
    output wire                 s_axil_wready,
    input  wire                 s_axil_wvalid,
    input  wire  [31:0]         s_axil_wdata,
    input  wire  [3:0]          s_axil_wstrb,
    input  wire                 s_axil_bready,
    output wire                 s_axil_bvalid,
    output wire  [1:0]          s_axil_bresp,
    output wire                 s_axil_arready,
    input  wire                 s_axil_arvalid,
    input  wire  [bg_core_regs_pkg::BG_CORE_REGS_MIN_ADDR_WIDTH-1:0] s_axil_araddr,
    input  wire  [2:0]          s_axil_arprot,
    input  wire                 s_axil_rready,
    output wire                 s_axil_rvalid,
    output wire  [31:0]         s_axil_rdata,
    output wire  [1:0]          s_axil_rresp,

    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    input  wire  [8*LANES-1:0]  s_axis_tdata,
    input  wire                 s_axis_tlast,

    output wire  [0:0]          m_axi_arid,
    output wire  [ADDR_W-1:0]   m_axi_araddr,
    output wire  [7:0]          m_axi_arlen,
    output wire  [2:0]          m_axi_arsize,
    output wire  [1:0]          m_axi_arburst,
    output wire  [0:0]          m_axi_arlock,
    output wire  [3:0]          m_axi_arcache,
    output wire  [2:0]          m_axi_arprot,
    output wire  [3:0]          m_axi_arqos,
    output wire                 m_axi_arvalid,
    input  wire                 m_axi_arready,
    input  wire  [0:0]          m_axi_rid,
    input  wire  [127:0]        m_axi_rdata,
    input  wire  [1:0]          m_axi_rresp,
    input  wire                 m_axi_rlast,
    input  wire                 m_axi_rvalid,
    output wire                 m_axi_rready,

    output wire  [0:0]          m1_axi_arid,
    output wire  [ADDR_W-1:0]   m1_axi_araddr,
    output wire  [7:0]          m1_axi_arlen,
    output wire  [2:0]          m1_axi_arsize,
    output wire  [1:0]          m1_axi_arburst,
    output wire  [0:0]          m1_axi_arlock,
    output wire  [3:0]          m1_axi_arcache,
    output wire  [2:0]          m1_axi_arprot,
    output wire  [3:0]          m1_axi_arqos,
    output wire                 m1_axi_arvalid,
    input  wire                 m1_axi_arready,
    input  wire  [0:0]          m1_axi_rid,
    input  wire  [127:0]        m1_axi_rdata,
    input  wire  [1:0]          m1_axi_rresp,
    input  wire                 m1_axi_rlast,
    input  wire                 m1_axi_rvalid,
    output wire                 m1_axi_rready,

    output wire                 irq,
    output wire  [15:0]         layer,   // bg_core's sequencer layer index (the testbench's layer timer)
    output wire  [1:0]          job_run  // bg_core's image-job run (the layer timer's run)
);

    blurgauge_core #(
        .LANES(LANES), .SLOTS(SLOTS), .SLOT_BYTES(SLOT_BYTES), .WBUF_TILES(WBUF_TILES), .ADDR_W(ADDR_W),
        .MAX_BURST(MAX_BURST), .OUTSTANDING(OUTSTANDING), .READ_PORTS(READ_PORTS), .WEIGHT_PAIRS(WEIGHT_PAIRS),
        .STEM_K(STEM_K),
        .DSP_PRODUCTS(DSP_PRODUCTS)
    ) u_wrapper (
        .aclk(clk), .aresetn(!rst),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_araddr(s_axil_araddr),
        .s_axil_arprot(s_axil_arprot), .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
        .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .s_axis_tdata(s_axis_tdata), .s_axis_tlast(s_axis_tlast), .s_axis_tvalid(s_axis_tvalid),
        .s_axis_tready(s_axis_tready),
        .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
        .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst), .m_axi_arlock(m_axi_arlock),
        .m_axi_arcache(m_axi_arcache), .m_axi_arprot(m_axi_arprot), .m_axi_arqos(m_axi_arqos),
        .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready), .m_axi_rid(m_axi_rid),
        .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rlast(m_axi_rlast),
        .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready),
        .m1_axi_arid(m1_axi_arid), .m1_axi_araddr(m1_axi_araddr), .m1_axi_arlen(m1_axi_arlen),
        .m1_axi_arsize(m1_axi_arsize), .m1_axi_arburst(m1_axi_arburst), .m1_axi_arlock(m1_axi_arlock),
        .m1_axi_arcache(m1_axi_arcache), .m1_axi_arprot(m1_axi_arprot), .m1_axi_arqos(m1_axi_arqos),
        .m1_axi_arvalid(m1_axi_arvalid), .m1_axi_arready(m1_axi_arready), .m1_axi_rid(m1_axi_rid),
        .m1_axi_rdata(m1_axi_rdata), .m1_axi_rresp(m1_axi_rresp), .m1_axi_rlast(m1_axi_rlast),
        .m1_axi_rvalid(m1_axi_rvalid), .m1_axi_rready(m1_axi_rready),
        .irq(irq)
    );

    assign layer   = u_wrapper.u_core.layer;
    assign job_run = u_wrapper.u_core.job_run;

endmodule

`default_nettype wire
