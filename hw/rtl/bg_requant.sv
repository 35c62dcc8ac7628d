// bg_requant: the core's requantization of LANES signed accumulators, pipelined, valid/ready.
//
// Semantics (docs/core-program.md, "Arithmetic of a conv or dense record"; hw/compiler/golden.py is the reference):
//
//   y = requant(acc, shift, out_fmt)
//   with res_en:  y = requant(y + res, 0, post_fmt)
//
//   requant(x, s, f) = fit(round_shift(x, s), f)
//     round_shift: x / 2**s rounded to nearest with ties to even when `round` is set, else floor
//                  (an arithmetic shift). Any shift >= ACC_W gives the same result as ACC_W: the value
//                  is then below one half in magnitude, so it rounds to 0 (round) or floors to 0 / -1.
//     fit:         clip to the format's code range when `sat` is set, else wrap to its width
//                  (keep the low `width` bits, sign-extended when the format is signed).
//
// A format byte is the program's out_format / post_format: bits 5:0 width, bit 7 signed, bit 6 unused.
// Widths 1..CODE_W are the legal ones; 0 and widths above CODE_W are treated as CODE_W so that every
// input has one defined result (the program loader rejects such layers before they reach this block).
//
// Values travel as numbers, not codes: `in_res` and `out_y` are two's complement CODE_W+1 bits per lane,
// wide enough for every signed or unsigned format up to CODE_W bits. A slot stores the low `width` bits.
//
// Pipeline: three register stages (shift and round | fit to out_fmt | residual add and fit to post_fmt),
// latency 3, one beat per cycle. Ready propagates combinationally backwards through the three stages,
// which is short for this block and keeps it free of skid buffers.

