// bg_mac_array: P x P int8 multiply-accumulate array with P accumulators, pipelined, valid/ready.
//
// Each input beat carries P activation codes (input lanes i = 0..P-1) and one P x P weight tile laid
// out as in the core program (docs/core-program.md, "Weight layout": output channel major, input
// channel minor). For every output channel o the beat adds
//
//     sum_i act[i] * w[o][i]
//
// to accumulator o. Activation codes are int8 or uint8 (codes after ReLU) by `in_act_signed`; weights
// are int8. A beat with `in_clear` starts a new sum from `in_bias` (the core gives bias << bias_shift,
// or zero) instead of adding to the running one; a beat with `in_last` ends the sum, and the P
// accumulators including that beat leave on the output with the beat's tag. Accumulators are ACC_W-bit
// two's complement and wrap, as a 32-bit accumulator in the program format does.
//
// Pipeline: input registers | products (one multiplier per weight, registered: DSP A/B/M registers)
// | adder tree per output channel (registered) | accumulate. Latency from an accepted last beat to
// out_valid: 4 cycles; one beat per cycle while the output is not blocked. Only a last beat waits for
// the output register; beats that only accumulate keep flowing while a result waits to be taken.
//
// DSP budget: products k = o*P + i < DSP_PRODUCTS are written as `*` (Yosys and Vivado map each onto one
// DSP48E1); the others are built in fabric as a sum of radix-4 Booth partial products, from which
// Yosys infers no DSP (plus `use_dsp = "no"` for Vivado). Both give the same 17-bit product, so the
// choice changes resources only. The Zynq-7020 of a PYNQ-Z2 has 220 DSP48E1, fewer than the 256
// products of P = 16; bg_core sets how many of them the array may take.

