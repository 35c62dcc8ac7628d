// bg_stem_window: the input patch buffer and window loader of the stem (taps on lanes): takes a window
// origin per output pixel, reads the whole STEM_K x STEM_K window of the patch in one cycle and issues it
// as beats of P taps, at one beat per cycle.
//
// Patch buffer: the single-channel patch, P pixels (bytes) per word, row y's word w (pixels w*P ..
// w*P+P-1) written by `in_we` with in_row = y, in_wir = w. It is banked: RB = 8 row banks (row mod 8) x
// NW word banks (word mod NW), NW = 2, or 4 when P < STEM_K - 1, each a bg_sdp_ram of SLOT_BYTES / P /
// (8*NW) words. Any STEM_K <= 8 consecutive rows lie in distinct row banks and any STEM_K consecutive
// pixels of a row in NW consecutive words (NW*P >= P + STEM_K - 1), so one read of all banks yields a
// whole window. The patch must fit: its rows rounded up to 8, times cfg_wpr words, at most
// SLOT_BYTES / P; cfg_wpr is a multiple of NW (bg_core checks both, error 5).
//
// A request (req_valid/req_ready) names the window origin (req_iy0, req_ix0), which may lie left of or
// above the patch (padding), and a tag. Stages: the origin's row and word blocks (one multiply) | the
// banks' read addresses, one register per bank (the origin's address arithmetic and the fan-out to every
// bank's block RAMs do not share a cycle) | the read of all banks | the next window `wn`: the banks'
// words as read | the extraction into the current window `wc`, from which the beats issue. Window tap
// t = ky*STEM_K + kx is the pixel (iy0 + ky, ix0 + kx), zero outside 0..cfg_in_h-1 x 0..cfg_in_w-1;
// taps t >= STEM_K^2 are zero. Beat b (b < cfg_ntb) carries taps b*P .. b*P+P-1 (tap b*P + l on lane l,
// the program's weight layout for taps on lanes), `out_tb` = b (the weight tile), `out_first` on b = 0,
// `out_last` on b = cfg_ntb - 1, and the request's tag. The next window loads while the current one's
// beats issue, so with a steady stream of requests the output runs at one beat per cycle and one window
// per max(cfg_ntb, 2) cycles.
//
// cfg_ntb is 1..64/P (the window register holds 64 taps); cfg_in_h, cfg_in_w, cfg_wpr, cfg_ntb are held
// while the buffer is written or read. Writes are independent of the requests (bg_core writes the
// patch before the stem runs).