`default_nettype none

module bg_requant #(
    parameter int LANES  = 1,   // lanes per beat, 1..256 (the core uses P)
    parameter int ACC_W  = 32,  // accumulator width, 2..64 (the program format's accumulator is 32 bits)
    parameter int CODE_W = 32,  // widest output format in bits, 2..32
    parameter int TAG_W  = 1    // width of the sideband tag carried alongside each beat, 1..64
) (
    input  wire                        clk,
    input  wire                        rst,         // synchronous, active high: empties the pipeline

    input  wire                        in_valid,
    output logic                       in_ready,
    input  wire  [LANES*ACC_W-1:0]     in_acc,      // lane l at [l*ACC_W +: ACC_W], two's complement
    input  wire  [LANES*(CODE_W+1)-1:0] in_res,     // residual operand value per lane (used with in_res_en)
    input  wire  [7:0]                 in_shift,    // right shift, 0..255
    input  wire  [7:0]                 in_out_fmt,  // format of the first requantization
    input  wire  [7:0]                 in_post_fmt, // format after the residual add
    input  wire                        in_round,    // program flag 4: round half to even (else floor)
    input  wire                        in_sat,      // program flag 8: saturate (else wrap)
    input  wire                        in_res_en,   // program flag 1: add in_res and requantize again
    input  wire  [TAG_W-1:0]           in_tag,

    output logic                       out_valid,
    input  wire                        out_ready,
    output logic [LANES*(CODE_W+1)-1:0] out_y,      // result value per lane, two's complement
    output logic [TAG_W-1:0]           out_tag
);

    // ---- parameter checks (elaboration time) ----
    if (LANES < 1 || LANES > 256) begin : g_bad_lanes
        $error("bg_requant: LANES must be in 1..256");
    end
    if (ACC_W < 2 || ACC_W > 64) begin : g_bad_acc_w
        $error("bg_requant: ACC_W must be in 2..64");
    end
    if (CODE_W < 2 || CODE_W > 32) begin : g_bad_code_w
        $error("bg_requant: CODE_W must be in 2..32");
    end
    if (TAG_W < 1 || TAG_W > 64) begin : g_bad_tag_w
        $error("bg_requant: TAG_W must be in 1..64");
    end

    localparam int VW = CODE_W + 1;                              // value width of a result
    // Internal width: holds any shifted accumulator, any residual sum and both format bounds.
    localparam int IW = ((ACC_W > VW) ? ACC_W : VW) + 2;
    localparam int SHW = $clog2(ACC_W + 1);                     // shift after clamping to 0..ACC_W

    localparam logic [SHW-1:0] SHIFT_MAX = ACC_W[SHW-1:0];
    localparam logic [7:0] ACC_W8 = ACC_W[7:0];
    localparam logic [5:0] CODE_W6 = CODE_W[5:0];
    localparam logic [ACC_W-1:0] ACC_ONE = {{(ACC_W-1){1'b0}}, 1'b1};
    localparam logic signed [IW-1:0] ONE = {{(IW-1){1'b0}}, 1'b1};
    localparam logic signed [IW-1:0] ZERO = {IW{1'b0}};

    // floor(x / 2**s), plus one when rounding to nearest-even says so. s is at most ACC_W.
    function automatic logic signed [IW-1:0] shift_round(input logic signed [ACC_W-1:0] x,
                                                         input logic [SHW-1:0] s, input logic rnd);
        logic signed [ACC_W-1:0] q;
        logic [ACC_W-1:0] round_bit;   // weight of the most significant bit shifted out
        logic half, sticky, up;
        q = x >>> s;
        half = 1'b0;
        sticky = 1'b0;
        if (s != 0) begin
            round_bit = ACC_ONE << (s - 1'b1);
            half = |(x & round_bit);
            sticky = |(x & (round_bit - 1'b1));
        end
        // Ties (half set, nothing below) go to the even neighbour: up only when q is odd.
        up = rnd & half & (sticky | q[0]);
        shift_round = {{(IW-ACC_W){q[ACC_W-1]}}, q} + {{(IW-1){1'b0}}, up};
    endfunction

    function automatic logic [5:0] width_of(input logic [5:0] w);
        width_of = (w == 6'd0 || w > CODE_W6) ? CODE_W6 : w;
    endfunction

    // Clip (sat) or wrap x to the format's range; every such value fits VW bits.
    function automatic logic signed [VW-1:0] fit(input logic signed [IW-1:0] x, input logic [5:0] width,
                                                 input logic is_signed, input logic sat);
        logic [5:0] w;
        logic signed [IW-1:0] hi, lo, low_bits;
        // Only the low VW bits of the result are kept: the range guarantees the rest is sign.
        /* verilator lint_off UNUSEDSIGNAL */
        logic signed [IW-1:0] y;
        /* verilator lint_on UNUSEDSIGNAL */
        w = width_of(width);
        hi = is_signed ? (ONE << (w - 1'b1)) - ONE : (ONE << w) - ONE;
        lo = is_signed ? -(ONE << (w - 1'b1)) : ZERO;
        if (sat) begin
            y = (x > hi) ? hi : (x < lo) ? lo : x;
        end else begin
            low_bits = x & ((ONE << w) - ONE);
            y = (is_signed && |(low_bits & (ONE << (w - 1'b1)))) ? low_bits - (ONE << w) : low_bits;
        end
        fit = y[VW-1:0];
    endfunction

    function automatic logic signed [IW-1:0] residual_sum(input logic signed [VW-1:0] a,
                                                          input logic signed [VW-1:0] b);
        residual_sum = {{(IW-VW){a[VW-1]}}, a} + {{(IW-VW){b[VW-1]}}, b};
    endfunction

    // ---- stage 1: shift and round ----
    logic                  v1, v2, v3;
    logic                  r1, r2, r3;
    logic [LANES*IW-1:0]   q1;
    logic [LANES*VW-1:0]   res1, res2;
    logic [6:0]            out_fmt1, post_fmt1, post_fmt2;   // {signed, width}
    logic                  sat1, sat2, res_en1, res_en2;
    logic [TAG_W-1:0]      tag1, tag2;
    logic [LANES*VW-1:0]   y2;

    assign r3 = !v3 || out_ready;
    assign r2 = !v2 || r3;
    assign r1 = !v1 || r2;
    assign in_ready = r1;

    logic [SHW-1:0] shift_c;
    // Shifts beyond ACC_W all give the result of ACC_W (see the header), so they are clamped.
    assign shift_c = (in_shift > ACC_W8) ? SHIFT_MAX : in_shift[SHW-1:0];

    always_ff @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
        end else if (r1) begin
            v1 <= in_valid;
        end
    end

    always_ff @(posedge clk) begin
        if (r1 && in_valid) begin
            for (int l = 0; l < LANES; l++) begin
                q1[l*IW +: IW] <= shift_round(in_acc[l*ACC_W +: ACC_W], shift_c, in_round);
            end
            res1 <= in_res;
            out_fmt1 <= {in_out_fmt[7], in_out_fmt[5:0]};
            post_fmt1 <= {in_post_fmt[7], in_post_fmt[5:0]};
            sat1 <= in_sat;
            res_en1 <= in_res_en;
            tag1 <= in_tag;
        end
    end

    // ---- stage 2: fit to the output format ----
    always_ff @(posedge clk) begin
        if (rst) begin
            v2 <= 1'b0;
        end else if (r2) begin
            v2 <= v1;
        end
    end

    always_ff @(posedge clk) begin
        if (r2 && v1) begin
            for (int l = 0; l < LANES; l++) begin
                y2[l*VW +: VW] <= fit(q1[l*IW +: IW], out_fmt1[5:0], out_fmt1[6], sat1);
            end
            res2 <= res1;
            post_fmt2 <= post_fmt1;
            sat2 <= sat1;
            res_en2 <= res_en1;
            tag2 <= tag1;
        end
    end

    // ---- stage 3: residual add, fit to the post-residual format ----
    always_ff @(posedge clk) begin
        if (rst) begin
            v3 <= 1'b0;
        end else if (r3) begin
            v3 <= v2;
        end
    end

    always_ff @(posedge clk) begin
        if (r3 && v2) begin
            for (int l = 0; l < LANES; l++) begin
                if (res_en2) begin
                    out_y[l*VW +: VW] <= fit(residual_sum(y2[l*VW +: VW], res2[l*VW +: VW]),
                                             post_fmt2[5:0], post_fmt2[6], sat2);
                end else begin
                    out_y[l*VW +: VW] <= y2[l*VW +: VW];
                end
            end
            out_tag <= tag2;
        end
    end

    assign out_valid = v3;

    // Format bit 6 has no meaning yet; named so that lint knows it is ignored on purpose.
    logic unused_fmt_bit6;
    assign unused_fmt_bit6 = in_out_fmt[6] ^ in_post_fmt[6];

endmodule

`default_nettype wire
