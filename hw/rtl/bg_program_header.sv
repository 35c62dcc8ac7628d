// bg_program_header: the program loader's header parser. It takes the first four 128-bit beats of a core
// program (the 64-byte header of docs/core-program.md: hw/compiler/program.py HEADER, as bg_program_pkg),
// checks it, and holds the fields the sequencer needs.
//
// Protocol: a `start` pulse arms the parser (and abandons a header in progress); it then accepts four
// beats on in_valid/in_ready, byte i of the header at in_data[8*(i%16) +: 8] of beat i/16 (the image's
// little-endian layout in 128-bit AXI beats). in_ready is low outside of these four beats, so the beats
// after the header stay on the stream for whoever reads the rest of the image. One beat per cycle.
// Four cycles after the fourth beat is accepted, `done` is high for one cycle with `error_code`; both the
// error code and the fields then hold until the next start. The fields are those of the image even when
// the error code is not 0 (they mean something only when it is 0). `busy` is high from start to done.
//
// Checks, in this order of priority; the code is that of STATUS.error_code (hw/regs/bg_core.rdl enum
// bg_error_e, imported from the generated bg_core_regs_pkg):
//   BAD_MAGIC    the magic field is not "BGCP" (bg_program_pkg::MAGIC)
//   BAD_VERSION  the version field is not bg_program_pkg::FORMAT_VERSION
//   HEADER_CRC   zlib.crc32 of the header bytes before header_crc differs from the header_crc field
//   NO_FIT       lanes != LANES, or slot_count > SLOTS, or slot_bytes > SLOT_BYTES
// Field offsets come from bg_program_pkg, generated from hw/compiler/program.py.
// The remaining consistency of the image (sizes, offsets, payload CRC, layer records) is for the stages
// that read the rest of it.
//
// The CRC is bg_crc32's, one beat per cycle, over all 64 header bytes, header_crc included: for zlib's
// CRC, crc32(m ++ c) with c appended little-endian equals the constant 0x2144DF1C exactly when
// c == crc32(m) (the map from c to crc32(m ++ c) is invertible). So the header_crc check is "the CRC of
// the whole header is 0x2144DF1C", and the CRC runs over four whole beats (no partial last beat of 12
// bytes). bg_crc32 registers each beat before the data's XOR network and the data's part before the
// state's, so the CRC is three short register stages instead of one long one (with whole beats its
// alignment and count selection reduce to wires); the check waits for its result. A start resets
// bg_crc32, so that the CRC of an abandoned header never reaches a later check.

