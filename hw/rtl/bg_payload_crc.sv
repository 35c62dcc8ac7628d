// bg_payload_crc: checks the CRC-32 of a region of memory that it reads itself, in chunks, as a low-
// priority client of the AXI reader (bg_read_arbiter client B).
//
// In bg_core it checks the payload of a core program (every byte after the header against the header's
// payload_crc, docs/core-program.md) while the sequencer already runs the first layers; the sequencer
// only waits for `done` before it reports results, so no logit of a damaged image is ever reported.
//
// Protocol: a `start` pulse names the region: start_beats 128-bit beats from start_addr (16-byte aligned),
// the last beat holding start_last_bytes bytes (0: a full beat). The block then asks for the region in
// requests of at most CHUNK beats (req_valid held until req_grant; the next chunk is asked for the cycle
// after a grant), takes the beats on in_valid/in_ready into bg_crc32, and raises `done` with `ok` (the CRC
// equals expect_crc, sampled when the CRC leaves bg_crc32) three cycles after the last beat (bg_crc32's
// latency and the done register). Both hold until the next start. start_skip: the region is vouched for
// (CTRL.payload_checked): no reads, done and ok at once; start_beats must then be 0. A start with
// start_beats 0 and without start_skip never finishes.
//
// `cancel` ends a check in progress: no further requests (a request not yet granted is withdrawn); beats
// already asked for must be drained by the reader (bg_axi_reader's cancel). `rst` also empties bg_crc32's
// pipeline; a check after a cancel needs one (bg_core resets it with the engine's flush).

`default_nettype none

module bg_payload_crc #(
    parameter int ADDR_W = 64,          // byte address width, 5..64 (arithmetic wraps at ADDR_W bits)
    parameter int CHUNK  = 64           // beats per request, 1..2^23 (bg_axi_reader splits it into bursts)
) (
    input  wire                 clk,
    input  wire                 rst,            // synchronous, active high: idle, pipeline empty
    input  wire                 cancel,         // end the check in progress, no more requests

    input  wire                 start,          // one cycle: check a new region
    input  wire  [ADDR_W-1:0]   start_addr,     // 16-byte aligned
    input  wire  [23:0]         start_beats,    // 128-bit beats, 1..2^24-1 (0 with start_skip)
    input  wire  [3:0]          start_last_bytes, // bytes of the last beat, 1..15, or 0 for a full beat
    input  wire                 start_skip,     // vouched for: done and ok without reading
    input  wire  [31:0]         expect_crc,     // zlib.crc32 of the region; read when the CRC is ready

    output logic                req_valid,
    output logic [ADDR_W-1:0]   req_addr,
    output logic [23:0]         req_beats,
    input  wire                 req_grant,

    input  wire                 in_valid,
    output logic                in_ready,
    input  wire  [127:0]        in_data,        // byte i at [8*i +: 8]

    output logic                done,           // the check is over; held until the next start
    output logic                ok              // with done: the CRC matched
);

    // ---- parameter checks (elaboration time) ----
    if (ADDR_W < 5 || ADDR_W > 64) begin : g_bad_addr_w
        $error("bg_payload_crc: ADDR_W must be in 5..64");
    end
    if (CHUNK < 1 || CHUNK > (1 << 23)) begin : g_bad_chunk
        $error("bg_payload_crc: CHUNK must be in 1..8388608");
    end

    localparam logic [23:0] CHUNK24 = 24'(CHUNK);

    logic [23:0]       rem;         // beats not yet asked for
    logic [23:0]       left;        // beats not yet taken into the CRC
    logic [ADDR_W-1:0] next_addr;   // address of the next chunk
    logic [4:0]        last_bytes;
    logic              first;       // the next beat starts the message
    logic              on_last;     // the next beat is the last (left == 1), kept as a register so that
                                    // bg_crc32's count and alignment do not wait for a 24-bit compare
    logic [23:0]       chunk;       // beats of the next request
    assign chunk = rem < CHUNK24 ? rem : CHUNK24;

    logic        crc_valid;
    logic [31:0] crc_value;

    bg_crc32 #(.BYTES(16)) u_crc (
        .clk(clk), .rst(rst),
        .in_valid(in_valid), .in_ready(in_ready), .in_data(in_data),
        .in_bytes(on_last ? last_bytes : 5'd0), .in_start(first), .in_last(on_last),
        .out_valid(crc_valid), .out_ready(1'b1), .out_crc(crc_value));

    always_ff @(posedge clk) begin
        if (req_grant) req_valid <= 1'b0;
        if (rst || cancel) begin
            req_valid <= 1'b0;
            rem       <= 24'd0;
            if (rst) begin
                done <= 1'b0;
                ok   <= 1'b0;
            end
        end else begin
            // asks for the next chunk once the last one was granted
            if (!req_valid && rem != 24'd0) begin
                req_valid <= 1'b1;
                req_addr  <= next_addr;
                req_beats <= chunk;
                rem       <= rem - chunk;
                next_addr <= next_addr + (ADDR_W'(chunk) << 4);
            end
            if (in_valid && in_ready) begin
                left    <= left - 24'd1;
                on_last <= left == 24'd2;
                first   <= 1'b0;
            end
            if (crc_valid) begin
                done <= 1'b1;
                ok   <= crc_value == expect_crc;
            end
            // last, so that a start wins over the bookkeeping of the check before it
            if (start) begin
                rem        <= start_beats;
                left       <= start_beats;
                on_last    <= start_beats == 24'd1;
                next_addr  <= start_addr;
                last_bytes <= {1'b0, start_last_bytes};
                first      <= 1'b1;
                done       <= start_skip;
                ok         <= start_skip;
            end
        end
    end

endmodule

`default_nettype wire
