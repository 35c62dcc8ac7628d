// bg_program_header: the program loader's header parser. It takes the first four 128-bit beats of a core
// program (the 64-byte header of docs/core-program.md, hw/compiler/program.py HEADER), checks it, and holds the
// fields the sequencer needs.
//
// Protocol: a `start` pulse arms the parser (and abandons a header in progress); it then accepts four
// beats on in_valid/in_ready, byte i of the header at in_data[8*(i%16) +: 8] of beat i/16 (the image's
// little-endian layout in 128-bit AXI beats). in_ready is low outside of these four beats, so the beats
// after the header stay on the stream for whoever reads the rest of the image. One beat per cycle.
// Two cycles after the fourth beat is accepted, `done` is high for one cycle with `error_code`; both the
// error code and the fields then hold until the next start. The fields are those of the image even when
// the error code is not 0 (they mean something only when it is 0). `busy` is high from start to done.
//
// Checks, in this order of priority; the code is that of STATUS.error_code (hw/regs/bg_core.rdl):
//   1 BAD_MAGIC    bytes 0..3 are not "BGCP"
//   2 BAD_VERSION  the format version (bytes 4..5) is not FORMAT_VERSION (1)
//   3 HEADER_CRC   zlib.crc32 of header bytes 0..59 differs from the header_crc field (bytes 60..63)
//   5 NO_FIT       lanes != LANES, or slot_count > SLOTS, or slot_bytes > SLOT_BYTES
// The remaining consistency of the image (sizes, offsets, payload CRC, layer records) is for the stages
// that read the rest of it.
//
// The CRC is computed here, one beat per cycle, with the same bit-serial description of the reflected
// CRC-32 (polynomial 0xEDB88320) as bg_crc32, but over all 64 header bytes, header_crc included: for
// zlib's CRC, crc32(m ++ c) with c appended little-endian equals the constant 0x2144DF1C exactly when
// c == crc32(m) (the map from c to crc32(m ++ c) is invertible). So the header_crc check is "the CRC of
// the whole header is 0x2144DF1C", and one 16-byte network serves all four beats instead of a 16-byte and
// a 12-byte one. It is not an instance of bg_crc32 so that this file elaborates on its own (the lint
// parameter checks and Yosys read one file at a time), and because whole beats need neither bg_crc32's
// byte alignment nor its per-count networks.

