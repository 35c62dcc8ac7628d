// bg_layer_decode: one layer record of a core program (docs/core-program.md, "Layer record"; offsets,
// operations and flags from bg_program_pkg) decoded into the engine's pass configuration, with the
// checks that decide whether this core can run it. bg_core registers the record (three beats) and, when
// out_valid comes, the configuration.
//
// Timing: three register stages, so that no multiply meets a compare or the sequencer in one cycle
// (docs/timing.md, "What to pipeline"): 1 the fields' decode, bad_layer, and the first products
// (kernel^2, out_h*out_w, in_h*in_w); 2 the products with the channel blocks (tiles, out_words, in_words);
// 3 no_fit. The registers load every cycle from `rec`, so the outputs are those of the record `rec` has
// held for LATENCY cycles: `rec`, `is_last` and `slot_count` must stay unchanged from `in_valid` (the
// first cycle with the whole record) until `out_valid`, LATENCY cycles later. Outputs that are fields of
// the record as stored (op, src, offsets, shapes, shifts, formats) are wires from `rec`.
//
// Checks:
//   bad_layer (BAD_LAYER): an unknown operation or flag; a slot outside the program's slot_count; writing
//     slot 0 or the slot read; a residual that is not a convolution's or reads slot 0, src or dst; taps on
//     lanes exactly when the source is slot 0, and then only for a single-channel STEM_K x STEM_K conv; a
//     zero kernel or stride (but GAP) or a zero dimension; an inner layer whose output (or post-residual)
//     format is not 8 bits wide; a last layer that is not 1 x 1 (or a max-pool); a pool that changes the
//     channel count; a GAP with an output that is not 1 x 1.
//   no_fit (NO_FIT): one output block's weight tiles exceed WBUF_TILES, or an activation exceeds a slot
//     (sizes computed whole: an output of 32768 x 32768 x 4 blocks is 2^32 words, not 0).
// half_fit is not a check but a fact the sequencer checks a batched layer against (docs/core-rtl.md,
// "Weight batching"): the source is not slot 0 and both tensors fit half a slot, the lower half for one
// map and the upper for the other.

