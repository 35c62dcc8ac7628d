// bg_axi_read_interleave: one AXI4 read master's bursts spread over two AXI4 read ports, alternately,
// and their data merged back in the order of the bursts.
//
// Why: a Zynq-7000 HP port carries 64 bits a cycle at the core's clock, half of what the core's 128-bit
// reader takes. Two HP ports, each behind its own width converter, carry a 128-bit beat a cycle between
// them (docs/core-rtl.md, "Reading DDR through two ports").
//
// AR: the bursts go to port 0, 1, 0, 1, ... in the order the slave side gives them (each port's AR is the
// slave's, held until that port takes it; `ar_port` turns after each handshake). R: each port's beats go
// into its own FIFO (FIFO_BEATS deep, ready while not full); the head burst's port's FIFO feeds the output
// register until that burst's rlast, then the other's. The bursts alternate on both sides, so the order
// needs no table: a port returns its own bursts in order (one ID), and burst n is on port n % 2. A port
// keeps filling its FIFO while the other port's burst is drained, so with FIFO_BEATS of at least the
// longest burst both ports stream at once.
//
// The output register: the FIFOs are read asynchronously (distributed RAM), and their read and the
// choice between them ahead of the reader's data fan-out (the bias bytes' selection in bg_weight_fetch)
// made the longest routed path of the ECP5 place and route (10.2 ns, docs/timing.md); the slave side's
// R signals now leave a register. It loads whenever it is empty or its beat is taken, so the rate stays
// one beat a cycle; s_axi_rready reaches the FIFOs through one gate.
//
// Pairs: a burst asked for with s_axi_arpair forms a pair with the burst after it, which the master
// promises to ask for next and of the same length. The pair's bursts are on the two ports (burst n and
// n + 1), so the slave side can take both at once: beat j of the first on s_axi_rdata and beat j of the
// second on s_axi_rdata2, with s_axi_rpair, rlast on the pair's last beats. That is two beats a cycle,
// what the ports deliver between them, where a single burst's beats come one a cycle (docs/core-rtl.md,
// "Weights at two beats a cycle"). A FIFO of one flag per burst (the second of a pair has none) tells the
// R side whether its head burst is paired; it holds PAIR_QUEUE flags, and AR waits while it is full.
//
// Errors and cancels pass through: rresp rides with its beat (rresp2 with the second), and the reader
// (bg_axi_reader) takes every beat of every burst it asked for, so both sides return to port 0 together.
// rid is carried as given (the first burst's, for a pair).
//
// Latency: two cycles on R (the FIFO, the output register), none on AR.