`default_nettype none

module bg_program_header #(
    parameter int LANES      = 16,     // P of the core's MAC array, 1..255 (the header's lanes is a u8)
    parameter int SLOTS      = 8,      // activation slots of the core, 1..255 (slot_count is a u8)
    parameter int SLOT_BYTES = 65536   // bytes of one activation slot, 1..2147483647 (slot_bytes is a u32)
) (
    input  wire           clk,
    input  wire           rst,              // synchronous, active high: idle, error_code 0 (fields kept)

    input  wire           start,            // one-cycle pulse: parse the next four beats
    output logic          busy,             // from start to done

    input  wire           in_valid,
    output logic          in_ready,
    input  wire  [127:0]  in_data,          // byte 16*n + i of the header at [8*i +: 8] of beat n

    output logic          done,             // one cycle, two cycles after the fourth beat
    output logic [7:0]    error_code,       // 0, or 1, 2, 3, 5 as above; held until the next start

    // Header fields, held from done until the next start (docs/core-program.md, "Header").
    output logic [15:0]   hdr_version,
    output logic [7:0]    hdr_network_id,
    output logic [7:0]    hdr_outputs,
    output logic [7:0]    hdr_num_classes,
    output logic [7:0]    hdr_lanes,
    output logic [15:0]   hdr_layer_count,
    output logic [15:0]   hdr_layer_bytes,
    output logic [7:0]    hdr_slot_count,
    output logic [7:0]    hdr_input_frac,
    output logic [31:0]   hdr_slot_bytes,
    output logic [31:0]   hdr_structure_id,
    output logic [31:0]   hdr_class_offset,
    output logic [31:0]   hdr_layer_offset,
    output logic [31:0]   hdr_weight_offset,
    output logic [31:0]   hdr_weight_bytes,
    output logic [31:0]   hdr_total_bytes,
    output logic [31:0]   hdr_payload_crc
);

    // ---- parameter checks (elaboration time) ----
    if (LANES < 1 || LANES > 255) begin : g_bad_lanes
        $error("bg_program_header: LANES must be in 1..255");
    end
    if (SLOTS < 1 || SLOTS > 255) begin : g_bad_slots
        $error("bg_program_header: SLOTS must be in 1..255");
    end
    if (SLOT_BYTES < 1) begin : g_bad_slot_bytes
        $error("bg_program_header: SLOT_BYTES must be in 1..2147483647");
    end

    localparam logic [31:0] MAGIC          = 32'h50434742;  // "BGCP", byte 0 ('B') lowest
    localparam logic [15:0] FORMAT_VERSION = 16'd1;
    localparam logic [31:0] POLY           = 32'hEDB88320;
    localparam logic [31:0] CRC_INIT       = 32'hFFFFFFFF;
    // zlib's residue 0x2144DF1C before the final XOR with 0xFFFFFFFF.
    localparam logic [31:0] CRC_RESIDUE    = 32'hDEBB20E3;
    localparam logic [7:0]  LANES8         = LANES[7:0];
    localparam logic [7:0]  SLOTS8         = SLOTS[7:0];
    localparam logic [31:0] SLOT_BYTES32   = SLOT_BYTES;

    localparam logic [7:0] E_NONE = 8'd0, E_BAD_MAGIC = 8'd1, E_BAD_VERSION = 8'd2, E_HEADER_CRC = 8'd3,
                           E_NO_FIT = 8'd5;

    // The reflected CRC register over the 16 bytes of a beat, byte 0 first, least significant bit first.
    function automatic logic [31:0] crc_update(input logic [31:0] crc, input logic [127:0] data);
        logic [31:0] c;
        c = crc;
        for (int i = 0; i < 128; i++) begin
            c = (c >> 1) ^ (POLY & {32{c[0] ^ data[i]}});
        end
        crc_update = c;
    endfunction

    // ---- collecting the four beats ----
    logic        armed, checking;
    logic [1:0]  beat;
    logic [31:0] crc;
    logic        magic_ok;
    logic        take;

    // With SLOTS = 255 every u8 count fits; the comparison would be constant (a lint warning), so it is
    // left out.
    logic too_many_slots;
    if (SLOTS < 255) begin : g_slot_limit
        assign too_many_slots = hdr_slot_count > SLOTS8;
    end else begin : g_no_slot_limit
        assign too_many_slots = 1'b0;
    end

    assign in_ready = armed;
    assign take = armed && in_valid;
    assign busy = armed || checking;

    always_ff @(posedge clk) begin
        if (rst) begin
            armed <= 1'b0;
            checking <= 1'b0;
            beat <= 2'd0;
            done <= 1'b0;
            error_code <= E_NONE;
        end else begin
            done <= 1'b0;
            if (start) begin
                armed <= 1'b1;
                checking <= 1'b0;
                beat <= 2'd0;
                error_code <= E_NONE;
            end else if (take) begin
                beat <= beat + 2'd1;
                if (beat == 2'd3) begin
                    armed <= 1'b0;
                    checking <= 1'b1;
                end
            end else if (checking) begin
                // Every check reads registers filled by the four beats.
                checking <= 1'b0;
                done <= 1'b1;
                if (!magic_ok) begin
                    error_code <= E_BAD_MAGIC;
                end else if (hdr_version != FORMAT_VERSION) begin
                    error_code <= E_BAD_VERSION;
                end else if (crc != CRC_RESIDUE) begin
                    error_code <= E_HEADER_CRC;
                end else if (hdr_lanes != LANES8 || too_many_slots || hdr_slot_bytes > SLOT_BYTES32) begin
                    error_code <= E_NO_FIT;
                end else begin
                    error_code <= E_NONE;
                end
            end
        end
    end

    // Fields by beat; bits [8*o +: 8*s] of beat o/16 for a field at header offset o of s bytes. Header
    // bytes 6..7 (header_bytes), 16..21 (width, input size) and 56..63 (reserved, header_crc) are only in
    // the CRC.
    always_ff @(posedge clk) begin
        if (take) begin
            crc <= crc_update((beat == 2'd0) ? CRC_INIT : crc, in_data);
            case (beat)
                2'd0: begin
                    magic_ok <= in_data[31:0] == MAGIC;
                    hdr_version <= in_data[47:32];
                    hdr_network_id <= in_data[71:64];
                    hdr_outputs <= in_data[79:72];
                    hdr_num_classes <= in_data[87:80];
                    hdr_lanes <= in_data[95:88];
                    hdr_layer_count <= in_data[111:96];
                    hdr_layer_bytes <= in_data[127:112];
                end
                2'd1: begin
                    hdr_slot_count <= in_data[55:48];     // header byte 22
                    hdr_input_frac <= in_data[63:56];     // 23
                    hdr_slot_bytes <= in_data[95:64];     // 24..27
                    hdr_structure_id <= in_data[127:96];  // 28..31
                end
                2'd2: begin
                    hdr_class_offset <= in_data[31:0];    // 32..35
                    hdr_layer_offset <= in_data[63:32];   // 36..39
                    hdr_weight_offset <= in_data[95:64];  // 40..43
                    hdr_weight_bytes <= in_data[127:96];  // 44..47
                end
                default: begin
                    hdr_total_bytes <= in_data[31:0];     // 48..51
                    hdr_payload_crc <= in_data[63:32];    // 52..55
                end
            endcase
        end
    end

endmodule

`default_nettype wire
