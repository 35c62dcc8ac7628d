// Test top of the read path that pairs bursts: bg_axi_reader ahead of bg_axi_read_interleave, as bg_core
// connects them with READ_PORTS = 2, so that a testbench (sim/tb_axi_reader_pairs.py) can ask the reader
// for requests and serve the interleave's two AXI4 ports from two memories. Testbench only.

`default_nettype none

module bg_axi_reader_pairs_tb #(
    parameter int MAX_BURST   = 16,   // bg_axi_reader's
    parameter int OUTSTANDING = 4,
    parameter int FIFO_BEATS  = 32    // bg_axi_read_interleave's
) (
    input  wire                 clk,
    input  wire                 rst,

    input  wire                 req_valid,
    output logic                req_ready,
    input  wire  [31:0]         req_addr,
    input  wire  [23:0]         req_beats,
    input  wire                 req_pair,
    output logic                out_valid,
    input  wire                 out_ready,
    output logic [127:0]        out_data,
    output logic                out_last,
    output logic                out_pair,
    output logic [127:0]        out_data2,
    output logic                out_pair_end,
    input  wire                 cancel,
    output logic                err,
    output logic                busy,

    output logic [0:0]          m0_axi_arid,
    output logic [31:0]         m0_axi_araddr,
    output logic [7:0]          m0_axi_arlen,
    output logic [2:0]          m0_axi_arsize,
    output logic [1:0]          m0_axi_arburst,
    output logic                m0_axi_arvalid,
    input  wire                 m0_axi_arready,
    input  wire  [0:0]          m0_axi_rid,
    input  wire  [127:0]        m0_axi_rdata,
    input  wire  [1:0]          m0_axi_rresp,
    input  wire                 m0_axi_rlast,
    input  wire                 m0_axi_rvalid,
    output logic                m0_axi_rready,

    output logic [0:0]          m1_axi_arid,
    output logic [31:0]         m1_axi_araddr,
    output logic [7:0]          m1_axi_arlen,
    output logic [2:0]          m1_axi_arsize,
    output logic [1:0]          m1_axi_arburst,
    output logic                m1_axi_arvalid,
    input  wire                 m1_axi_arready,
    input  wire  [0:0]          m1_axi_rid,
    input  wire  [127:0]        m1_axi_rdata,
    input  wire  [1:0]          m1_axi_rresp,
    input  wire                 m1_axi_rlast,
    input  wire                 m1_axi_rvalid,
    output logic                m1_axi_rready
);

    logic [0:0]   arid, rid;
    logic [31:0]  araddr;
    logic [7:0]   arlen;
    logic [2:0]   arsize;
    logic [1:0]   arburst, rresp, rresp2;
    logic         arvalid, arready, arpair, rlast, rvalid, rready, rpair;
    logic [127:0] rdata, rdata2;
    /* verilator lint_off UNUSEDSIGNAL */
    logic         waiting;
    /* verilator lint_on UNUSEDSIGNAL */

    bg_axi_reader #(.ADDR_W(32), .MAX_BURST(MAX_BURST), .OUTSTANDING(OUTSTANDING)) u_reader (
        .clk(clk), .rst(rst),
        .req_valid(req_valid), .req_ready(req_ready), .req_addr(req_addr), .req_beats(req_beats),
        .req_pair(req_pair),
        .out_valid(out_valid), .out_ready(out_ready), .out_data(out_data), .out_last(out_last),
        .out_pair(out_pair), .out_data2(out_data2), .out_pair_end(out_pair_end),
        .cancel(cancel), .err(err), .busy(busy), .waiting(waiting),
        .m_axi_arid(arid), .m_axi_araddr(araddr), .m_axi_arlen(arlen), .m_axi_arsize(arsize),
        .m_axi_arburst(arburst), .m_axi_arvalid(arvalid), .m_axi_arready(arready), .m_axi_rid(rid),
        .m_axi_rresp(rresp), .m_axi_rdata(rdata), .m_axi_rlast(rlast), .m_axi_rvalid(rvalid),
        .m_axi_rready(rready),
        .m_axi_arpair(arpair), .m_axi_rpair(rpair), .m_axi_rdata2(rdata2), .m_axi_rresp2(rresp2));

    bg_axi_read_interleave #(.ADDR_W(32), .FIFO_BEATS(FIFO_BEATS)) u_interleave (
        .clk(clk), .rst(rst),
        .s_axi_arid(arid), .s_axi_araddr(araddr), .s_axi_arlen(arlen), .s_axi_arsize(arsize),
        .s_axi_arburst(arburst), .s_axi_arvalid(arvalid), .s_axi_arready(arready),
        .s_axi_arpair(arpair), .s_axi_rid(rid), .s_axi_rdata(rdata), .s_axi_rresp(rresp),
        .s_axi_rlast(rlast), .s_axi_rvalid(rvalid), .s_axi_rready(rready),
        .s_axi_rpair(rpair), .s_axi_rdata2(rdata2), .s_axi_rresp2(rresp2),
        .m0_axi_arid(m0_axi_arid), .m0_axi_araddr(m0_axi_araddr), .m0_axi_arlen(m0_axi_arlen),
        .m0_axi_arsize(m0_axi_arsize), .m0_axi_arburst(m0_axi_arburst), .m0_axi_arvalid(m0_axi_arvalid),
        .m0_axi_arready(m0_axi_arready), .m0_axi_rid(m0_axi_rid), .m0_axi_rdata(m0_axi_rdata),
        .m0_axi_rresp(m0_axi_rresp), .m0_axi_rlast(m0_axi_rlast), .m0_axi_rvalid(m0_axi_rvalid),
        .m0_axi_rready(m0_axi_rready),
        .m1_axi_arid(m1_axi_arid), .m1_axi_araddr(m1_axi_araddr), .m1_axi_arlen(m1_axi_arlen),
        .m1_axi_arsize(m1_axi_arsize), .m1_axi_arburst(m1_axi_arburst), .m1_axi_arvalid(m1_axi_arvalid),
        .m1_axi_arready(m1_axi_arready), .m1_axi_rid(m1_axi_rid), .m1_axi_rdata(m1_axi_rdata),
        .m1_axi_rresp(m1_axi_rresp), .m1_axi_rlast(m1_axi_rlast), .m1_axi_rvalid(m1_axi_rvalid),
        .m1_axi_rready(m1_axi_rready));

endmodule

`default_nettype wire