`default_nettype none

module bg_axi_read_interleave #(
    parameter int ADDR_W     = 32,   // AXI address width, 13..64
    parameter int FIFO_BEATS = 32,   // R beats buffered per port, a power of two 2..256 (at least a burst)
    parameter int PAIR_QUEUE = 16    // bursts (a pair counts one) asked for and not yet drained, a power of two 2..256
) (
    input  wire                 clk,
    input  wire                 rst,          // synchronous, active high (only with the AXI interconnect reset)

    // the reader's side (AXI4 read slave)
    input  wire  [0:0]          s_axi_arid,
    input  wire  [ADDR_W-1:0]   s_axi_araddr,
    input  wire  [7:0]          s_axi_arlen,
    input  wire  [2:0]          s_axi_arsize,
    input  wire  [1:0]          s_axi_arburst,
    input  wire                 s_axi_arvalid,
    output logic                s_axi_arready,
    input  wire                 s_axi_arpair,   // with AR: this burst and the next form a pair (not AXI4)
    output logic [0:0]          s_axi_rid,
    output logic [127:0]        s_axi_rdata,
    output logic [1:0]          s_axi_rresp,
    output logic                s_axi_rlast,
    output logic                s_axi_rvalid,
    input  wire                 s_axi_rready,
    output logic                s_axi_rpair,    // the beat comes with the next burst's beat of the same index
    output logic [127:0]        s_axi_rdata2,   // that beat (with s_axi_rpair)
    output logic [1:0]          s_axi_rresp2,

    // port 0 (bursts 0, 2, 4, ...)
    output logic [0:0]          m0_axi_arid,
    output logic [ADDR_W-1:0]   m0_axi_araddr,
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

    // port 1 (bursts 1, 3, 5, ...)
    output logic [0:0]          m1_axi_arid,
    output logic [ADDR_W-1:0]   m1_axi_araddr,
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

    // ---- parameter checks (elaboration time) ----
    if (ADDR_W < 13 || ADDR_W > 64) begin : g_bad_addr_w
        $error("bg_axi_read_interleave: ADDR_W must be in 13..64");
    end
    if (FIFO_BEATS < 2 || FIFO_BEATS > 256 || (FIFO_BEATS & (FIFO_BEATS - 1)) != 0) begin : g_bad_fifo
        $error("bg_axi_read_interleave: FIFO_BEATS must be a power of two in 2..256");
    end
    if (PAIR_QUEUE < 2 || PAIR_QUEUE > 256 || (PAIR_QUEUE & (PAIR_QUEUE - 1)) != 0) begin : g_bad_pair_queue
        $error("bg_axi_read_interleave: PAIR_QUEUE must be a power of two in 2..256");
    end

    localparam int RW = 1 + 128 + 2 + 1;   // a beat in a FIFO: rid, rdata, rresp, rlast

    logic ar_port;   // the port the slave's AR goes to
    logic r_port;    // the port whose FIFO holds the head burst's beats

    // ---- AR: the slave's burst to one port ----
    assign m0_axi_arid    = s_axi_arid;
    assign m0_axi_araddr  = s_axi_araddr;
    assign m0_axi_arlen   = s_axi_arlen;
    assign m0_axi_arsize  = s_axi_arsize;
    assign m0_axi_arburst = s_axi_arburst;
    assign m1_axi_arid    = s_axi_arid;
    assign m1_axi_araddr  = s_axi_araddr;
    assign m1_axi_arlen   = s_axi_arlen;
    assign m1_axi_arsize  = s_axi_arsize;
    assign m1_axi_arburst = s_axi_arburst;
    // ---- the pair flags: one per burst, none for a pair's second ----
    logic ar_second;            // the next AR is a pair's second burst
    logic ar_taken;             // an AR handshake this cycle
    logic pq_in_ready, pq_valid, pq_pair, pq_pop;
    assign ar_taken = s_axi_arvalid && s_axi_arready;

    bg_fifo #(.WIDTH(1), .DEPTH(PAIR_QUEUE)) u_pairs (
        .clk(clk), .rst(rst),
        .in_valid(ar_taken && !ar_second), .in_ready(pq_in_ready), .in_data(s_axi_arpair),
        .out_valid(pq_valid), .out_ready(pq_pop), .out_data(pq_pair));

    assign m0_axi_arvalid = s_axi_arvalid && !ar_port && (ar_second || pq_in_ready);
    assign m1_axi_arvalid = s_axi_arvalid && ar_port && (ar_second || pq_in_ready);
    assign s_axi_arready  = (ar_port ? m1_axi_arready : m0_axi_arready) && (ar_second || pq_in_ready);

    // ---- R: one FIFO per port, the head burst's (and its pair's) into the output register ----
    logic [1:0]    f_valid, f_ready;
    logic [RW-1:0] f_data [2];
    logic          q_valid;    // the output register holds a beat (or a pair of beats)
    logic [RW-1:0] q_data;     // {rid, rdata, rresp, rlast} of the head burst
    logic          q_pair;     // q_data2 holds the paired burst's beat
    logic [129:0]  q_data2;    // {rdata, rresp} of the paired burst
    logic          room;       // the output register can load
    logic          take;       // the head burst's next beat (and its pair's) moves into the output register
    logic          head_last;  // that beat is its burst's last (rlast)

    bg_fifo #(.WIDTH(RW), .DEPTH(FIFO_BEATS)) u_fifo0 (
        .clk(clk), .rst(rst),
        .in_valid(m0_axi_rvalid), .in_ready(m0_axi_rready),
        .in_data({m0_axi_rid, m0_axi_rdata, m0_axi_rresp, m0_axi_rlast}),
        .out_valid(f_valid[0]), .out_ready(f_ready[0]), .out_data(f_data[0]));

    bg_fifo #(.WIDTH(RW), .DEPTH(FIFO_BEATS)) u_fifo1 (
        .clk(clk), .rst(rst),
        .in_valid(m1_axi_rvalid), .in_ready(m1_axi_rready),
        .in_data({m1_axi_rid, m1_axi_rdata, m1_axi_rresp, m1_axi_rlast}),
        .out_valid(f_valid[1]), .out_ready(f_ready[1]), .out_data(f_data[1]));

    // A beat is in a port's FIFO only after its burst's AR, which pushed the head's flag: pq_valid is there
    // with the head's first beat. A pair waits for both ports' beats.
    assign room       = !q_valid || s_axi_rready;
    assign take       = room && pq_valid && f_valid[r_port] && (!pq_pair || f_valid[!r_port]);
    assign head_last  = f_data[r_port][0];
    assign f_ready[0] = take && (!r_port || pq_pair);
    assign f_ready[1] = take && (r_port || pq_pair);
    assign pq_pop     = take && head_last;
    assign s_axi_rvalid = q_valid;
    assign {s_axi_rid, s_axi_rdata, s_axi_rresp, s_axi_rlast} = q_data;
    assign s_axi_rpair  = q_pair;
    assign {s_axi_rdata2, s_axi_rresp2} = q_data2;

    always_ff @(posedge clk) begin
        if (take) begin
            q_data  <= f_data[r_port];
            q_pair  <= pq_pair;
            q_data2 <= f_data[!r_port][RW-2:1];   // the paired beat's rdata and rresp
        end
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            ar_port   <= 1'b0;
            ar_second <= 1'b0;
            r_port    <= 1'b0;
            q_valid   <= 1'b0;
        end else begin
            if (ar_taken) begin
                ar_port   <= !ar_port;
                ar_second <= s_axi_arpair && !ar_second;
            end
            if (take) begin
                q_valid <= 1'b1;
                // a single burst's last beat hands the head to the other port; a pair's leaves it here
                if (head_last && !pq_pair) r_port <= !r_port;
            end else if (s_axi_rready) begin
                q_valid <= 1'b0;
            end
        end
    end

endmodule

`default_nettype wire
