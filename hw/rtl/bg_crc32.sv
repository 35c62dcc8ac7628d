// bg_crc32: CRC-32 of a byte stream that arrives as BYTES-byte beats, valid/ready, one beat per cycle.
//
// The CRC is the one of the core-program format (docs/core-program.md): IEEE 802.3 / zlib, reflected,
// polynomial 0xEDB88320 in reflected form, initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF, so a message's
// result equals Python's zlib.crc32(message). The program loader checks the header CRC and the payload
// CRC with it.
//
// Beats: byte i of a beat is in_data[8*i +: 8] (little-endian, as the program image lies in a 128-bit
// AXI beat); in_bytes says how many bytes, from byte 0 up, belong to the message (1..BYTES). Any beat may
// be partial, normally only the last one is. A count of 0 or above BYTES counts as BYTES (a full beat), so
// that every input has one defined result. The bytes above the count are ignored.
// A message is the beats from one with in_start (or the first beat after reset or after a last beat) to
// one with in_last; its CRC leaves on the output. in_start on a beat in the middle of a message abandons
// the message so far and starts a new one with this beat.
//
// How one beat per cycle is reached without a table: the CRC register c is linear in its state and in
// the data. For k message bytes d, with Z(x) the CRC register run from 0 over the bytes x and A_k(s) the
// register run from s over k zero bytes,
//     crc(s, d) = A_k(s) ^ Z(d).
// Z(d) does not depend on the state, so it is computed before the state register (stage 0). The k bytes
// are right-aligned into the beat (shifted up by BYTES-k bytes, which also drops the ignored bytes): a
// register at 0 stays at 0 over leading zero bytes, so Z over the aligned beat is Z(d) for any k. A_k(s)
// is a 32x32 XOR matrix for each k; the feedback loop of the state register is only these BYTES small
// networks and a BYTES-way multiplexer. All networks are written as bit-serial loops over constant bounds
// in functions; Verilator and Yosys unroll them into XOR trees.
//
// Pipeline: stage 0 registers Z(d) of the beat with its count and markers; stage 1 holds the CRC
// state and the result register. Latency from an accepted last beat to out_valid: 2 cycles. As in
// bg_maxpool, only a last beat waits for the result register; other beats keep flowing while a result
// waits for out_ready.

`default_nettype none

module bg_crc32 #(
    parameter int BYTES = 16  // bytes per beat, 1..64 (16: one 128-bit AXI beat)
) (
    input  wire                     clk,
    input  wire                     rst,        // synchronous, active high: empties the pipeline

    input  wire                     in_valid,
    output logic                    in_ready,
    input  wire  [8*BYTES-1:0]      in_data,    // byte i at [8*i +: 8]
    // message bytes in this beat, 1..BYTES (0 or above BYTES: a full beat); CW = $clog2(BYTES + 1) bits
    input  wire  [$clog2(BYTES + 1)-1:0] in_bytes,
    input  wire                     in_start,   // first beat of a message
    input  wire                     in_last,    // last beat of a message: emit its CRC

    output logic                    out_valid,
    input  wire                     out_ready,
    output logic [31:0]             out_crc     // zlib.crc32 of the message
);

    // Width of in_bytes: it must hold BYTES itself.
    localparam int CW = $clog2(BYTES + 1);
    localparam logic [31:0] POLY = 32'hEDB88320;
    localparam logic [31:0] INIT = 32'hFFFFFFFF;

    // ---- parameter checks (elaboration time) ----
    if (BYTES < 1 || BYTES > 64) begin : g_bad_bytes
        $error("bg_crc32: BYTES must be in 1..64");
    end

    // The CRC register from 0 over all bits of a beat, byte 0 first, least significant bit first
    // (reflected). A zero state is what makes this the state-independent part Z.
    function automatic logic [31:0] crc_from_zero(input logic [8*BYTES-1:0] data);
        logic [31:0] c;
        c = 32'd0;
        for (int i = 0; i < 8 * BYTES; i++) begin
            c = (c >> 1) ^ (POLY & {32{c[0] ^ data[i]}});
        end
        crc_from_zero = c;
    endfunction

    // The CRC register from s over n zero bytes, A_n(s). The bound is constant and the condition is
    // constant at every call site (n is a genvar), so each call is a fixed 32x32 XOR network.
    function automatic logic [31:0] advance(input logic [31:0] s, input int n);
        logic [31:0] c;
        c = s;
        for (int i = 0; i < 8 * BYTES; i++) begin
            if (i < 8 * n) begin
                c = (c >> 1) ^ (POLY & {32{c[0]}});
            end
        end
        advance = c;
    endfunction

    // ---- stage 0: the state-independent part of the beat ----
    logic                 v0, r0, r1;
    logic [CW-1:0]        cnt_in, cnt0;
    logic [8*BYTES-1:0]   aligned;
    logic [31:0]          z0;
    logic                 start0, last0;

    // Beats that leave no result never wait; a last beat waits while the previous result is unread.
    assign r1 = !last0 || !out_valid || out_ready;
    assign r0 = !v0 || r1;
    assign in_ready = r0;

    // Counts compared and subtracted at 32 bits: CW can be as narrow as 1 bit.
    localparam logic [31:0] FULL32 = BYTES;
    logic [31:0] bytes32, pad_bytes;
    assign bytes32 = {{(32 - CW){1'b0}}, in_bytes};
    assign cnt_in = (bytes32 == 32'd0 || bytes32 > FULL32) ? FULL32[CW-1:0] : in_bytes;
    assign pad_bytes = FULL32 - {{(32 - CW){1'b0}}, cnt_in};
    // Right-align the message bytes: byte i moves to i + BYTES - k; bytes at k and above fall off the top.
    assign aligned = in_data << (pad_bytes * 32'd8);

    always_ff @(posedge clk) begin
        if (rst) begin
            v0 <= 1'b0;
        end else if (r0) begin
            v0 <= in_valid;
        end
    end

    always_ff @(posedge clk) begin
        if (r0 && in_valid) begin
            z0 <= crc_from_zero(aligned);
            cnt0 <= cnt_in;
            start0 <= in_start;
            last0 <= in_last;
        end
    end

    // ---- stage 1: state and result ----
    logic [31:0] state, s_used, crc_next, cnt0_32;
    logic [BYTES:1][31:0] adv;  // packed: Yosys keeps it as one vector, not a memory

    assign s_used = start0 ? INIT : state;
    for (genvar k = 1; k <= BYTES; k++) begin : g_adv
        assign adv[k] = advance(s_used, k);
    end

    assign cnt0_32 = {{(32 - CW){1'b0}}, cnt0};

    always_comb begin
        // cnt0 is 1..BYTES by construction (stage 0 maps the rest to BYTES).
        crc_next = adv[BYTES];
        for (int k = 1; k < BYTES; k++) begin
            if (cnt0_32 == k) begin
                crc_next = adv[k];
            end
        end
        crc_next = crc_next ^ z0;
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            state <= INIT;
            out_valid <= 1'b0;
        end else begin
            if (out_ready) begin
                out_valid <= 1'b0;
            end
            if (v0 && r1) begin
                // After a last beat the next message starts from the initial value without a start marker.
                state <= last0 ? INIT : crc_next;
                if (last0) begin
                    out_valid <= 1'b1;
                    out_crc <= crc_next ^ 32'hFFFFFFFF;
                end
            end
        end
    end

endmodule

`default_nettype wire
