// bg_axi_reader: AXI4 read master (128-bit data, INCR bursts) behind a simple request/beat interface.
//
// A request names a 16-byte-aligned byte address and a number of 128-bit beats; the reader splits it
// into INCR bursts of at most MAX_BURST beats that never cross a 4 KB boundary (AXI4 forbids it) and
// hands the beats on in order on a valid/ready output, `out_last` on the request's last beat. Up to
// OUTSTANDING bursts are in flight (one ID, so the data returns in order), so the memory's latency per
// burst overlaps the data of the bursts before it.
//
// Pairs (`req_pair`, behind bg_axi_read_interleave): where the request has two full bursts left that do
// not cross a 4 KB boundary, the reader asks for them back to back with `m_axi_arpair` on the first, and
// the interleave hands beat j of both at once (`m_axi_rpair`, the second on m_axi_rdata2). Those come out
// together: `out_pair` with the beat MAX_BURST beats further on `out_data2`, `out_pair_end` on the pair's
// last (the next beat is the first after the pair's second burst). The rest of the request (a start
// before a 4 KB boundary, a tail shorter than two bursts) goes in single bursts, one beat a cycle. A
// pair's second burst is asked for even when the request is dropped in between, since the interleave
// waits for both bursts' beats.
//
// Errors: a beat answered SLVERR or DECERR (rresp[1] set) is not handed on; `err` pulses and the rest
// of the request is dropped. `cancel` drops the rest of the request too (soft reset, any core error).
// Dropping still takes every beat of the burst in flight (AXI4 has no way to cancel a burst), with
// rready high, then the reader is idle again; a new request waits (req_ready low) until then, so a run
// after a cancel never sees a stale beat.
//
// Timing: the burst bookkeeping works from registers only. The next burst's length (`blen`: the beats
// left, the 4 KB boundary and MAX_BURST) is registered from the address and the beats left, so it is
// ready one cycle after either changes (`blen_ok`); a burst is asked for at most every other cycle anyway
// (AR is held at least one cycle). The end of a request is seen one cycle after its last beat, from the
// registered counts. Computing both in the cycle that uses them chained two 24-bit subtractions, the
// length's compares and a 24-bit equality into `active` (docs/timing.md). Each costs one cycle per request,
// none per beat.

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
    input  wire                 req_pair,     // the request may come as pairs of bursts (port side: the interleave)

    output logic                out_valid,
    input  wire                 out_ready,
    output logic [127:0]        out_data,     // byte i of the beat at [8*i +: 8]
    output logic                out_last,     // last beat of the request (of the two, with out_pair)
    output logic                out_pair,     // out_data2 holds the beat MAX_BURST beats after out_data
    output logic [127:0]        out_data2,
    output logic                out_pair_end, // with out_pair: the pair's last beats

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
    output logic                m_axi_rready,
    // the interleave's pair sideband (bg_axi_read_interleave; tie rpair low on a plain AXI4 port)
    output logic                m_axi_arpair,
    input  wire                 m_axi_rpair,
    input  wire  [127:0]        m_axi_rdata2,
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire  [1:0]          m_axi_rresp2  // bit 0 (EXOKAY) does not occur on a normal read
    /* verilator lint_on UNUSEDSIGNAL */
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
    localparam logic [9:0] PAIRB = 10'(2 * MAX_BURST);   // beats of a pair of full bursts
    // a pair's first needs room for two bursts: fewer than OUTSTANDING - 1 in flight (no pairs below 2)
    localparam logic [3:0] MAXO_PAIR = (OUTSTANDING >= 2) ? 4'(OUTSTANDING - 1) : 4'd1;

    logic              active, drop, ar_pending;
    logic [ADDR_W-1:0] addr, ar_addr;   // next burst's address; the address on AR
    logic [7:0]        ar_len;
    logic [23:0]       rem_ar;          // beats of the request not yet put in a burst
    logic [23:0]       rem_r;           // beats of the request not yet received
    logic [3:0]        bursts;          // bursts prepared whose last beat has not arrived
    logic [8:0]        blen;            // beats of the next burst (0: none left), from addr and rem_ar
    logic              blen_ok;         // blen is that of the present addr and rem_ar
    logic              pairing;         // the request may come as pairs
    logic              pair_ok;         // the next two bursts are full and can be a pair (from addr, rem_ar)
    logic              pair_second;     // the next burst is a pair's second
    logic              ar_pair;         // the burst on AR is a pair's first

    // Beats left before the 4 KB boundary: 256 - addr[11:4].
    logic [8:0] to_4k;
    assign to_4k = 9'd256 - {1'b0, addr[11:4]};

    always_ff @(posedge clk) begin
        blen <= MAXB;
        if (to_4k < MAXB) blen <= to_4k;
        if (rem_ar < {15'd0, ((to_4k < MAXB) ? to_4k : MAXB)}) blen <= rem_ar[8:0];
        // MAX_BURST 256 never pairs (to_4k is at most 256); one burst in flight cannot hold a pair
        pair_ok <= pairing && OUTSTANDING >= 2 && rem_ar >= 24'(PAIRB) && {1'b0, to_4k} >= PAIRB;
    end

    logic issue, issue_first, beat, bad_beat, finished;
    logic [1:0] beats_in;   // beats taken this cycle: 0, 1 or 2 (a pair)
    // A new burst: its length is known, AR is free, the request is not dropped, beats remain to be asked
    // for (blen is 0 exactly when none remain) and fewer than OUTSTANDING bursts are in flight (two
    // fewer for a pair's first); or a pair's second, which was counted with its first.
    assign issue_first = active && blen_ok && !ar_pending && !drop && !cancel && !pair_second && blen != 9'd0 &&
                         (pair_ok ? bursts < MAXO_PAIR : bursts < MAXO);
    assign issue    = issue_first || (active && blen_ok && !ar_pending && pair_second);
    assign beat     = m_axi_rvalid && m_axi_rready;
    assign bad_beat = beat && (m_axi_rresp[1] || (m_axi_rpair && m_axi_rresp2[1]));
    assign beats_in = !beat ? 2'd0 : m_axi_rpair ? 2'd2 : 2'd1;
    // Every beat put in a burst has arrived and no more are to be asked for: the request is over.
    assign finished = rem_r == rem_ar && !pair_second && (drop || rem_ar == 24'd0);

    assign req_ready     = !active;
    assign busy          = active;
    assign m_axi_arid    = 1'b0;
    assign m_axi_araddr  = ar_addr;
    assign m_axi_arlen   = ar_len;
    assign m_axi_arsize  = 3'd4;      // 16 bytes per beat
    assign m_axi_arburst = 2'b01;     // INCR
    assign m_axi_arvalid = ar_pending;
    assign m_axi_arpair  = ar_pair;
    assign m_axi_rready  = active && (drop || out_ready);

    assign out_valid = active && !drop && m_axi_rvalid && !m_axi_rresp[1] && !(m_axi_rpair && m_axi_rresp2[1]);
    assign out_data  = m_axi_rdata;
    assign out_last  = rem_r == (m_axi_rpair ? 24'd2 : 24'd1);
    assign out_pair  = m_axi_rpair;
    assign out_data2 = m_axi_rdata2;
    assign out_pair_end = m_axi_rlast;
    // Not in the cycle that sees a finished request: it no longer waits.
    assign waiting   = active && !drop && !m_axi_rvalid && rem_r != 24'd0;

    always_ff @(posedge clk) begin : p_seq
        if (rst) begin
            active     <= 1'b0;
            drop       <= 1'b0;
            ar_pending <= 1'b0;
            err        <= 1'b0;
            blen_ok    <= 1'b0;
            pair_second <= 1'b0;
            ar_pair    <= 1'b0;
        end else begin
            err <= 1'b0;
            blen_ok <= !issue;
            if (!active) begin
                if (req_valid && req_beats != 24'd0) begin
                    active     <= 1'b1;
                    drop       <= 1'b0;
                    ar_pending <= 1'b0;
                    blen_ok    <= 1'b0;
                    pairing    <= req_pair;
                    pair_second <= 1'b0;
                    addr       <= {req_addr[ADDR_W-1:4], 4'd0};
                    rem_ar     <= req_beats;
                    rem_r      <= req_beats;
                    bursts     <= 4'd0;
                end
            end else if (finished) begin
                active <= 1'b0;
            end else begin
                if (ar_pending && m_axi_arready) ar_pending <= 1'b0;
                // AR stays valid until taken, as AXI4 requires, even if the request is dropped meanwhile.
                if (issue) begin
                    ar_pending <= 1'b1;
                    ar_addr    <= addr;
                    ar_len     <= blen[7:0] - 8'd1;   // 256 beats: 0 - 1 wraps to 255, as it should
                    ar_pair    <= issue_first && pair_ok;
                    pair_second <= issue_first && pair_ok;
                    addr       <= addr + {{(ADDR_W-13){1'b0}}, blen, 4'd0};
                    rem_ar     <= rem_ar - {15'd0, blen};
                end
                rem_r <= rem_r - {22'd0, beats_in};
                bursts <= bursts + {3'd0, issue} - (m_axi_rlast ? {2'd0, beats_in} : 4'd0);
                if (bad_beat && !drop && !cancel) err <= 1'b1;
                if (cancel || bad_beat) drop <= 1'b1;
            end
        end
    end

endmodule

`default_nettype wire
