// bg_maxpool: lane-wise running maximum over a window of beats, valid/ready.
//
// Max-pool in the program format takes the largest code of each window (docs/core-program.md). The
// window's taps arrive as beats, LANES channels of one tap per beat, in any order; zero padding
// arrives as zero codes, as the reference pads with zeros before it pools. A beat with `in_first`
// starts a new window, a beat with `in_last` ends it and its maxima leave on the output with the
// beat's tag (a one-tap window has both). `in_signed` chooses a signed or unsigned comparison of the
// CODE_W-bit codes (signed codes before ReLU, unsigned after).
//
// Windows that overlap along a row (a 3x3 window of stride 2 shares its last column with the next
// window) need not read the shared taps twice: beats with `in_keep` (the taps of the columns the next
// window shares) are also folded into a carry register, which `in_keep_first` restarts, and a first beat
// with `in_resume` starts its window from the carry instead of from nothing, so the next window's beats
// are only its new columns. The carry is read by a resuming first beat before that beat's own keep
// updates it, so a window whose first beat is already shared (stride = half the window) works too.
//
// Pipeline: input register | running maximum and result register. Latency from an accepted last beat
// to out_valid: 2 cycles; one beat per cycle. As in bg_mac_array, only a last beat waits for the
// result register.

`default_nettype none

module bg_maxpool #(
    parameter int LANES  = 16,  // channels per beat, 1..256 (the core uses P)
    parameter int CODE_W = 8,   // code width, 2..32
    parameter int TAG_W  = 1    // width of the tag carried with a last beat to its result, 1..64
) (
    input  wire                       clk,
    input  wire                       rst,        // synchronous, active high: empties the pipeline

    input  wire                       in_valid,
    output logic                      in_ready,
    input  wire  [LANES*CODE_W-1:0]   in_x,       // code of channel l at [CODE_W*l +: CODE_W]
    input  wire                       in_signed,  // 1: two's complement codes, 0: unsigned
    input  wire                       in_first,   // this beat starts a window
    input  wire                       in_last,    // this beat ends the window: emit the maxima
    input  wire                       in_resume,  // with in_first: the window starts from the carry
    input  wire                       in_keep,    // this beat also goes into the carry
    input  wire                       in_keep_first, // with in_keep: the carry restarts at this beat
    input  wire  [TAG_W-1:0]          in_tag,

    output logic                      out_valid,
    input  wire                       out_ready,
    output logic [LANES*CODE_W-1:0]   out_y,      // maximum of channel l at [CODE_W*l +: CODE_W]
    output logic [TAG_W-1:0]          out_tag
);

    // ---- parameter checks (elaboration time) ----
    if (LANES < 1 || LANES > 256) begin : g_bad_lanes
        $error("bg_maxpool: LANES must be in 1..256");
    end
    if (CODE_W < 2 || CODE_W > 32) begin : g_bad_code_w
        $error("bg_maxpool: CODE_W must be in 2..32");
    end
    if (TAG_W < 1 || TAG_W > 64) begin : g_bad_tag_w
        $error("bg_maxpool: TAG_W must be in 1..64");
    end

    logic                     v0, r0, r1;
    logic [LANES*CODE_W-1:0]  x0, run_max, run_next, carry, carry_next;
    logic                     signed0, first0, last0, resume0, keep0, kfirst0;
    logic [TAG_W-1:0]         tag0;

    assign r1 = !last0 || !out_valid || out_ready;
    assign r0 = !v0 || r1;
    assign in_ready = r0;

    always_ff @(posedge clk) begin
        if (rst) begin
            v0 <= 1'b0;
        end else if (r0) begin
            v0 <= in_valid;
        end
    end

    always_ff @(posedge clk) begin
        if (r0 && in_valid) begin
            x0 <= in_x;
            signed0 <= in_signed;
            first0 <= in_first;
            last0 <= in_last;
            resume0 <= in_resume;
            keep0 <= in_keep;
            kfirst0 <= in_keep_first;
            tag0 <= in_tag;
        end
    end

    // Flipping the sign bits turns a signed comparison into an unsigned one.
    for (genvar l = 0; l < LANES; l++) begin : g_lane
        logic [CODE_W-1:0] x, m, c, base;
        logic x_wins, x_wins_carry;
        assign x = x0[CODE_W*l +: CODE_W];
        assign m = run_max[CODE_W*l +: CODE_W];
        assign c = carry[CODE_W*l +: CODE_W];
        assign base = (first0 && resume0) ? c : m;
        assign x_wins = {x[CODE_W-1] ^ signed0, x[CODE_W-2:0]} > {base[CODE_W-1] ^ signed0, base[CODE_W-2:0]};
        assign x_wins_carry = {x[CODE_W-1] ^ signed0, x[CODE_W-2:0]} > {c[CODE_W-1] ^ signed0, c[CODE_W-2:0]};
        assign run_next[CODE_W*l +: CODE_W] = ((first0 && !resume0) || x_wins) ? x : base;
        assign carry_next[CODE_W*l +: CODE_W] = (kfirst0 || x_wins_carry) ? x : c;
    end

    always_ff @(posedge clk) begin
        if (v0 && r1) begin
            run_max <= run_next;
            if (keep0) carry <= carry_next;
        end
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            out_valid <= 1'b0;
        end else if (v0 && r1 && last0) begin
            out_valid <= 1'b1;
        end else if (out_ready) begin
            out_valid <= 1'b0;
        end
    end

    always_ff @(posedge clk) begin
        if (v0 && r1 && last0) begin
            out_y <= run_next;
            out_tag <= tag0;
        end
    end

endmodule

`default_nettype wire
