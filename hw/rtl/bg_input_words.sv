// bg_input_words: the input patch read from DDR, 16-byte AXI beats, cut or gathered into the engine's
// P-byte input words: the same words, in the same order, as the AXI4-Stream gives them (byte i of a word
// at [8*i +: 8], the earlier pixel in the lower byte; DDR is little-endian, so the lower address is the
// lower byte of a beat).
//
//   * P = 16: a beat is a word; passed through, no register.
//   * P < 16: a beat holds 16/P words, sent on consecutive cycles; the next beat is taken in the cycle the
//     last word of the one held goes out, so a stall-free reader keeps one word per cycle.
//   * P > 16: P/16 beats make a word, sent (registered) in the cycle after its last beat.
//
// The consumer (bg_core_engine's input port) takes a word in every cycle out_valid is high: there is no
// out_ready. rst empties it (a run that ends early leaves no stale bytes for the next).

`default_nettype none

module bg_input_words #(
    parameter int P = 16   // bytes per input word (LANES): 4, 8, 16, 32 or 64
) (
    input  wire            clk,
    input  wire            rst,        // synchronous, active high

    input  wire            in_valid,   // a 16-byte beat of the patch
    output logic           in_ready,
    input  wire  [127:0]   in_data,

    output logic           out_valid,  // a P-byte word, taken this cycle
    output logic [8*P-1:0] out_data
);

    if (P != 4 && P != 8 && P != 16 && P != 32 && P != 64) begin : g_bad_p
        $error("bg_input_words: P must be 4, 8, 16, 32 or 64");
    end

    if (P == 16) begin : g_pass
        assign in_ready  = 1'b1;
        assign out_valid = in_valid;
        assign out_data  = in_data;

        /* verilator lint_off UNUSEDSIGNAL */
        logic unused_clk;
        assign unused_clk = clk ^ rst;
        /* verilator lint_on UNUSEDSIGNAL */

    end else if (P < 16) begin : g_cut
        localparam int K  = 16 / P;        // words per beat
        localparam int KW = $clog2(K);

        logic [127:0]  beat;
        logic          have;               // beat holds words not yet sent
        logic [KW-1:0] idx;                // the word of beat sent this cycle

        assign out_valid = have;
        assign out_data  = beat[8*P*idx +: 8*P];
        assign in_ready  = !have || idx == KW'(K - 1);

        always_ff @(posedge clk) begin
            if (rst) begin
                have <= 1'b0;
                idx  <= '0;
            end else if (in_valid && in_ready) begin
                beat <= in_data;
                have <= 1'b1;
                idx  <= '0;
            end else if (have) begin
                idx <= idx + KW'(1);
                if (idx == KW'(K - 1)) have <= 1'b0;
            end
        end

    end else begin : g_gather
        localparam int K  = P / 16;        // beats per word
        localparam int KW = $clog2(K);

        logic [8*P-1:0] word;
        logic [KW-1:0]  cnt;               // beats of the word gathered so far
        logic           full;

        assign in_ready  = 1'b1;
        assign out_valid = full;
        assign out_data  = word;

        always_ff @(posedge clk) begin
            if (rst) begin
                cnt  <= '0;
                full <= 1'b0;
            end else begin
                full <= in_valid && cnt == KW'(K - 1);
                if (in_valid) begin
                    word[128*cnt +: 128] <= in_data;
                    cnt <= cnt + KW'(1);   // wraps to 0 after the word's last beat
                end
            end
        end
    end

endmodule

`default_nettype wire