`default_nettype none

module bg_layer_decode
    import bg_program_pkg::*;
#(
    parameter int P          = 16,      // lanes of the MAC array: 4, 8, 16, 32 or 64
    parameter int SLOT_BYTES = 65536,   // bytes per activation slot, a power of two 64*P..16777216
    parameter int WBUF_TILES = 128,     // weight tiles of one output block, a power of two 2..65536
    parameter int STEM_K     = 7        // kernel side of the taps-on-lanes stem layer, 1..8
) (
    input  wire                 clk,
    input  wire                 rst,        // synchronous, active high: forgets a decode in progress
    input  wire                 in_valid,   // one cycle: `rec` holds a whole record from this cycle on
    output logic                out_valid,  // one cycle, LATENCY after in_valid: every output is the record's
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire  [8*LAYER_BYTES-1:0] rec,  // byte o of the record at [8*o +: 8] (padding/reserved unused)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire                 is_last,    // the program's last layer (its logits)
    input  wire  [7:0]          slot_count, // the header's slot_count

    output logic                bad_layer,
    output logic                no_fit,
    output logic                half_fit,   // source and destination fit half a slot (what a batched layer needs)

    // record fields the sequencer uses besides the pass configuration
    output logic [7:0]          op,
    output logic [7:0]          src,
    output logic [7:0]          dst,
    output logic [7:0]          out_frac,
    output logic                mac,        // a convolution or dense layer: weights and biases to fetch
    output logic [31:0]         w_off,      // weight tiles, from the start of the weight payload
    output logic [31:0]         b_off,      // biases, likewise
    output logic [31:0]         tiles,      // weight tiles of one block of P output channels

    // the engine's pass configuration (bg_core_engine cfg_*)
    output logic [1:0]          cfg_mode,   // 0 conv/dense, 1 stem (taps on lanes), 2 max-pool, 3 GAP
    output logic [7:0]          cfg_res,
    output logic                cfg_res_en,
    output logic [7:0]          cfg_stride,
    output logic [7:0]          cfg_pad_top,
    output logic [7:0]          cfg_pad_left,
    output logic [15:0]         cfg_in_h,
    output logic [15:0]         cfg_in_w,
    output logic [15:0]         cfg_cbin,   // input channel blocks of P
    output logic [15:0]         cfg_out_h,
    output logic [15:0]         cfg_out_w,
    output logic [15:0]         cfg_cob,    // output channel blocks of P
    output logic [15:0]         cfg_win_h,
    output logic [15:0]         cfg_win_w,
    output logic [15:0]         cfg_nib,
    output logic [15:0]         cfg_ntb,    // tap blocks of P (stem)
    output logic [7:0]          cfg_bias_shift,
    output logic [7:0]          cfg_shift,
    output logic [7:0]          cfg_out_fmt,
    output logic [7:0]          cfg_post_fmt,
    output logic                cfg_round,
    output logic                cfg_sat,
    output logic [31:0]         cfg_out_words  // output words of P codes (the destination's writes)
);

    // ---- parameter checks (elaboration time) ----
    if (P != 4 && P != 8 && P != 16 && P != 32 && P != 64) begin : g_bad_p
        $error("bg_layer_decode: P must be 4, 8, 16, 32 or 64");
    end
    if (SLOT_BYTES < 64 * P || SLOT_BYTES > (1 << 24) || (SLOT_BYTES & (SLOT_BYTES - 1)) != 0) begin : g_bad_sb
        $error("bg_layer_decode: SLOT_BYTES must be a power of two in 64*P..16777216");
    end
    if (WBUF_TILES < 2 || WBUF_TILES > 65536 || (WBUF_TILES & (WBUF_TILES - 1)) != 0) begin : g_bad_wbuf
        $error("bg_layer_decode: WBUF_TILES must be a power of two in 2..65536");
    end
    if (STEM_K < 1 || STEM_K > 8) begin : g_bad_stem_k
        $error("bg_layer_decode: STEM_K must be in 1..8");
    end

    localparam int LP = $clog2(P);
    localparam int LATENCY = 3;                        // in_valid to out_valid (the stages below)
    localparam logic [31:0] SWD32  = SLOT_BYTES / P;   // words of P codes per slot
    localparam logic [31:0] WBUF32 = WBUF_TILES;
    localparam logic [7:0]  INPUT_SLOT8 = 8'(INPUT_SLOT);

    function automatic logic [7:0] rb(input int o);
        rb = rec[8*o +: 8];
    endfunction
    function automatic logic [15:0] rh(input int o);
        rh = rec[8*o +: 16];
    endfunction
    function automatic logic [31:0] rw(input int o);
        rw = rec[8*o +: 32];
    endfunction

    // ---- the record's fields as stored ----
    logic [7:0]  flags, res, kernel, stride, pad_top, pad_left, out_fmt, post_fmt;
    logic [15:0] in_h, in_w, in_c, out_h, out_w, out_c;
    logic        res_en, taps;

    always_comb begin
        op = rb(LAYER_OP_OFFSET);             flags = rb(LAYER_FLAGS_OFFSET);
        src = rb(LAYER_SRC_OFFSET);           dst = rb(LAYER_DST_OFFSET);
        res = rb(LAYER_RES_OFFSET);           kernel = rb(LAYER_KERNEL_OFFSET);
        stride = rb(LAYER_STRIDE_OFFSET);     out_frac = rb(LAYER_OUT_FRAC_OFFSET);
        pad_top = rb(LAYER_PAD_TOP_OFFSET);   pad_left = rb(LAYER_PAD_LEFT_OFFSET);
        in_h = rh(LAYER_IN_HEIGHT_OFFSET);    in_w = rh(LAYER_IN_WIDTH_OFFSET);
        in_c = rh(LAYER_IN_CHANNELS_OFFSET);
        out_h = rh(LAYER_OUT_HEIGHT_OFFSET);  out_w = rh(LAYER_OUT_WIDTH_OFFSET);
        out_c = rh(LAYER_OUT_CHANNELS_OFFSET);
        out_fmt = rb(LAYER_OUT_FORMAT_OFFSET); post_fmt = rb(LAYER_POST_FORMAT_OFFSET);
        w_off = rw(LAYER_WEIGHT_OFFSET_OFFSET); b_off = rw(LAYER_BIAS_OFFSET_OFFSET);
        res_en = flags[FLAG_RESIDUAL_BIT];
        taps = flags[FLAG_TAPS_ON_LANES_BIT];

        cfg_res = res;
        cfg_res_en = res_en;
        cfg_in_h = in_h;  cfg_in_w = in_w;
        cfg_out_h = out_h;  cfg_out_w = out_w;
        cfg_bias_shift = rb(LAYER_BIAS_SHIFT_OFFSET);
        cfg_shift = rb(LAYER_OUT_SHIFT_OFFSET);
        cfg_out_fmt = out_fmt;  cfg_post_fmt = post_fmt;
        cfg_round = flags[FLAG_ROUND_BIT];
        cfg_sat = flags[FLAG_SATURATE_BIT];
    end

    // ---- stage 1: the decode, the checks on fields, the first products ----
    logic        taps1;
    logic [15:0] kk1;                 // kernel^2
    logic [31:0] hw_out1, hw_in1;     // out_h * out_w, in_h * in_w

    always_ff @(posedge clk) begin
        mac <= op == OP_CONV || op == OP_DENSE;
        taps1 <= taps;
        cfg_cbin <= 16'(({1'b0, in_c} + 17'(P - 1)) >> LP);
        cfg_cob <= 16'(({1'b0, out_c} + 17'(P - 1)) >> LP);
        kk1 <= {8'd0, kernel} * {8'd0, kernel};
        hw_out1 <= {16'd0, out_h} * {16'd0, out_w};
        hw_in1 <= {16'd0, in_h} * {16'd0, in_w};

        bad_layer <= op < OP_CONV || op > OP_DENSE || (flags & ~FLAGS_KNOWN) != 8'd0
            || src >= slot_count || dst >= slot_count || dst == INPUT_SLOT8 || dst == src
            || (res_en && (op != OP_CONV || res >= slot_count || res == src || res == dst))
            || (taps != (src == INPUT_SLOT8)) || (taps && (op != OP_CONV || in_c != 16'd1))
            || (taps && {24'd0, kernel} != STEM_K) || (res_en && res == INPUT_SLOT8)
            || (op != OP_GAP && (kernel == 8'd0 || stride == 8'd0))
            || in_h == 16'd0 || in_w == 16'd0 || in_c == 16'd0
            || out_h == 16'd0 || out_w == 16'd0 || out_c == 16'd0
            || (!is_last && ((out_fmt & FORMAT_WIDTH_MASK) != 8'd8
                             || (res_en && (post_fmt & FORMAT_WIDTH_MASK) != 8'd8)))
            || (is_last && (out_h != 16'd1 || out_w != 16'd1 || op == OP_MAXPOOL))
            || ((op == OP_MAXPOOL || op == OP_GAP) && in_c != out_c)
            || (op == OP_GAP && (out_h != 16'd1 || out_w != 16'd1));

        // the pass: a GAP is a pool whose window is the whole input, stride 1, no padding
        cfg_mode <= op == OP_MAXPOOL ? 2'd2 : op == OP_GAP ? 2'd3 : taps ? 2'd1 : 2'd0;
        cfg_stride <= op == OP_GAP ? 8'd1 : stride;
        cfg_pad_top <= op == OP_GAP ? 8'd0 : pad_top;
        cfg_pad_left <= op == OP_GAP ? 8'd0 : pad_left;
        cfg_win_h <= op == OP_GAP ? in_h : {8'd0, kernel};
        cfg_win_w <= op == OP_GAP ? in_w : {8'd0, kernel};
        cfg_nib <= (op == OP_CONV || op == OP_DENSE) ? 16'(({1'b0, in_c} + 17'(P - 1)) >> LP) : 16'd1;
    end

    // ---- stage 2: the products with the channel blocks, whole (up to 48 bits), so that no size wraps
    // past a check ----
    logic [47:0] out_words2, in_words2;
    // beats of a stem window (taps on lanes), from the registered kernel^2: a product and its rounding
    // in one cycle were one of the core's longest paths
    /* verilator lint_off UNUSEDSIGNAL */
    logic [16:0] ntb2;
    /* verilator lint_on UNUSEDSIGNAL */
    assign ntb2 = ({1'b0, kk1} + 17'(P - 1)) >> LP;

    always_ff @(posedge clk) begin
        cfg_ntb <= ntb2[15:0];
        tiles <= taps1 ? {15'd0, ntb2} : {16'd0, kk1} * {16'd0, cfg_cbin};   // below 2^32
        out_words2 <= {16'd0, hw_out1} * {32'd0, cfg_cob};
        in_words2 <= {16'd0, hw_in1} * {32'd0, cfg_cbin};
    end

    // ---- stage 3: the fit ----
    always_ff @(posedge clk) begin
        no_fit <= (mac && tiles > WBUF32) || out_words2 > {16'd0, SWD32}
            || (!taps1 && in_words2 > {16'd0, SWD32});
        half_fit <= !taps1 && out_words2 <= {17'd0, SWD32[31:1]} && in_words2 <= {17'd0, SWD32[31:1]};
    end
    // A layer that fits a slot has fewer than 2^24 output words.
    assign cfg_out_words = out_words2[31:0];

    // ---- out_valid: in_valid delayed by the stages ----
    logic [LATENCY-1:0] v;

    always_ff @(posedge clk) begin
        if (rst) v <= '0;
        else     v <= {v[LATENCY-2:0], in_valid};
    end
    assign out_valid = v[LATENCY-1];

endmodule

`default_nettype wire