`default_nettype none

module bg_program_header
    import bg_program_pkg::*;
#(
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

    output logic          done,             // one cycle, four cycles after the fourth beat
    output logic [7:0]    error_code,       // NONE, or a code as above; held until the next start

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
    output logic [31:0]   hdr_payload_crc,
    output logic [15:0]   hdr_batch_from
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

    // zlib's residue: the CRC of a message followed by its own CRC, little-endian.
    localparam logic [31:0] CRC_RESIDUE    = 32'h2144DF1C;
    localparam logic [7:0]  LANES8         = LANES[7:0];
    localparam logic [7:0]  SLOTS8         = SLOTS[7:0];
    localparam logic [31:0] SLOT_BYTES32   = SLOT_BYTES;

    // STATUS.error_code values, from the register map's enum
    localparam logic [7:0] E_NONE        = 8'(bg_core_regs_pkg::bg_error_e__NONE);
    localparam logic [7:0] E_BAD_MAGIC   = 8'(bg_core_regs_pkg::bg_error_e__BAD_MAGIC);
    localparam logic [7:0] E_BAD_VERSION = 8'(bg_core_regs_pkg::bg_error_e__BAD_VERSION);
    localparam logic [7:0] E_HEADER_CRC  = 8'(bg_core_regs_pkg::bg_error_e__HEADER_CRC);
    localparam logic [7:0] E_NO_FIT      = 8'(bg_core_regs_pkg::bg_error_e__NO_FIT);

    // The header is HEADER_BEATS whole beats, the last ending with header_crc.
    if (HEADER_BEATS != 4 || HDR_HEADER_CRC_OFFSET != HEADER_BYTES - 4) begin : g_bad_format
        $error("bg_program_header: written for a 4-beat header that ends with header_crc");
    end

    // ---- collecting the four beats ----
    logic        armed, checking;
    logic [1:0]  beat;
    logic        magic_ok;
    logic        take;

    // ---- the CRC of the 64 header bytes ----
    logic        crc_ready, crc_valid;
    logic [31:0] crc;

    // out_ready is 1, so bg_crc32 never holds a beat back; in_ready still follows its handshake.
    bg_crc32 #(.BYTES(16)) u_crc (
        .clk(clk), .rst(rst || start),
        .in_valid(armed && in_valid), .in_ready(crc_ready), .in_data(in_data),
        .in_bytes('0), .in_start(beat == 2'd0), .in_last(beat == 2'd3),
        .out_valid(crc_valid), .out_ready(1'b1), .out_crc(crc));

    // With SLOTS = 255 every u8 count fits; the comparison would be constant (a lint warning), so it is
    // left out.
    logic too_many_slots;
    if (SLOTS < 255) begin : g_slot_limit
        assign too_many_slots = hdr_slot_count > SLOTS8;
    end else begin : g_no_slot_limit
        assign too_many_slots = 1'b0;
    end

    assign in_ready = armed && crc_ready;
    assign take = in_ready && in_valid;
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
            end else if (checking && crc_valid) begin
                // Every check reads registers filled by the four beats, and the CRC of all of them.
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

    // Fields by beat: the field at header offset o of s bytes is bits [8*(o%16) +: 8*s] of beat o/16
    // (bg_program_pkg; no field straddles a beat). Fields the sequencer does not need are only in the CRC.
    function automatic logic [1:0] beat_of(input int offset);
        beat_of = 2'(offset / BEAT_BYTES);
    endfunction

    always_ff @(posedge clk) begin
        if (take) begin
            if (beat == beat_of(HDR_MAGIC_OFFSET))
                magic_ok <= in_data[8*(HDR_MAGIC_OFFSET % BEAT_BYTES) +: 32] == MAGIC;
            if (beat == beat_of(HDR_VERSION_OFFSET))
                hdr_version <= in_data[8*(HDR_VERSION_OFFSET % BEAT_BYTES) +: 16];
            if (beat == beat_of(HDR_NETWORK_ID_OFFSET))
                hdr_network_id <= in_data[8*(HDR_NETWORK_ID_OFFSET % BEAT_BYTES) +: 8];
            if (beat == beat_of(HDR_OUTPUTS_OFFSET))
                hdr_outputs <= in_data[8*(HDR_OUTPUTS_OFFSET % BEAT_BYTES) +: 8];
            if (beat == beat_of(HDR_NUM_CLASSES_OFFSET))
                hdr_num_classes <= in_data[8*(HDR_NUM_CLASSES_OFFSET % BEAT_BYTES) +: 8];
            if (beat == beat_of(HDR_LANES_OFFSET))
                hdr_lanes <= in_data[8*(HDR_LANES_OFFSET % BEAT_BYTES) +: 8];
            if (beat == beat_of(HDR_LAYER_COUNT_OFFSET))
                hdr_layer_count <= in_data[8*(HDR_LAYER_COUNT_OFFSET % BEAT_BYTES) +: 16];
            if (beat == beat_of(HDR_LAYER_BYTES_OFFSET))
                hdr_layer_bytes <= in_data[8*(HDR_LAYER_BYTES_OFFSET % BEAT_BYTES) +: 16];
            if (beat == beat_of(HDR_SLOT_COUNT_OFFSET))
                hdr_slot_count <= in_data[8*(HDR_SLOT_COUNT_OFFSET % BEAT_BYTES) +: 8];
            if (beat == beat_of(HDR_INPUT_FRAC_OFFSET))
                hdr_input_frac <= in_data[8*(HDR_INPUT_FRAC_OFFSET % BEAT_BYTES) +: 8];
            if (beat == beat_of(HDR_SLOT_BYTES_OFFSET))
                hdr_slot_bytes <= in_data[8*(HDR_SLOT_BYTES_OFFSET % BEAT_BYTES) +: 32];
            if (beat == beat_of(HDR_STRUCTURE_ID_OFFSET))
                hdr_structure_id <= in_data[8*(HDR_STRUCTURE_ID_OFFSET % BEAT_BYTES) +: 32];
            if (beat == beat_of(HDR_CLASS_OFFSET_OFFSET))
                hdr_class_offset <= in_data[8*(HDR_CLASS_OFFSET_OFFSET % BEAT_BYTES) +: 32];
            if (beat == beat_of(HDR_LAYER_OFFSET_OFFSET))
                hdr_layer_offset <= in_data[8*(HDR_LAYER_OFFSET_OFFSET % BEAT_BYTES) +: 32];
            if (beat == beat_of(HDR_WEIGHT_OFFSET_OFFSET))
                hdr_weight_offset <= in_data[8*(HDR_WEIGHT_OFFSET_OFFSET % BEAT_BYTES) +: 32];
            if (beat == beat_of(HDR_WEIGHT_BYTES_OFFSET))
                hdr_weight_bytes <= in_data[8*(HDR_WEIGHT_BYTES_OFFSET % BEAT_BYTES) +: 32];
            if (beat == beat_of(HDR_TOTAL_BYTES_OFFSET))
                hdr_total_bytes <= in_data[8*(HDR_TOTAL_BYTES_OFFSET % BEAT_BYTES) +: 32];
            if (beat == beat_of(HDR_PAYLOAD_CRC_OFFSET))
                hdr_payload_crc <= in_data[8*(HDR_PAYLOAD_CRC_OFFSET % BEAT_BYTES) +: 32];
            if (beat == beat_of(HDR_BATCH_FROM_OFFSET))
                hdr_batch_from <= in_data[8*(HDR_BATCH_FROM_OFFSET % BEAT_BYTES) +: 16];
        end
    end

endmodule

`default_nettype wire
