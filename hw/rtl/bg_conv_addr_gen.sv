// bg_conv_addr_gen: the address generator of one pass of a layer (one block of output channels): walks
// the output pixels and, per pixel, the taps of its window, one transfer per beat on a valid/ready
// output, at most one per cycle.
//
// The walk (loops from the outermost): output row oy < out_h, output column ox < out_w, window row
// wy < win_h, window column wx < win_w, inner block ib < nib. The input pixel of a tap is
// (iy, ix) = (oy*stride - pad_top + wy, ox*stride - pad_left + wx); a tap outside 0..in_h-1 x 0..in_w-1
// is padding (`out_zero`: the beat's activations are zeros; its address is then meaningless). Per mode:
//   conv, dense (0): source word (iy*in_w + ix)*cbin + ib, weight tile (wy*win_w + wx)*nib + ib: one beat
//                    per tap and input channel block (nib = cbin); dense is a 1x1 conv on a 1x1 map;
//   max-pool    (2): source word (iy*in_w + ix)*cbin + ob: one beat per window tap (nib = 1), block ob;
//                    where the windows overlap along the row by at most the stride (stride < win_w <=
//                    2*stride: the 3x3 pool of stride 2), every window but a row's first skips the
//                    win_w - stride columns it shares with the window before (`out_resume` on its first
//                    beat), and the taps of the columns the next window shares are marked `out_keep`
//                    (`out_keep_first` on the first of them): bg_maxpool carries their maximum over, so the
//                    pool reads 6 taps per window instead of 9;
//   global average pool (3): as max-pool, with the window the whole map (win = in, stride 1, no padding);
//   stem        (1): one transfer per output pixel, carrying only the window's origin
//                    (`out_iy0`, `out_ix0` = oy*stride - pad_top, ox*stride - pad_left) and the tag:
//                    bg_stem_window reads the whole window and issues its beats itself.
// Every transfer carries the tag (oy*out_w + ox)*cob + ob, the destination word of the output pixel in
// block ob; `out_first` / `out_last` mark the first and last beat of an output pixel (wy, wx, ib all
// zero / all at their ends; a pool window that skips its shared columns starts at its first new column).
// The weight tile counts the beats of the pixel (it is the tap's (wy*win_w + wx)*nib + ib where no column
// is skipped). Addresses, tiles and tags are taken modulo 2^ADDR_W, 2^TILE_W, 2^TAG_W: the
// loader checks that every tensor and the tiles of a block fit (bg_core, error 5).
//
// `start` (one cycle) begins the pass of block `start_ob` at pixel (0, 0), tap (0, 0, 0); `busy` is high
// from the next cycle until the last transfer of the pass (busy low: the pass is walked), and the first
// transfer is offered 4 cycles after `start` (out_valid rises in the fourth cycle after it). The
// configuration must hold from `start` until busy falls; counts (in_h ... nib) are 1..65535 (0 would
// wrap), stride 1..255. A `start` during a pass abandons it.
//
// No multiply is in the walk's cycle (products of the counters in series into the slot RAM's read
// address would be the core's longest path, docs/timing.md): every address is stepped by an addition as
// the walk advances, from bases kept for the current tap, window column, window row, output pixel and
// output row:
//   next inner block  tap + 1                 next window column  column + cbin
//   next window row   row + in_w*cbin         next output pixel   pixel + stride*cbin
//   next output row   output row + stride*in_w*cbin
//   next pool window that skips its shared columns: pixel + (stride + skip)*cbin
// The three step products and the pass's first address, (-pad_top*in_w - pad_left)*cbin + block, are
// computed once per pass, in start's cycle and the two after it, one multiply or one addition per
// register: the first level's products from the configuration (registers in bg_core), the second level's
// from a registered first-level product, then the first address as the sum of registered terms. The
// padding test compares the stepped coordinates (iy, ix), the weight tile counts the beats of the pixel,
// the tag adds cob per pixel.
//
// Stages: the walk register (the next beat's counters, bases and coordinates) | the output register,
// which holds the beat on the ports, with a second (skid) entry behind it. The walk advances whenever the
// skid entry is empty, so it never waits on out_ready in the same cycle; with out_ready high the output
// register is taken and refilled every cycle (one transfer per cycle), and when out_ready falls the beat
// already on its way lands in the skid entry. The outputs are registers, stable while out_valid waits.