`default_nettype none

module bg_stem_window #(
    parameter int P          = 16,     // pixels per word and taps per beat: 4, 8, 16, 32 or 64
    parameter int STEM_K     = 7,      // window side, 1..8
    parameter int SLOT_BYTES = 65536,  // patch buffer bytes, a power of two, 64*P .. 2^24
    parameter int TAG_W      = 12      // tag bits, 1..64
) (
    input  wire                   clk,
    input  wire                   rst,          // synchronous, active high: drops the windows in flight

    /* Patch geometry */
    input  wire  [15:0]           cfg_in_h,     // patch rows
    input  wire  [15:0]           cfg_in_w,     // patch columns
    input  wire  [15:0]           cfg_wpr,      // words per patch row, a multiple of NW
    input  wire  [15:0]           cfg_ntb,      // beats per window, 1..64/P

    /* Patch writes */
    input  wire                   in_we,        // word in_wir of row in_row
    input  wire  [15:0]           in_row,
    input  wire  [15:0]           in_wir,
    input  wire  [8*P-1:0]        in_data,      // pixel in_wir*P + i at [8*i +: 8]

    /* Window requests */
    input  wire                   req_valid,
    output logic                  req_ready,
    input  wire signed [31:0]     req_iy0,      // window origin (row, column) in the patch
    input  wire signed [31:0]     req_ix0,
    input  wire  [TAG_W-1:0]      req_tag,

    /* Beats */
    output logic                  out_valid,
    input  wire                   out_ready,
    output logic [8*P-1:0]        out_act,      // tap out_tb*P + l at [8*l +: 8]
    output logic [15:0]           out_tb,       // beat index in the window (the weight tile)
    output logic                  out_first,
    output logic                  out_last,
    output logic [TAG_W-1:0]      out_tag,

    output logic                  busy          // a window is being read, waits or issues beats
);

    // ---- parameter checks (elaboration time) ----
    if (P != 4 && P != 8 && P != 16 && P != 32 && P != 64) begin : g_bad_p
        $error("bg_stem_window: P must be 4, 8, 16, 32 or 64");
    end
    if (STEM_K < 1 || STEM_K > 8) begin : g_bad_stem_k
        $error("bg_stem_window: STEM_K must be in 1..8");
    end
    if (SLOT_BYTES < 64 * P || SLOT_BYTES > (1 << 24) || (SLOT_BYTES & (SLOT_BYTES - 1)) != 0) begin : g_bad_sb
        $error("bg_stem_window: SLOT_BYTES must be a power of two in 64*P..16777216");
    end
    if (TAG_W < 1 || TAG_W > 64) begin : g_bad_tag_w
        $error("bg_stem_window: TAG_W must be in 1..64");
    end

    localparam int LP  = $clog2(P);               // pixel-in-word bits
    localparam int RB  = 8;                       // row banks (>= STEM_K, a power of two)
    localparam int RBW = 3;
    localparam int NW  = (P >= STEM_K - 1) ? 2 : 4;   // word banks: words a STEM_K-pixel row span can touch
    localparam int NWW = (NW == 2) ? 1 : 2;
    localparam int D0  = SLOT_BYTES / P / (RB * NW);  // words per bank
    localparam int A0  = $clog2(D0);
    localparam int TW  = 64;                      // window bytes: STEM_K^2 taps, padded to whole beats

    // ---- patch buffer: RB x NW banks ----
    logic [8*P-1:0] in_rd [RB][NW];
    logic           l_issue, a_valid;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [31:0]    in_waddr32;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [A0-1:0]  a_raddr [RB][NW];       // the address stage: each bank's read address, registered
    logic [15:0]    wpr_nw;                 // words per row in one word bank
    assign wpr_nw     = cfg_wpr >> NWW;
    assign in_waddr32 = {16'd0, in_row >> RBW} * {16'd0, wpr_nw} + {16'd0, in_wir >> NWW};

    for (genvar b = 0; b < RB; b++) begin : g_rowbank
        for (genvar j = 0; j < NW; j++) begin : g_wordbank
            bg_sdp_ram #(.WIDTH(8 * P), .DEPTH(D0)) u_ram (
                .clk(clk),
                .we(in_we && in_row[RBW-1:0] == b[RBW-1:0] && in_wir[NWW-1:0] == j[NWW-1:0]),
                .waddr(in_waddr32[A0-1:0]), .wdata(in_data),
                .re(a_valid), .raddr(a_raddr[b][j]), .rdata(in_rd[b][j]));
        end
    end

    // The banks read whenever the address stage holds a window (`a_valid`, a register), not only in the
    // cycle that issues it (`l_issue`): only the read of the issuing cycle is kept (`n_rd` takes `in_rd`
    // when `l_pend`), and the enable of all RB x NW banks no longer hangs on the beat counter's compare
    // and the ready chain behind `l_issue` (the core's longest ECP5 path with the prefetch, 10.4 ns).

    // ---- block stage (q_valid), address stage (a_valid), window read (l_issue), the words read (l_pend)
    // into wn, extraction into wc, beats from wc ----
    logic            q_valid, q_move, a_ready, l_pend, wn_valid, wc_valid, wc_load, s_last, adv_s;
    logic            req_take;
    logic signed [31:0] q_iy0, q_ix0, a_iy0, a_ix0, w0_s;
    logic [TAG_W-1:0] q_tag, a_tag, l_tag, wn_tag, wc_tag;
    logic [8*TW-1:0] wc, win;
    logic [15:0]     tb, tb_next;
    logic [15:0]     ntb_last;   // cfg_ntb - 1, registered

    // `s_last` (the current beat is the window's last) is a register: it gates the load of the whole
    // window register `wc`, and computed in the cycle from cfg_ntb and tb it made the longest path of an
    // ECP5 place and route (11.0 ns, the configuration's subtract and compare into wc's enables;
    // docs/timing.md). It is the compare of the next cycle's tb with cfg_ntb - 1, both registered: the
    // configuration is held from before a pass's first request, and its first beat comes 5 cycles later.
    assign tb_next   = !adv_s ? tb : s_last ? 16'd0 : tb + 16'd1;
    assign adv_s     = wc_valid && out_ready;
    assign wc_load   = wn_valid && (!wc_valid || (adv_s && s_last));
    assign a_ready   = !l_pend && (!wn_valid || wc_load);
    assign l_issue   = a_valid && a_ready;
    assign q_move    = q_valid && (!a_valid || a_ready);
    assign req_ready = !q_valid || (!a_valid || a_ready);
    assign req_take  = req_valid && req_ready;
    assign w0_s      = req_ix0 >>> LP;   // first word of the window's columns (floor, so negative at the left)

    // Bank (b, j) holds, of the window's rows iy0 .. iy0+RB-1, the one that is b mod RB, and of its words
    // w0 .. w0+NW-1 the one that is j mod NW: row block iy0 div RB, one more where b < iy0 mod RB; word
    // w0 div NW, one more where j < w0 mod NW. Addresses are taken mod D0 (A0 bits): a row or word
    // outside the patch reads any word, which the extraction replaces by zero.
    logic [A0-1:0]  q_row, q_word;   // the first row's block times the bank's row, the first word's block
    logic [RBW-1:0] q_rsel;          // iy0 mod RB
    logic [NWW-1:0] q_wsel;          // w0 mod NW

    always_ff @(posedge clk) begin
        if (req_take) begin
            q_row  <= A0'(req_iy0 >>> RBW) * A0'(wpr_nw);
            q_word <= A0'(w0_s >>> NWW);
            q_rsel <= req_iy0[RBW-1:0];
            q_wsel <= w0_s[NWW-1:0];
            q_iy0  <= req_iy0;
            q_ix0  <= req_ix0;
            q_tag  <= req_tag;
        end
        if (q_move) begin
            for (int b = 0; b < RB; b++) begin
                for (int j = 0; j < NW; j++) begin
                    a_raddr[b][j] <= q_row + ((b < 32'(q_rsel)) ? A0'(wpr_nw) : A0'(0))
                                 + q_word + ((j < 32'(q_wsel)) ? A0'(1) : A0'(0));
                end
            end
            a_iy0 <= q_iy0;
            a_ix0 <= q_ix0;
            a_tag <= q_tag;
        end
    end

    // The next window, `wn`, is the banks' words as read (RB x NW words, registered the cycle after the
    // read) with the selects and masks of its extraction, registered with the read from the address
    // stage's origin (a read is issued only when `wn` is empty or handed to `wc` in that cycle, so they
    // never overwrite a window still waiting). The extraction runs from those registers into the current
    // window `wc`: window tap t = ky*STEM_K + kx, zero outside the patch; row ky lies in row bank
    // (iy0 + ky) mod RB, word j of its columns in word bank (w0 + j) mod NW, tap column kx at byte
    // (ix0 mod P) + kx of those NW words.
    // (The extraction straight from the block RAMs' outputs was the core's longest path on the ECP5.)
    logic [8*P-1:0]  n_rd [RB][NW];     // the banks' words as read
    logic [RBW-1:0]  n_rsel [STEM_K];   // the row bank of window row ky
    logic [NWW-1:0]  n_wsel [NW];       // the word bank of the window's word j
    logic [STEM_K-1:0] n_row_in, n_col_in;   // window row ky / column kx inside the patch
    logic [LP-1:0]   n_off;             // the first column's byte in its word
    logic [NWW-1:0]  a_w0_bank;         // (ix0 div P) mod NW: the word bank of the first column
    assign a_w0_bank = a_ix0[LP +: NWW];

    always_ff @(posedge clk) begin
        if (l_pend) n_rd <= in_rd;
        if (l_issue) begin
            for (int k = 0; k < STEM_K; k++) begin
                n_rsel[k]   <= RBW'(a_iy0[RBW-1:0] + RBW'(k));
                n_row_in[k] <= a_iy0 + k >= 0 && a_iy0 + k < $signed({16'd0, cfg_in_h});
                n_col_in[k] <= a_ix0 + k >= 0 && a_ix0 + k < $signed({16'd0, cfg_in_w});
            end
            for (int j = 0; j < NW; j++) begin
                n_wsel[j] <= a_w0_bank + NWW'(j);
            end
            n_off <= a_ix0[LP-1:0];
            l_tag <= a_tag;
        end
    end

    logic [8*NW*P-1:0] e_seg;
    always_comb begin
        win = '0;
        e_seg = '0;
        for (int ky = 0; ky < STEM_K; ky++) begin
            for (int j = 0; j < NW; j++) begin
                e_seg[8*P*j +: 8*P] = n_rd[n_rsel[ky]][n_wsel[j]];
            end
            for (int kx = 0; kx < STEM_K; kx++) begin
                if (n_row_in[ky] && n_col_in[kx]) begin
                    win[8*(ky*STEM_K + kx) +: 8] = e_seg[8*(32'(n_off) + 32'(kx)) +: 8];
                end
            end
        end
    end

    always_ff @(posedge clk) ntb_last <= cfg_ntb - 16'd1;

    always_ff @(posedge clk) begin
        if (rst) begin
            q_valid  <= 1'b0;
            a_valid  <= 1'b0;
            l_pend   <= 1'b0;
            wn_valid <= 1'b0;
            wc_valid <= 1'b0;
            tb       <= 16'd0;
            s_last   <= 1'b0;
        end else begin
            s_last   <= tb_next == ntb_last;
            if (req_take) begin
                q_valid <= 1'b1;
            end else if (q_move) begin
                q_valid <= 1'b0;
            end
            if (q_move) begin
                a_valid <= 1'b1;
            end else if (l_issue) begin
                a_valid <= 1'b0;
            end
            l_pend <= l_issue;
            if (l_pend) begin
                wn_tag   <= l_tag;
                wn_valid <= 1'b1;
            end else if (wc_load) begin
                wn_valid <= 1'b0;
            end
            if (wc_load) begin
                wc       <= win;
                wc_tag   <= wn_tag;
                wc_valid <= 1'b1;
            end else if (adv_s && s_last) begin
                wc_valid <= 1'b0;
            end
            tb <= tb_next;
        end
    end

    assign out_valid = wc_valid;
    assign out_act   = wc[8*P*tb +: 8*P];
    assign out_tb    = tb;
    assign out_first = tb == 16'd0;
    assign out_last  = s_last;
    assign out_tag   = wc_tag;
    assign busy      = q_valid || a_valid || l_pend || wn_valid || wc_valid;

endmodule

`default_nettype wire
