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
// Pipeline: five register stages, latency 5, one beat per cycle:
//   1 shift:    x >>> s, the bit below the result (half) and whether any lower bit is set (sticky); the
//               formats decoded into bit masks (shared by the lanes, so that no later stage decodes a width)
//   2 round:    plus one where rounding half to even says so (q1)
//   3 fit:      clip or wrap to out_fmt (y2)
//   4 residual: y2 + res (s4; y2 itself without res_en)
//   5 fit:      with res_en, s4 clipped or wrapped to post_fmt (out_y)
// The shift and its rounding increment are apart, and so are the residual add and its fit, because either
// pair in one cycle is far longer than the core's other stages (docs/timing.md). A fit tests the value
// against masks (are the bits above the format all sign?) rather than comparing it with bounds: no carry
// chain.
// Ready propagates combinationally backwards through the stages, which is short for this block and keeps
// it free of skid buffers; a stage moves whenever the one after it is empty or moves.

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

    // A format as masks over IW bits: `keep` the bits a code of it holds apart from its sign bit (bits
    // w-2..0 signed, w-1..0 unsigned), `code` all of its w bits; so `code & ~keep` is the sign bit of a
    // signed format and empty for an unsigned one.
    typedef struct packed {
        logic [IW-1:0] keep;
        logic [IW-1:0] code;
        logic          is_signed;
    } fmt_t;

    function automatic fmt_t fmt_masks(input logic [5:0] width, input logic is_signed);
        logic [5:0] w;
        w = (width == 6'd0 || width > CODE_W6) ? CODE_W6 : width;
        for (int i = 0; i < IW; i++) begin
            fmt_masks.code[i] = i < int'(w);
            fmt_masks.keep[i] = is_signed ? (i + 1 < int'(w)) : (i < int'(w));
        end
        fmt_masks.is_signed = is_signed;
    endfunction

    // Clip (sat) or wrap x to format f; every such value fits VW bits.
    //   in range: the bits of x outside `keep` all equal its sign (signed) or are all zero (unsigned);
    //   clipped:  `keep` (the largest code) above the range, `~keep` (signed) or 0 below it;
    //   wrapped:  the code's bits, sign-extended from the format's sign bit when it is signed.
    function automatic logic [VW-1:0] fit(input logic [IW-1:0] x, input fmt_t f, input logic sat);
        logic          neg, in_range, code_sign;
        // Only the low VW bits of the result are kept: the range guarantees the rest is sign.
        /* verilator lint_off UNUSEDSIGNAL */
        logic [IW-1:0] y;
        /* verilator lint_on UNUSEDSIGNAL */
        neg       = x[IW-1];
        in_range  = ((x ^ {IW{neg & f.is_signed}}) & ~f.keep) == '0;
        code_sign = |(x & f.code & ~f.keep);
        if (sat) begin
            y = in_range ? x : neg ? (f.is_signed ? ~f.keep : '0) : f.keep;
        end else begin
            y = (x & f.code) | ((f.is_signed && code_sign) ? ~f.code : '0);
        end
        fit = y[VW-1:0];
    endfunction

    function automatic logic [IW-1:0] residual_sum(input logic [VW-1:0] a, input logic [VW-1:0] b);
        residual_sum = {{(IW-VW){a[VW-1]}}, a} + {{(IW-VW){b[VW-1]}}, b};
    endfunction

    // ---- handshake: stage k moves when it is empty or stage k+1 moves ----
    logic v1, v2, v3, v4, v5;
    logic r1, r2, r3, r4, r5;

    assign r5 = !v5 || out_ready;
    assign r4 = !v4 || r5;
    assign r3 = !v3 || r4;
    assign r2 = !v2 || r3;
    assign r1 = !v1 || r2;
    assign in_ready = r1;

    always_ff @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
            v2 <= 1'b0;
            v3 <= 1'b0;
            v4 <= 1'b0;
            v5 <= 1'b0;
        end else begin
            if (r1) v1 <= in_valid;
            if (r2) v2 <= v1;
            if (r3) v3 <= v2;
            if (r4) v4 <= v3;
            if (r5) v5 <= v4;
        end
    end

    // ---- stage 1: shift; the formats as masks ----
    logic [LANES*ACC_W-1:0] q_s1;                    // x >>> s per lane
    logic [LANES-1:0]       half1, sticky1;          // the bit below the result; any bit below that
    logic [LANES*VW-1:0]    res1, res2, res3;
    fmt_t                   out_f1, out_f2, post_f1, post_f2, post_f3;
    logic                   rnd1, sat1, sat2, sat3, res_en1, res_en2, res_en3;
    logic [TAG_W-1:0]       tag1, tag2, tag3;

    logic [SHW-1:0] shift_c;
    // Shifts beyond ACC_W all give the result of ACC_W (see the header), so they are clamped.
    assign shift_c = (in_shift > ACC_W8) ? SHIFT_MAX : in_shift[SHW-1:0];

    always_ff @(posedge clk) begin
        if (r1 && in_valid) begin
            for (int l = 0; l < LANES; l++) begin
                logic [ACC_W-1:0] x;
                logic             half, sticky;
                x = in_acc[l*ACC_W +: ACC_W];
                // Bit s-1 is the half, bits s-2..0 lie below it; nothing is shifted out when s is 0.
                half   = 1'b0;
                sticky = 1'b0;
                for (int i = 0; i < ACC_W; i++) begin
                    if (i + 1 == int'(shift_c)) half = x[i];
                    if (i + 1 <  int'(shift_c)) sticky = sticky | x[i];
                end
                q_s1[l*ACC_W +: ACC_W] <= ACC_W'($signed(x) >>> shift_c);
                half1[l]   <= half;
                sticky1[l] <= sticky;
            end
            res1    <= in_res;
            out_f1  <= fmt_masks(in_out_fmt[5:0], in_out_fmt[7]);
            post_f1 <= fmt_masks(in_post_fmt[5:0], in_post_fmt[7]);
            rnd1    <= in_round;
            sat1    <= in_sat;
            res_en1 <= in_res_en;
            tag1    <= in_tag;
        end
    end

    // ---- stage 2: round (ties to the even neighbour: up only when the result is odd) ----
    logic [LANES*IW-1:0] q1;

    always_ff @(posedge clk) begin
        if (r2 && v1) begin
            for (int l = 0; l < LANES; l++) begin
                logic [ACC_W-1:0] q;
                logic             up;
                q  = q_s1[l*ACC_W +: ACC_W];
                up = rnd1 & half1[l] & (sticky1[l] | q[0]);
                q1[l*IW +: IW] <= {{(IW-ACC_W){q[ACC_W-1]}}, q} + {{(IW-1){1'b0}}, up};
            end
            res2    <= res1;
            out_f2  <= out_f1;
            post_f2 <= post_f1;
            sat2    <= sat1;
            res_en2 <= res_en1;
            tag2    <= tag1;
        end
    end

    // ---- stage 3: fit to the output format ----
    logic [LANES*VW-1:0] y2;

    always_ff @(posedge clk) begin
        if (r3 && v2) begin
            for (int l = 0; l < LANES; l++) begin
                y2[l*VW +: VW] <= fit(q1[l*IW +: IW], out_f2, sat2);
            end
            res3    <= res2;
            post_f3 <= post_f2;
            sat3    <= sat2;
            res_en3 <= res_en2;
            tag3    <= tag2;
        end
    end

    // ---- stage 4: residual add ----
    logic [LANES*IW-1:0] s4;
    fmt_t                post_f4;
    logic                sat4, res_en4;
    logic [TAG_W-1:0]    tag4;

    always_ff @(posedge clk) begin
        if (r4 && v3) begin
            for (int l = 0; l < LANES; l++) begin
                s4[l*IW +: IW] <= res_en3 ? residual_sum(y2[l*VW +: VW], res3[l*VW +: VW])
                                          : {{(IW-VW){y2[l*VW + VW-1]}}, y2[l*VW +: VW]};
            end
            post_f4 <= post_f3;
            sat4    <= sat3;
            res_en4 <= res_en3;
            tag4    <= tag3;
        end
    end

    // ---- stage 5: fit to the post-residual format ----
    always_ff @(posedge clk) begin
        if (r5 && v4) begin
            for (int l = 0; l < LANES; l++) begin
                // without res_en, s4 is y2: already a value of out_fmt, passed on as it is
                out_y[l*VW +: VW] <= res_en4 ? fit(s4[l*IW +: IW], post_f4, sat4) : s4[l*IW +: VW];
            end
            out_tag <= tag4;
        end
    end

    assign out_valid = v5;

    // Format bit 6 has no meaning yet; named so that lint knows it is ignored on purpose.
    logic unused_fmt_bit6;
    assign unused_fmt_bit6 = in_out_fmt[6] ^ in_post_fmt[6];

endmodule

`default_nettype wire
