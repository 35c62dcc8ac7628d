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
// Z(d) does not depend on the state, so it is computed before the state register. The k bytes are
// right-aligned into the beat (shifted up by BYTES-k bytes, which also drops the ignored bytes): a
// register at 0 stays at 0 over leading zero bytes, so Z over the aligned beat is Z(d) for any k. A_k(s)
// is a 32x32 XOR matrix for each k; the feedback loop of the state register is only these BYTES small
// networks and a BYTES-way one-hot multiplexer.
//
// Every XOR network is a constant matrix, computed at elaboration by the bit-serial description of the
// register (z_row, a_matrix), and each output bit is the reduction XOR of its inputs under one row of the
// matrix. A reduction is a balanced tree in synthesis; the bit-serial loop itself, written as logic,
// would be a chain 8*BYTES deep that the LUT mapping does not rebalance.
//
// Pipeline, one register stage per step so that each cycle holds one short network:
//   stage a: the beat right-aligned by its count, the count decoded one-hot, the markers;
//   stage z: Z(d) of the aligned beat (the data's XOR network), the one-hot count and markers passed on;
//   stage s: the CRC state (A_k(s) chosen by an AND-OR over the one-hot count, XOR Z(d)) and the result
//            register.
// Latency from an accepted last beat to out_valid: 3 cycles. As in bg_maxpool, only a last beat waits
// for the result register; other beats keep flowing while a result waits for out_ready.

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
    localparam int DW = 8 * BYTES;
    localparam logic [31:0] POLY = 32'hEDB88320;
    localparam logic [31:0] INIT = 32'hFFFFFFFF;

    // ---- parameter checks (elaboration time) ----
    if (BYTES < 1 || BYTES > 64) begin : g_bad_bytes
        $error("bg_crc32: BYTES must be in 1..64");
    end

    // ---- the XOR matrices (elaboration time) ----

    // The reflected CRC register over one zero bit.
    function automatic logic [31:0] step_zero(input logic [31:0] c);
        step_zero = (c >> 1) ^ (POLY & {32{c[0]}});
    endfunction

    // Row j of Z: bit i is set when data bit i of a beat (byte i/8, least significant bit first) flips bit j
    // of the register run from 0 over the beat. A lone 1 at bit i turns the zero register into POLY, which
    // then runs over the 8*BYTES-1-i zero bits after it.
    function automatic logic [DW-1:0] z_row(input logic [4:0] j);
        logic [31:0] c;
        c = POLY;
        for (int i = DW - 1; i >= 0; i--) begin
            z_row[i] = c[j];
            c = step_zero(c);
        end
    endfunction

    // A_k as rows: bit b of row j is set when state bit b flips bit j after k zero bytes.
    function automatic logic [31:0][31:0] a_matrix(input int k);
        logic [31:0] c;
        for (int b = 0; b < 32; b++) begin
            c = 32'd1 << b;
            for (int n = 0; n < 8 * k; n++) begin
                c = step_zero(c);
            end
            for (int j = 0; j < 32; j++) begin
                a_matrix[j][b] = c[j];
            end
        end
    endfunction

    // ---- handshake: a last beat waits in stage z while the previous result is unread ----
    logic va, vz, ra, rz, rs;
    logic lastz;
    assign rs = !lastz || !out_valid || out_ready;  // stage z may move into the state
    assign rz = !vz || rs;                          // stage z may take stage a's beat
    assign ra = !va || rz;                          // stage a may take a new beat
    assign in_ready = ra;

    // ---- stage a: count, alignment ----
    // Counts compared at 32 bits: CW can be as narrow as 1 bit.
    localparam logic [31:0] FULL32 = BYTES;
    logic [31:0]          bytes32;
    logic [BYTES:1]       onehot_in;      // bit k: the beat holds k message bytes
    logic [DW-1:0]        aligned_in;
    assign bytes32 = {{(32 - CW){1'b0}}, in_bytes};

    always_comb begin
        for (int k = 1; k <= BYTES; k++) begin
            onehot_in[k] = bytes32 == k;
        end
        // 0 and counts above BYTES are a full beat.
        if (bytes32 == 32'd0 || bytes32 > FULL32) begin
            onehot_in[BYTES] = 1'b1;
        end
        // Right-align the message bytes: for k bytes, byte i moves to i + BYTES - k and the bytes at k and
        // above fall off the top. A one-hot AND-OR over the counts.
        aligned_in = '0;
        for (int k = 1; k <= BYTES; k++) begin
            aligned_in = aligned_in | ((in_data << (8 * (BYTES - k))) & {DW{onehot_in[k]}});
        end
    end

    logic [DW-1:0]  aligned_a;
    logic [BYTES:1] onehot_a;
    logic           start_a, last_a;

    always_ff @(posedge clk) begin
        if (rst) begin
            va <= 1'b0;
        end else if (ra) begin
            va <= in_valid;
        end
    end

    always_ff @(posedge clk) begin
        if (ra && in_valid) begin
            aligned_a <= aligned_in;
            onehot_a <= onehot_in;
            start_a <= in_start;
            last_a <= in_last;
        end
    end

    // ---- stage z: the data's part Z(d) ----
    logic [31:0]    z_in, zz;
    logic [BYTES:1] onehot_z;
    logic           startz;

    for (genvar j = 0; j < 32; j++) begin : g_z
        localparam logic [DW-1:0] ROW = z_row(5'(j));
        assign z_in[j] = ^(aligned_a & ROW);
    end

    always_ff @(posedge clk) begin
        if (rst) begin
            vz <= 1'b0;
        end else if (rz) begin
            vz <= va;
        end
    end

    always_ff @(posedge clk) begin
        if (rz && va) begin
            zz <= z_in;
            onehot_z <= onehot_a;
            startz <= start_a;
            lastz <= last_a;
        end
    end

    // ---- stage s: state and result ----
    logic [31:0] state, s_used, crc_next;
    logic [BYTES:1][31:0] adv;  // A_k(s_used); packed: Yosys keeps it as one vector, not a memory

    // INIT is all ones: a start marker forces every state bit to 1.
    assign s_used = state | {32{startz}};
    for (genvar k = 1; k <= BYTES; k++) begin : g_adv
        localparam logic [31:0][31:0] A = a_matrix(k);
        for (genvar j = 0; j < 32; j++) begin : g_bit
            assign adv[k][j] = ^(s_used & A[j]);
        end
    end

    logic [31:0] adv_chosen;
    always_comb begin
        // onehot_z has exactly one bit set (stage a maps every count to one of 1..BYTES): an AND-OR.
        adv_chosen = '0;
        for (int k = 1; k <= BYTES; k++) begin
            adv_chosen = adv_chosen | (adv[k] & {32{onehot_z[k]}});
        end
    end
    assign crc_next = adv_chosen ^ zz;

    always_ff @(posedge clk) begin
        if (rst) begin
            state <= INIT;
            out_valid <= 1'b0;
        end else begin
            if (out_ready) begin
                out_valid <= 1'b0;
            end
            if (vz && rs) begin
                // After a last beat the next message starts from the initial value without a start marker.
                state <= lastz ? INIT : crc_next;
                if (lastz) begin
                    out_valid <= 1'b1;
                    out_crc <= crc_next ^ 32'hFFFFFFFF;
                end
            end
        end
    end

endmodule

`default_nettype wire