`default_nettype none

module bg_conv_addr_gen #(
    parameter int ADDR_W = 12,  // source word address bits (the slot's words), 1..32
    parameter int TILE_W = 7,   // weight tile index bits (tiles of one weight buffer half), 1..32
    parameter int TAG_W  = 12   // tag bits (destination word address), 1..32
) (
    input  wire                  clk,
    input  wire                  rst,          // synchronous, active high: ends the pass

    /* Layer configuration: stable from start until busy falls */
    input  wire  [1:0]           cfg_mode,     // 0 conv/dense, 1 stem (window origins), 2 max-pool, 3 gap
    input  wire  [7:0]           cfg_stride,
    input  wire  [7:0]           cfg_pad_top,
    input  wire  [7:0]           cfg_pad_left,
    input  wire  [15:0]          cfg_in_h,
    input  wire  [15:0]          cfg_in_w,
    /* verilator lint_off UNUSEDSIGNAL */
    // cbin, cob and start_ob only ever enter sums taken modulo 2^ADDR_W or 2^TAG_W: with narrower ports
    // their high bits are unused on purpose.
    input  wire  [15:0]          cfg_cbin,     // channel blocks (words per pixel) of the source
    input  wire  [15:0]          cfg_out_h,
    input  wire  [15:0]          cfg_out_w,
    input  wire  [15:0]          cfg_cob,      // channel blocks of the destination
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire  [15:0]          cfg_win_h,    // window rows (kernel; the map for gap)
    input  wire  [15:0]          cfg_win_w,
    input  wire  [15:0]          cfg_nib,      // inner blocks per tap: cbin for conv, 1 otherwise

    /* Pass control */
    input  wire                  start,        // one cycle: walk the pass of output block start_ob
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire  [15:0]          start_ob,     // (high bits: as cfg_cbin)
    /* verilator lint_on UNUSEDSIGNAL */
    output logic                 busy,         // the pass is being walked (transfers still to come)

    /* Beats (modes 0, 2, 3) or window origins (mode 1) */
    output logic                 out_valid,
    input  wire                  out_ready,
    output logic [ADDR_W-1:0]    out_addr,     // source word of the tap
    output logic                 out_zero,     // the tap is padding
    output logic [TILE_W-1:0]    out_tile,     // weight tile of the tap and inner block
    output logic                 out_first,    // first beat of the output pixel
    output logic                 out_last,     // last beat of the output pixel
    output logic                 out_resume,   // max-pool: the first beat of a window that skips its shared columns
    output logic                 out_keep,     // max-pool: a tap of the columns the next window shares
    output logic                 out_keep_first, // the first such tap of the window
    output logic [TAG_W-1:0]     out_tag,      // destination word of the output pixel in block ob
    output logic signed [31:0]   out_iy0,      // window origin row: oy*stride - pad_top
    output logic signed [31:0]   out_ix0       // window origin column: ox*stride - pad_left
);

    // ---- parameter checks (elaboration time) ----
    if (ADDR_W < 1 || ADDR_W > 32) begin : g_bad_addr_w
        $error("bg_conv_addr_gen: ADDR_W must be in 1..32");
    end
    if (TILE_W < 1 || TILE_W > 32) begin : g_bad_tile_w
        $error("bg_conv_addr_gen: TILE_W must be in 1..32");
    end
    if (TAG_W < 1 || TAG_W > 32) begin : g_bad_tag_w
        $error("bg_conv_addr_gen: TAG_W must be in 1..32");
    end

    localparam logic [1:0] M_STEM = 2'd1, M_POOL = 2'd2, M_GAP = 2'd3;   // 0: conv and dense
    // Coordinate bits: |oy*stride + wy - pad_top| <= 65534*255 + 65534 < 2^24 with 16-bit counts and
    // 8-bit stride and padding, so 26 signed bits hold every coordinate and the sums that step them.
    localparam int CW = 26;
    localparam int AW = ADDR_W;

    typedef logic [AW-1:0] addr_t;
    typedef logic signed [CW-1:0] coord_t;

    // One transfer as it sits in the output register or the skid entry.
    typedef struct packed {
        addr_t             addr;
        logic              zero;
        logic [TILE_W-1:0] tile;
        logic              first;
        logic              last;
        logic              resume;
        logic              keep;
        logic              keep_first;
        logic [TAG_W-1:0]  tag;
        coord_t            iy0;
        coord_t            ix0;
    } beat_t;

    logic stem;
    assign stem = cfg_mode == M_STEM;

    // ---- per-pass constants (from start: first-level products | second level | the first address) ----
    logic        setup, setup2;              // the two cycles after start
    addr_t       k_pitch, k_sx, k_sy;        // in_w*cbin, stride*cbin, stride*in_w*cbin
    addr_t       k_block, k_left;            // block (pools: the slot word of block ob), pad_left*cbin
    addr_t       k_base;                     // block - pad_left*cbin: the address of (0, -pad_left)
    addr_t       k_top;                      // -pad_top*in_w*cbin: the address of row -pad_top
    logic [15:0] k_nib1, k_ww1, k_wh1, k_ow1;  // the counts minus one: the counters' reload values
    coord_t      k_ix_first;                 // -pad_left: the first column of every output row
    logic        k_reuse;                    // pool windows skip the columns shared with the window before
    logic [15:0] k_skip, k_skip1, k_wws1;    // win_w - stride (the shared columns), that minus one, stride - 1
    addr_t       k_skipw, k_sx_skip;         // skip*cbin; (stride + skip)*cbin: the next skipping window's first tap

    // ---- the walk register: the next beat to enter the output stage ----
    logic        w_valid;                    // beats of the pass left to walk
    logic [15:0] ib_left, wx_left, wy_left, ox_left, oy_left;  // steps left in each loop
    coord_t      iy, ix;                     // the tap's input pixel
    coord_t      iy0, ix0;                   // the window origin of the output pixel
    coord_t      ixw;                        // the window's first walked column (ix0, or ix0 + skip)
    logic        skipw;                      // the window skips its shared columns
    addr_t       a_tap, a_col, a_row, a_pix, a_orow;  // source words of the tap, and of the first tap of
                                             // its window column, window row, output pixel, output row
    logic [TILE_W-1:0] tile;
    logic [TAG_W-1:0]  tag;
    logic        first;

    // ---- output register and skid entry ----
    logic        o_valid, s_valid;
    beat_t       o_beat, s_beat, w_beat;
    logic        push, take;

    assign push = w_valid && !s_valid;       // the walk advances: a registered condition only
    assign take = o_valid && out_ready;

    // The beat of the walk register (no arithmetic beyond the padding test's compares: negative
    // coordinates read as large unsigned numbers, so one unsigned compare per axis covers both borders).
    logic end_ib, end_wx, end_wy, end_ox, end_oy, pix_end;
    assign end_ib  = ib_left == 16'd0;
    assign end_wx  = wx_left == 16'd0;
    assign end_wy  = wy_left == 16'd0;
    assign end_ox  = ox_left == 16'd0;
    assign end_oy  = oy_left == 16'd0;
    assign pix_end = stem || (end_ib && end_wx && end_wy);   // the pixel's last beat (stem: every transfer)

    always_comb begin
        w_beat.addr  = a_tap;
        w_beat.zero  = $unsigned(iy) >= CW'(cfg_in_h) || $unsigned(ix) >= CW'(cfg_in_w);
        w_beat.tile  = tile;
        w_beat.first = first;
        w_beat.last  = end_ib && end_wx && end_wy;
        w_beat.resume = first && skipw;
        w_beat.keep  = k_reuse && wx_left < k_skip;
        w_beat.keep_first = k_reuse && wx_left == k_skip1 && wy_left == k_wh1;
        w_beat.tag   = tag;
        w_beat.iy0   = iy0;
        w_beat.ix0   = ix0;
    end

    // The sums of the walk's steps (each feeds one or more bases; see the step below).
    addr_t  n_tap, n_col, n_row, n_pix, n_pix_skip, n_orow;
    coord_t iy0_next, ix0_next, ix_skip_next;
    assign n_tap    = a_tap + addr_t'(1);
    assign n_col    = a_col + addr_t'(cfg_cbin);
    assign n_row    = a_row + k_pitch;
    assign n_pix    = a_pix + k_sx;
    assign n_pix_skip = a_pix + k_sx_skip;
    assign n_orow   = a_orow + k_sy;
    assign iy0_next = iy0 + CW'(cfg_stride);
    assign ix0_next = ix0 + CW'(cfg_stride);
    assign ix_skip_next = ix0 + CW'(cfg_win_w);   // the next window's first new column: + stride + skip

    // The first address of the pass, (-pad_top)*pitch + block - pad_left*cbin, from registered terms.
    addr_t first_addr;
    assign first_addr = k_top + k_base;

    always_ff @(posedge clk) begin
        if (rst) begin
            setup   <= 1'b0;
            setup2  <= 1'b0;
            w_valid <= 1'b0;
        end else if (start) begin
            setup   <= 1'b1;
            setup2  <= 1'b0;
            w_valid <= 1'b0;
        end else if (setup) begin
            setup   <= 1'b0;
            setup2  <= 1'b1;
        end else if (setup2) begin
            setup2  <= 1'b0;
            w_valid <= 1'b1;
        end else if (push && pix_end && end_ox && end_oy) begin
            w_valid <= 1'b0;                 // the pass's last beat leaves the walk
        end
    end

    always_ff @(posedge clk) begin
        if (start) begin
            // first-level products and the counters of pixel (0, 0), tap (0, 0, 0)
            k_pitch    <= addr_t'(cfg_in_w) * addr_t'(cfg_cbin);
            k_sx       <= addr_t'(cfg_stride) * addr_t'(cfg_cbin);
            k_block    <= (cfg_mode == M_POOL || cfg_mode == M_GAP) ? addr_t'(start_ob) : addr_t'(0);
            k_left     <= addr_t'(cfg_pad_left) * addr_t'(cfg_cbin);
            k_nib1     <= cfg_nib - 16'd1;
            k_ww1      <= cfg_win_w - 16'd1;
            k_wh1      <= cfg_win_h - 16'd1;
            k_ow1      <= cfg_out_w - 16'd1;
            k_ix_first <= -CW'(cfg_pad_left);
            k_reuse    <= cfg_mode == M_POOL && cfg_win_w > {8'd0, cfg_stride}
                          && {1'b0, cfg_win_w} <= {8'd0, cfg_stride, 1'b0};
            k_skip     <= cfg_win_w - {8'd0, cfg_stride};
            k_skip1    <= cfg_win_w - {8'd0, cfg_stride} - 16'd1;
            k_wws1     <= {8'd0, cfg_stride} - 16'd1;
            skipw      <= 1'b0;
            ixw        <= -CW'(cfg_pad_left);
            ib_left    <= cfg_nib - 16'd1;
            wx_left    <= cfg_win_w - 16'd1;
            wy_left    <= cfg_win_h - 16'd1;
            ox_left    <= cfg_out_w - 16'd1;
            oy_left    <= cfg_out_h - 16'd1;
            iy0        <= -CW'(cfg_pad_top);
            iy         <= -CW'(cfg_pad_top);
            ix0        <= -CW'(cfg_pad_left);
            ix         <= -CW'(cfg_pad_left);
            tile       <= '0;
            tag        <= TAG_W'(start_ob);
            first      <= 1'b1;
        end else if (setup) begin
            k_sy   <= addr_t'(cfg_stride) * k_pitch;
            k_top  <= addr_t'(iy0) * k_pitch;
            k_base <= k_block - k_left;
            k_skipw <= addr_t'(k_skip) * addr_t'(cfg_cbin);
        end else if (setup2) begin
            k_sx_skip <= k_sx + k_skipw;
            a_tap  <= first_addr;
            a_col  <= first_addr;
            a_row  <= first_addr;
            a_pix  <= first_addr;
            a_orow <= first_addr;
        end else if (push) begin
            if (!pix_end) begin
                // within the output pixel: the next inner block, window column or window row
                first <= 1'b0;
                tile  <= tile + TILE_W'(1);
                if (!end_ib) begin
                    ib_left <= ib_left - 16'd1;
                    a_tap   <= n_tap;
                end else if (!end_wx) begin
                    ib_left <= k_nib1;
                    wx_left <= wx_left - 16'd1;
                    ix      <= ix + CW'(1);
                    a_tap   <= n_col;
                    a_col   <= n_col;
                end else begin
                    ib_left <= k_nib1;
                    wx_left <= skipw ? k_wws1 : k_ww1;
                    wy_left <= wy_left - 16'd1;
                    iy      <= iy + CW'(1);
                    ix      <= ixw;
                    a_tap   <= n_row;
                    a_col   <= n_row;
                    a_row   <= n_row;
                end
            end else begin
                // the next output pixel: its window's first tap
                first   <= 1'b1;
                tile    <= '0;
                tag     <= tag + TAG_W'(cfg_cob);
                ib_left <= k_nib1;
                wx_left <= k_ww1;
                wy_left <= k_wh1;
                if (!end_ox) begin
                    ox_left <= ox_left - 16'd1;
                    ix0     <= ix0_next;
                    iy      <= iy0;
                    a_pix   <= n_pix;
                    skipw   <= k_reuse;
                    if (k_reuse) begin
                        wx_left <= k_wws1;
                        ix      <= ix_skip_next;
                        ixw     <= ix_skip_next;
                        a_tap   <= n_pix_skip;
                        a_col   <= n_pix_skip;
                        a_row   <= n_pix_skip;
                    end else begin
                        ix      <= ix0_next;
                        ixw     <= ix0_next;
                        a_tap   <= n_pix;
                        a_col   <= n_pix;
                        a_row   <= n_pix;
                    end
                end else begin
                    skipw   <= 1'b0;
                    ixw     <= k_ix_first;
                    ox_left <= k_ow1;
                    oy_left <= oy_left - 16'd1;
                    iy0     <= iy0_next;
                    iy      <= iy0_next;
                    ix0     <= k_ix_first;
                    ix      <= k_ix_first;
                    a_tap   <= n_orow;
                    a_col   <= n_orow;
                    a_row   <= n_orow;
                    a_pix   <= n_orow;
                    a_orow  <= n_orow;
                end
            end
        end
    end

    // ---- output register with a skid entry ----
    // push and take are independent: a pushed beat goes to the output register when it is empty or
    // being taken (and the skid entry is empty, as push requires), else to the skid entry; a taken beat
    // is replaced by the skid entry's when there is one.
    always_ff @(posedge clk) begin
        if (rst || start) begin
            o_valid <= 1'b0;
            s_valid <= 1'b0;
        end else begin
            if (take || !o_valid) begin
                if (s_valid) begin
                    o_beat  <= s_beat;
                    o_valid <= 1'b1;
                    s_valid <= 1'b0;
                end else begin
                    o_beat  <= w_beat;
                    o_valid <= push;
                end
            end else if (push) begin
                s_beat  <= w_beat;
                s_valid <= 1'b1;
            end
        end
    end

    assign busy      = setup || setup2 || w_valid || o_valid || s_valid;
    assign out_valid = o_valid;
    assign out_addr  = o_beat.addr;
    assign out_zero  = o_beat.zero;
    assign out_tile  = o_beat.tile;
    assign out_first = o_beat.first;
    assign out_last  = o_beat.last;
    assign out_resume = o_beat.resume;
    assign out_keep  = o_beat.keep;
    assign out_keep_first = o_beat.keep_first;
    assign out_tag   = o_beat.tag;
    assign out_iy0   = 32'(o_beat.iy0);
    assign out_ix0   = 32'(o_beat.ix0);

endmodule

`default_nettype wire
