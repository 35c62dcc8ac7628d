// bg_weight_fetch: loads one output block's weight tiles and biases from the program image into the
// engine's weight buffer half and a bias buffer, while the engine computes the block before it.
//
// Protocol: a `kick` pulse (only while `idle`) starts the fetch of output block `ob` into half `buf`;
// `ob`, `buf` and the layer inputs (w_off, b_off, tiles, base) must hold until `idle` again. From the cycle
// after the kick (the block's offset, a product, is registered in the kick's cycle) the block
// asks the reader (bg_read_arbiter) for the block's tiles: `tiles` P x P tiles of P*P/16 beats each, from
// byte base + w_off + ob * tiles * P*P (the program's layout, docs/core-program.md); every beat is written
// at once into the weight buffer (wb_we, wb_idx: the beat's index in the block). Then it asks for the 16-
// byte beats that hold the block's P int16 biases (from base + b_off + ob * 2P, not 16-byte aligned when
// P < 8) and picks their bytes into bias buffer `buf`. `idle` rises the cycle after the last bias beat.
// `bias` is bias buffer `bias_sel` (the half of the pass that runs), P int16 values, lane l at [16*l +: 16].
//
// Pairs (PAIRS = 1): the weight request may come two beats a cycle (bg_axi_reader's pairs of bursts
// through both read ports): with `in_pair` the beat MAX_BURST further in the block comes along and is
// written in the same cycle (wb_we2, wb_idx2; its data is the reader's second beat). The two indices are
// MAX_BURST apart, fewer than the weight buffer's P*P/16 banks, so they write two different banks. After
// a pair's last beats (`in_pair_end`) the next beat is the one after the pair's second burst.
//
// Beats are taken at once (in_ready is always high in bg_core); a request is held until granted. `rst`
// (also bg_core's error exits and soft reset) abandons a fetch: the reader drops the rest of it.

