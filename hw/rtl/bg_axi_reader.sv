// bg_axi_reader: AXI4 read master (128-bit data, INCR bursts) behind a simple request/beat interface.
//
// A request names a 16-byte-aligned byte address and a number of 128-bit beats; the reader splits it
// into INCR bursts of at most MAX_BURST beats that never cross a 4 KB boundary (AXI4 forbids it) and
// hands the beats on in order on a valid/ready output, `out_last` on the request's last beat. Up to
// OUTSTANDING bursts are in flight (one ID, so the data returns in order), so the memory's latency per
// burst overlaps the data of the bursts before it.
//
// Errors: a beat answered SLVERR or DECERR (rresp[1] set) is not handed on; `err` pulses and the rest
// of the request is dropped. `cancel` drops the rest of the request too (soft reset, any core error).
// Dropping still takes every beat of the burst in flight (AXI4 has no way to cancel a burst), with
// rready high, then the reader is idle again; a new request waits (req_ready low) until then, so a run
// after an cancel never sees a stale beat.

`default_nettype none

module bg_axi_reader #(
    parameter int ADDR_W    = 32,  // AXI address width, 13..64
    parameter int MAX_BURST = 16,  // beats per burst, 1..256
    parameter int OUTSTANDING = 4  // bursts in flight, 1..15 (same ID: the data returns in order)
) (
    input  wire                 clk,
    input  wire                 rst,          // synchronous, active high (only with the AXI interconnect reset)

    input  wire                 req_valid,
    output logic                req_ready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire  [ADDR_W-1:0]   req_addr,     // byte address, bits 3:0 ignored (taken as zero)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire  [23:0]         req_beats,    // 128-bit beats to read, 1..2^24-1 (0 reads nothing)

    output logic                out_valid,
    input  wire                 out_ready,
    output logic [127:0]        out_data,     // byte i of the beat at [8*i +: 8]
    output logic                out_last,     // last beat of the request

    input  wire                 cancel,        // drop the rest of the request in progress
    output logic                err,          // one cycle: a beat answered SLVERR/DECERR (request dropped)
    output logic                busy,         // a request or a dropped burst is in progress
    output logic                waiting,      // the request waits on memory (address or data) this cycle

    output logic [0:0]          m_axi_arid,
    output logic [ADDR_W-1:0]   m_axi_araddr,
    output logic [7:0]          m_axi_arlen,
    output logic [2:0]          m_axi_arsize,
    output logic [1:0]          m_axi_arburst,
    output logic                m_axi_arvalid,
    input  wire                 m_axi_arready,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire  [0:0]          m_axi_rid,    // one ID, one burst in flight: nothing to match
    input  wire  [1:0]          m_axi_rresp,  // bit 0 (EXOKAY) does not occur on a normal read
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire  [127:0]        m_axi_rdata,
    input  wire                 m_axi_rlast,
    input  wire                 m_axi_rvalid,
    output logic                m_axi_rready
);

    // ---- parameter checks (elaboration time) ----
    if (ADDR_W < 13 || ADDR_W > 64) begin : g_bad_addr_w
        $error("bg_axi_reader: ADDR_W must be in 13..64");
    end
    if (MAX_BURST < 1 || MAX_BURST > 256) begin : g_bad_burst
        $error("bg_axi_reader: MAX_BURST must be in 1..256");
    end
    if (OUTSTANDING < 1 || OUTSTANDING > 15) begin : g_bad_out
        $error("bg_axi_reader: OUTSTANDING must be in 1..15");
    end

    localparam logic [8:0] MAXB = MAX_BURST[8:0];
    localparam logic [3:0] MAXO = OUTSTANDING[3:0];

    logic              active, drop, ar_pending;
    logic [ADDR_W-1:0] addr, ar_addr;   // next burst's address; the address on AR
    logic [7:0]        ar_len;
    logic [23:0]       rem_ar;          // beats of the request not yet put in a burst
    logic [23:0]       rem_r;           // beats of the request not yet received
    logic [3:0]        bursts;          // bursts prepared whose last beat has not arrived
    logic [8:0]        blen;            // beats of the next burst

    // Beats left before the 4 KB boundary: 256 - addr[11:4].
    logic [8:0] to_4k;
    assign to_4k = 9'd256 - {1'b0, addr[11:4]};

    always_comb begin
        blen = MAXB;
        if (to_4k < blen) blen = to_4k;
        if (rem_ar < {15'd0, blen}) blen = rem_ar[8:0];
    end

    assign req_ready     = !active;
    assign busy          = active;
    assign m_axi_arid    = 1'b0;
    assign m_axi_araddr  = ar_addr;
    assign m_axi_arlen   = ar_len;
    assign m_axi_arsize  = 3'd4;      // 16 bytes per beat
    assign m_axi_arburst = 2'b01;     // INCR
    assign m_axi_arvalid = ar_pending;
    assign m_axi_rready  = active && (drop || out_ready);

    assign out_valid = active && !drop && m_axi_rvalid && !m_axi_rresp[1];
    assign out_data  = m_axi_rdata;
    assign out_last  = rem_r == 24'd1;
    assign waiting   = active && !drop && !m_axi_rvalid;

    always_ff @(posedge clk) begin : p_seq
        logic        d;
        logic [23:0] ra, rr;
        logic [3:0]  bo;
        if (rst) begin
            active     <= 1'b0;
            drop       <= 1'b0;
            ar_pending <= 1'b0;
            err        <= 1'b0;
        end else begin
            err <= 1'b0;
            if (!active) begin
                if (req_valid && req_beats != 24'd0) begin
                    active     <= 1'b1;
                    drop       <= 1'b0;
                    ar_pending <= 1'b0;
                    addr       <= {req_addr[ADDR_W-1:4], 4'd0};
                    rem_ar     <= req_beats;
                    rem_r      <= req_beats;
                    bursts     <= 4'd0;
                end
            end else begin
                d  = drop || cancel;
                ra = rem_ar;
                rr = rem_r;
                bo = bursts;
                if (ar_pending && m_axi_arready) ar_pending <= 1'b0;
                // Prepare the next burst while earlier ones are still being received (up to OUTSTANDING);
                // AR stays valid until taken, as AXI4 requires, even if the request is dropped meanwhile.
                if (!ar_pending && !d && ra != 24'd0 && bo < MAXO) begin
                    ar_pending <= 1'b1;
                    ar_addr    <= addr;
                    ar_len     <= blen[7:0] - 8'd1;   // 256 beats: 0 - 1 wraps to 255, as it should
                    addr       <= addr + {{(ADDR_W-13){1'b0}}, blen, 4'd0};
                    ra         = ra - {15'd0, blen};
                    bo         = bo + 4'd1;
                end
                if (m_axi_rvalid && m_axi_rready) begin
                    rr = rr - 24'd1;
                    if (m_axi_rresp[1] && !d) begin
                        err <= 1'b1;
                        d   = 1'b1;
                    end
                    if (m_axi_rlast) bo = bo - 4'd1;
                end
                drop   <= d;
                rem_ar <= ra;
                rem_r  <= rr;
                bursts <= bo;
                // Done when every beat put in a burst has arrived and no more are to be asked for.
                if (rr == ra && (d || ra == 24'd0)) active <= 1'b0;
            end
        end
    end

endmodule

`default_nettype wire
