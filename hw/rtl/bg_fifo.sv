// bg_fifo: a first-word-fall-through FIFO of DEPTH words, valid/ready on both sides.
//
// The head word is on out_data while out_valid is high (a read of the storage at the read pointer, no
// register after it), so a word written in one cycle is offered from the next. The storage has no reset
// and is read asynchronously: small FIFOs map to distributed RAM (Xilinx LUTRAM, ECP5 DPR16X4).
// in_ready is low only when DEPTH words are held; a word can be taken and another given in one cycle,
// full or empty.

`default_nettype none

module bg_fifo #(
    parameter int WIDTH = 8,    // bits per word, 1..4096
    parameter int DEPTH = 16    // words, a power of two 2..65536
) (
    input  wire                 clk,
    input  wire                 rst,          // synchronous, active high: empty

    input  wire                 in_valid,
    output logic                in_ready,     // not full
    input  wire  [WIDTH-1:0]    in_data,

    output logic                out_valid,    // not empty
    input  wire                 out_ready,
    output logic [WIDTH-1:0]    out_data
);

    // ---- parameter checks (elaboration time) ----
    if (WIDTH < 1 || WIDTH > 4096) begin : g_bad_width
        $error("bg_fifo: WIDTH must be in 1..4096");
    end
    if (DEPTH < 2 || DEPTH > 65536 || (DEPTH & (DEPTH - 1)) != 0) begin : g_bad_depth
        $error("bg_fifo: DEPTH must be a power of two in 2..65536");
    end

    localparam int AW = $clog2(DEPTH);

    logic [WIDTH-1:0] mem [DEPTH];
    logic [AW:0]      wr, rd;   // one bit above the index: equal is empty, apart by DEPTH is full
    logic             push, pop;

    assign in_ready  = (wr ^ rd) != {1'b1, {AW{1'b0}}};
    assign out_valid = wr != rd;
    assign out_data  = mem[rd[AW-1:0]];
    assign push      = in_valid && in_ready;
    assign pop       = out_valid && out_ready;

    always_ff @(posedge clk) begin
        if (push) mem[wr[AW-1:0]] <= in_data;
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            wr <= '0;
            rd <= '0;
        end else begin
            if (push) wr <= wr + 1'b1;
            if (pop) rd <= rd + 1'b1;
        end
    end

endmodule

`default_nettype wire