`default_nettype none

module bg_mac_array #(
    parameter int P     = 16,  // lanes and output channels, 1..64
    parameter int ACC_W = 32,  // accumulator width, 18..48 (a product needs 17 bits)
    parameter int TAG_W = 1,   // width of the tag carried with a last beat to its result, 1..64
    // products built with `*` (DSP48E1), 0..4096; products k = o*P + i >= DSP_PRODUCTS are built in
    // LUTs. Any value >= P*P puts every product in a DSP.
    parameter int DSP_PRODUCTS = 4096
) (
    input  wire                   clk,
    input  wire                   rst,            // synchronous, active high: empties the pipeline

    input  wire                   in_valid,
    output logic                  in_ready,
    input  wire  [P*8-1:0]        in_act,         // code of input lane i at [8*i +: 8]
    input  wire                   in_act_signed,  // 1: int8 activation codes, 0: uint8
    input  wire  [P*P*8-1:0]      in_w,           // int8 weight of output o, input i at [8*(o*P+i) +: 8]
    input  wire  [P*ACC_W-1:0]    in_bias,        // start value of accumulator o (used with in_clear)
    input  wire                   in_clear,       // this beat starts new sums from in_bias
    input  wire                   in_last,        // this beat ends the sums: emit the accumulators
    input  wire  [TAG_W-1:0]      in_tag,

    output logic                  out_valid,
    input  wire                   out_ready,
    output logic [P*ACC_W-1:0]    out_acc,        // accumulator o at [ACC_W*o +: ACC_W]
    output logic [TAG_W-1:0]      out_tag
);

    // ---- parameter checks (elaboration time) ----
    if (P < 1 || P > 64) begin : g_bad_p
        $error("bg_mac_array: P must be in 1..64");
    end
    if (ACC_W < 18 || ACC_W > 48) begin : g_bad_acc_w
        $error("bg_mac_array: ACC_W must be in 18..48");
    end
    if (TAG_W < 1 || TAG_W > 64) begin : g_bad_tag_w
        $error("bg_mac_array: TAG_W must be in 1..64");
    end
    if (DSP_PRODUCTS < 0 || DSP_PRODUCTS > 4096) begin : g_bad_dsp
        $error("bg_mac_array: DSP_PRODUCTS must be in 0..4096");
    end

    localparam int PW = 17;                          // product of a 9-bit signed and an 8-bit signed code
    localparam int LP = (P > 1) ? $clog2(P) : 1;     // adder tree levels
    localparam int P2 = 1 << LP;                     // lanes padded to a power of two for the tree
    localparam int SW = PW + LP;                     // width of a full sum of P products

    // ---- stage 0: input registers ----
    logic                  v0, v1, v2;
    logic                  r0, r1, r2, r3;
    logic [P*9-1:0]        a0;                       // activation codes extended to 9-bit signed
    logic [P*P*8-1:0]      w0;
    logic [P*ACC_W-1:0]    bias0, bias1, bias2;
    logic                  clear0, clear1, clear2, last0, last1, last2;
    logic [TAG_W-1:0]      tag0, tag1, tag2;

    // Only a last beat needs the output register; it may enter when the register is free or being read.
    assign r3 = !last2 || !out_valid || out_ready;
    assign r2 = !v2 || r3;
    assign r1 = !v1 || r2;
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
            for (int i = 0; i < P; i++) begin
                a0[9*i +: 9] <= {in_act_signed & in_act[8*i + 7], in_act[8*i +: 8]};
            end
            w0 <= in_w;
            bias0 <= in_bias;
            clear0 <= in_clear;
            last0 <= in_last;
            tag0 <= in_tag;
        end
    end

    // ---- stage 1: products ----
    logic [P*P*PW-1:0] prod1;   // product of output o, input i at [PW*(o*P+i) +: PW]

    // The product in fabric, radix-4 Booth: w = sum_{k<4} d_k * 4^k with the digit
    // d_k = -2 w[2k+1] + w[2k] + w[2k-1] in -2..2 (w[-1] = 0), so a * w = sum_k (d_k * a) << 2k: four
    // partial products from {0, +-a, +-2a}, added as a two-level tree that synthesis maps to carry logic
    // (a chain of three additions was the LUT products' path on the ECP5, docs/timing.md). (Measured
    // with Yosys at P=4: about 127 LUT per product against 160 for a plain shift-and-add of 8 rows.)
    function automatic logic [PW-1:0] lut_product(input logic [8:0] a, input logic [7:0] w);
        logic [PW-1:0] ax, pp [4];
        logic [8:0]    wx;
        wx = {w, 1'b0};
        ax = {{(PW-9){a[8]}}, a};
        for (int k = 0; k < 4; k++) begin
            case (wx[2*k +: 3])
                3'b001, 3'b010: pp[k] = ax;
                3'b011:         pp[k] = ax << 1;
                3'b100:         pp[k] = -(ax << 1);
                3'b101, 3'b110: pp[k] = -ax;
                default:        pp[k] = '0;
            endcase
            pp[k] = pp[k] << (2*k);
        end
        lut_product = (pp[0] + pp[1]) + (pp[2] + pp[3]);
    endfunction

    always_ff @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0;
        end else if (r1) begin
            v1 <= v0;
        end
    end

    for (genvar o = 0; o < P; o++) begin : g_row
        for (genvar i = 0; i < P; i++) begin : g_prod
            if (o * P + i < DSP_PRODUCTS) begin : g_dsp
                always_ff @(posedge clk) begin
                    if (r1 && v0) begin
                        prod1[PW*(o*P + i) +: PW] <= $signed(a0[9*i +: 9]) * $signed(w0[8*(o*P + i) +: 8]);
                    end
                end
            end else begin : g_lut
                (* use_dsp = "no" *) logic [PW-1:0] p;
                assign p = lut_product(a0[9*i +: 9], w0[8*(o*P + i) +: 8]);
                always_ff @(posedge clk) begin
                    if (r1 && v0) begin
                        prod1[PW*(o*P + i) +: PW] <= p;
                    end
                end
            end
        end
    end

    always_ff @(posedge clk) begin
        if (r1 && v0) begin
            bias1 <= bias0;
            clear1 <= clear0;
            last1 <= last0;
            tag1 <= tag0;
        end
    end

    // ---- stage 2: one balanced adder tree per output channel ----
    // Pairwise in place: at each level, t[j] = t[2j] + t[2j+1]. Reads of level k+1 never see a slot
    // that level already overwrote (2j >= j), and local variables keep the tree out of the
    // simulator's combinational loop analysis.
    function automatic logic [SW-1:0] tree_sum(input logic [P*PW-1:0] prods);
        logic [P2*SW-1:0] t;
        t = '0;
        for (int i = 0; i < P; i++) begin
            t[SW*i +: SW] = {{(SW-PW){prods[PW*i + PW - 1]}}, prods[PW*i +: PW]};
        end
        for (int k = 0; k < LP; k++) begin
            for (int j = 0; j < (P2 >> (k + 1)); j++) begin
                t[SW*j +: SW] = t[SW*(2*j) +: SW] + t[SW*(2*j + 1) +: SW];
            end
        end
        tree_sum = t[SW-1:0];
    endfunction

    logic [P*SW-1:0] sum2;

    always_ff @(posedge clk) begin
        if (rst) begin
            v2 <= 1'b0;
        end else if (r2) begin
            v2 <= v1;
        end
    end

    always_ff @(posedge clk) begin
        if (r2 && v1) begin
            for (int o = 0; o < P; o++) begin
                sum2[SW*o +: SW] <= tree_sum(prod1[PW*P*o +: PW*P]);
            end
            bias2 <= bias1;
            clear2 <= clear1;
            last2 <= last1;
            tag2 <= tag1;
        end
    end

    // ---- stage 3: accumulate ----
    logic [P*ACC_W-1:0] acc, acc_next;

    for (genvar o = 0; o < P; o++) begin : g_acc
        logic [ACC_W-1:0] sum_ext;
        if (SW > ACC_W) begin : g_wrap
            // The accumulator wraps at ACC_W bits, so the sum's higher bits cannot matter.
            assign sum_ext = sum2[SW*o +: ACC_W];
            logic unused_sum_high;
            assign unused_sum_high = ^sum2[SW*o + ACC_W +: SW - ACC_W];
        end else if (SW == ACC_W) begin : g_same
            assign sum_ext = sum2[SW*o +: SW];
        end else begin : g_extend
            assign sum_ext = {{(ACC_W-SW){sum2[SW*o + SW - 1]}}, sum2[SW*o +: SW]};
        end
        assign acc_next[ACC_W*o +: ACC_W] = (clear2 ? bias2[ACC_W*o +: ACC_W] : acc[ACC_W*o +: ACC_W]) + sum_ext;
    end

    always_ff @(posedge clk) begin
        if (v2 && r3) begin
            acc <= acc_next;
        end
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            out_valid <= 1'b0;
        end else if (v2 && r3 && last2) begin
            out_valid <= 1'b1;
        end else if (out_ready) begin
            out_valid <= 1'b0;
        end
    end

    always_ff @(posedge clk) begin
        if (v2 && r3 && last2) begin
            out_acc <= acc_next;
            out_tag <= tag2;
        end
    end

endmodule

`default_nettype wire