`default_nettype none

module bg_weight_fetch #(
    parameter int P          = 16,      // lanes of the MAC array: 4, 8, 16, 32 or 64
    parameter int WBUF_TILES = 128,     // tiles of one weight-buffer half, a power of two 2..65536
    parameter int PAIRS      = 0,       // 1: ask for the weights as pairs of bursts (P*P/16 > MAX_BURST)
    parameter int MAX_BURST  = 16       // the reader's burst length (with PAIRS: the second beat's offset)
) (
    input  wire                 clk,
    input  wire                 rst,            // synchronous, active high: idle, no request

    input  wire                 kick,           // one cycle, while idle: fetch block `ob` into half `buf`
    input  wire  [15:0]         ob,             // output block (held during the fetch)
    input  wire                 buf_half,       // weight and bias buffer half (held during the fetch)
    /* verilator lint_off UNUSEDSIGNAL */
    input  wire  [63:0]         base,           // byte address of the image (bits 3:0 zero)
    /* verilator lint_on UNUSEDSIGNAL */
    input  wire  [31:0]         w_off,          // the layer's weight tiles, from the start of the image
    input  wire  [31:0]         b_off,          // the layer's biases, from the start of the image
    input  wire  [31:0]         tiles,          // tiles of one output block, 1..WBUF_TILES
    output logic                idle,

    output logic                req_valid,
    output logic [63:0]         req_addr,       // 16-byte aligned
    output logic [23:0]         req_beats,
    output logic                req_pair,       // with the request: pairs welcome (the weight request, PAIRS)
    input  wire                 req_grant,

    input  wire                 in_valid,       // a beat of this block's request
    input  wire                 in_last,        // the last beat of a request
    input  wire  [127:0]        in_data,
    input  wire                 in_pair,        // the beat MAX_BURST further on comes along (weights only)
    input  wire                 in_pair_end,    // with in_pair: the pair's last beats

    output logic                wb_we,          // weight beat to the engine's weight buffer
    output logic [$clog2(WBUF_TILES * P * P / 16)-1:0] wb_idx,
    output logic                wb_buf,
    output logic                wb_we2,         // the paired beat to the weight buffer (data: the reader's second)
    output logic [$clog2(WBUF_TILES * P * P / 16)-1:0] wb_idx2,

    input  wire                 bias_sel,       // the bias buffer half on `bias`
    output logic [P*16-1:0]     bias
);

    // ---- parameter checks (elaboration time) ----
    if (P != 4 && P != 8 && P != 16 && P != 32 && P != 64) begin : g_bad_p
        $error("bg_weight_fetch: P must be 4, 8, 16, 32 or 64");
    end
    if (WBUF_TILES < 2 || WBUF_TILES > 65536 || (WBUF_TILES & (WBUF_TILES - 1)) != 0) begin : g_bad_wbuf
        $error("bg_weight_fetch: WBUF_TILES must be a power of two in 2..65536");
    end
    if (PAIRS != 0 && PAIRS != 1) begin : g_bad_pairs
        $error("bg_weight_fetch: PAIRS must be 0 or 1");
    end
    if (MAX_BURST < 1 || MAX_BURST > 256) begin : g_bad_burst
        $error("bg_weight_fetch: MAX_BURST must be in 1..256");
    end
    if (PAIRS == 1 && P * P / 16 <= MAX_BURST) begin : g_bad_pair_banks
        $error("bg_weight_fetch: PAIRS needs more weight-buffer banks (P*P/16) than MAX_BURST");
    end

    localparam int LP  = $clog2(P);
    localparam int WIW = $clog2(WBUF_TILES * P * P / 16);  // weight beat index bits

    typedef enum logic [1:0] { F_IDLE, F_ADDR, F_W, F_B } fstate_t;
    fstate_t         state;
    logic [31:0]     beat_count;   // beats of the current request taken
    logic [3:0]      bias_off;     // byte of the first bias in its beat
    logic [P*16-1:0] bias_buf [2];

    // block ob's weight tiles, at w_off + ob * tiles * P*P: the product registered in the kick's cycle
    // and the address summed in the next (F_ADDR), one multiply or one sum per cycle; its P int16
    // biases from the 16-byte beat that holds the first
    logic [31:0] w_block;
    logic [63:0] w_addr, b_addr;
    logic [3:0]  b_first;
    assign w_addr  = base + {32'd0, w_off + w_block};
    assign b_first = b_off[3:0] + 4'({ob, {(LP + 1){1'b0}}});
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] b_byte;
    assign b_byte  = base + {32'd0, b_off + ({16'd0, ob} << (LP + 1))};
    /* verilator lint_on UNUSEDSIGNAL */
    assign b_addr  = {b_byte[63:4], 4'd0};

    assign idle   = state == F_IDLE;
    assign wb_we  = state == F_W && in_valid;
    assign wb_idx = beat_count[WIW-1:0];
    assign wb_buf = buf_half;
    assign wb_we2 = wb_we && in_pair;
    assign wb_idx2 = WIW'(beat_count + 32'(MAX_BURST));
    assign bias   = bias_buf[bias_sel];

    always_ff @(posedge clk) begin
        if (req_grant) req_valid <= 1'b0;
        if (rst) begin
            state     <= F_IDLE;
            req_valid <= 1'b0;
            req_pair  <= 1'b0;
        end else begin
            case (state)
                F_IDLE: begin
                    if (kick) begin
                        w_block <= (tiles * {16'd0, ob}) << (2 * LP);
                        state   <= F_ADDR;
                    end
                end
                F_ADDR: begin
                    req_valid  <= 1'b1;
                    req_addr   <= w_addr;
                    req_beats  <= 24'(tiles << (2 * LP - 4));
                    req_pair   <= PAIRS == 1;
                    beat_count <= 32'd0;
                    state      <= F_W;
                end
                F_W: begin
                    if (in_valid) begin
                        // after a pair's last beats, on past its second burst
                        beat_count <= beat_count + ((in_pair && in_pair_end) ? 32'(MAX_BURST + 1) : 32'd1);
                        if (in_last) begin
                            req_valid  <= 1'b1;
                            req_pair   <= 1'b0;
                            req_addr   <= b_addr;
                            req_beats  <= 24'((({28'd0, b_first}) + 32'(2 * P) + 32'd15) >> 4);
                            bias_off   <= b_first;
                            beat_count <= 32'd0;
                            state      <= F_B;
                        end
                    end
                end
                default: begin   // F_B
                    if (in_valid) begin
                        beat_count <= beat_count + 32'd1;
                        for (int g = 0; g < 2 * P; g++) begin
                            if ((32'(g) + {28'd0, bias_off}) >> 4 == beat_count) begin
                                bias_buf[buf_half][8*g +: 8] <= in_data[8*((g + int'(bias_off)) % 16) +: 8];
                            end
                        end
                        if (in_last) state <= F_IDLE;
                    end
                end
            endcase
        end
    end

endmodule

`default_nettype wire
