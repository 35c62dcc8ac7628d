// bg_sdp_ram: simple dual-port RAM (one write port, one read port), inferred, registered read.
//
// The read data register loads only when `re` is high, so a reader can hold a word on the output for as
// long as its consumer stalls without a skid buffer (the core's gather stage relies on it). A read of the
// address being written in the same cycle returns the old word (read-first); the core never does that.
// No reset: the contents and the read register are undefined until written, as in a block RAM.

`default_nettype none

module bg_sdp_ram #(
    parameter int WIDTH = 128,   // bits per word, 1..4096
    parameter int DEPTH = 1024   // words, 2..2^24
) (
    input  wire                      clk,
    input  wire                      we,
    input  wire  [$clog2(DEPTH)-1:0] waddr,
    input  wire  [WIDTH-1:0]         wdata,
    input  wire                      re,
    input  wire  [$clog2(DEPTH)-1:0] raddr,
    output logic [WIDTH-1:0]         rdata
);

    // ---- parameter checks (elaboration time) ----
    if (WIDTH < 1 || WIDTH > 4096) begin : g_bad_width
        $error("bg_sdp_ram: WIDTH must be in 1..4096");
    end
    if (DEPTH < 2 || DEPTH > (1 << 24)) begin : g_bad_depth
        $error("bg_sdp_ram: DEPTH must be in 2..16777216");
    end

    logic [WIDTH-1:0] mem [DEPTH];

    always_ff @(posedge clk) begin
        if (we) begin
            mem[waddr] <= wdata;
        end
    end

    always_ff @(posedge clk) begin
        if (re) begin
            rdata <= mem[raddr];
        end
    end

endmodule

`default_nettype wire
