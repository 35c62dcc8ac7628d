// Generated from hw/compiler/program.py by hw/compiler/program_sv.py (make regs); do not edit.
//
// The core-program format (docs/core-program.md): byte offsets and sizes of the header and layer
// record fields, the operations, the flag bits, the format byte, magic and version. Byte o of the
// image is bits [8*(o%16) +: 8] of 128-bit beat o/16 (little-endian AXI beats).

package bg_program_pkg;

    // A table of the whole format: each module uses a few of these constants.
    /* verilator lint_off UNUSEDPARAM */
    localparam logic [31:0] MAGIC = 32'h50434742;  // 'BGCP', byte 0 lowest
    localparam logic [15:0] FORMAT_VERSION = 16'd2;
    localparam int BEAT_BYTES = 16;  // one 128-bit AXI beat; every section starts on one
    localparam int HEADER_BYTES = 64;
    localparam int HEADER_BEATS = 4;
    localparam int LAYER_BYTES = 48;
    localparam int LAYER_BEATS = 3;
    localparam int INPUT_SLOT = 0;  // the input patch, never written
    localparam logic [7:0] NO_SLOT = 8'd255;

    // Header fields (program.HEADER)
    localparam int HDR_MAGIC_OFFSET = 0;  // ASCII "BGCP"
    localparam int HDR_MAGIC_BYTES = 4;
    localparam int HDR_VERSION_OFFSET = 4;  // format version, 2
    localparam int HDR_VERSION_BYTES = 2;
    localparam int HDR_HEADER_BYTES_OFFSET = 6;  // size of this header in bytes
    localparam int HDR_HEADER_BYTES_BYTES = 2;
    localparam int HDR_NETWORK_ID_OFFSET = 8;  // 0 coarse, 1-5 fine1-fine5, 6 native
    localparam int HDR_NETWORK_ID_BYTES = 1;
    localparam int HDR_OUTPUTS_OFFSET = 9;  // logits the network computes (8 for the cascade)
    localparam int HDR_OUTPUTS_BYTES = 1;
    localparam int HDR_NUM_CLASSES_OFFSET = 10;  // logits that are classes; the rest are ignored
    localparam int HDR_NUM_CLASSES_BYTES = 1;
    localparam int HDR_LANES_OFFSET = 11;  // P of the P x P MAC array the weights are laid out for
    localparam int HDR_LANES_BYTES = 1;
    localparam int HDR_LAYER_COUNT_OFFSET = 12;  // number of layer records
    localparam int HDR_LAYER_COUNT_BYTES = 2;
    localparam int HDR_LAYER_BYTES_OFFSET = 14;  // size of one layer record in bytes
    localparam int HDR_LAYER_BYTES_BYTES = 2;
    localparam int HDR_WIDTH_OFFSET = 16;  // network width w (channels of the first stage)
    localparam int HDR_WIDTH_BYTES = 2;
    localparam int HDR_INPUT_HEIGHT_OFFSET = 18;  // input patch rows
    localparam int HDR_INPUT_HEIGHT_BYTES = 2;
    localparam int HDR_INPUT_WIDTH_OFFSET = 20;  // input patch columns
    localparam int HDR_INPUT_WIDTH_BYTES = 2;
    localparam int HDR_SLOT_COUNT_OFFSET = 22;  // activation slots used, slot 0 = input patch
    localparam int HDR_SLOT_COUNT_BYTES = 1;
    localparam int HDR_INPUT_FRAC_OFFSET = 23;  // binary point of the input codes
    localparam int HDR_INPUT_FRAC_BYTES = 1;
    localparam int HDR_SLOT_BYTES_OFFSET = 24;  // bytes the largest activation needs (H x W x C, one byte per code)
    localparam int HDR_SLOT_BYTES_BYTES = 4;
    localparam int HDR_STRUCTURE_ID_OFFSET = 28;  // CRC-32 of the lanes field and the layer table: equal for networks the same core runs
    localparam int HDR_STRUCTURE_ID_BYTES = 4;
    localparam int HDR_CLASS_OFFSET_OFFSET = 32;  // byte offset of the class table
    localparam int HDR_CLASS_OFFSET_BYTES = 4;
    localparam int HDR_LAYER_OFFSET_OFFSET = 36;  // byte offset of the layer table
    localparam int HDR_LAYER_OFFSET_BYTES = 4;
    localparam int HDR_WEIGHT_OFFSET_OFFSET = 40;  // byte offset of the weight payload
    localparam int HDR_WEIGHT_OFFSET_BYTES = 4;
    localparam int HDR_WEIGHT_BYTES_OFFSET = 44;  // size of the weight payload
    localparam int HDR_WEIGHT_BYTES_BYTES = 4;
    localparam int HDR_TOTAL_BYTES_OFFSET = 48;  // size of the whole image
    localparam int HDR_TOTAL_BYTES_BYTES = 4;
    localparam int HDR_PAYLOAD_CRC_OFFSET = 52;  // CRC-32 of bytes header_bytes .. total_bytes
    localparam int HDR_PAYLOAD_CRC_BYTES = 4;
    localparam int HDR_BATCH_FROM_OFFSET = 56;  // first layer a core may run on two maps at once, the second map in the slots' upper halves (0: none)
    localparam int HDR_BATCH_FROM_BYTES = 2;
    localparam int HDR_RESERVED_OFFSET = 58;  // zero
    localparam int HDR_RESERVED_BYTES = 2;
    localparam int HDR_HEADER_CRC_OFFSET = 60;  // CRC-32 of the header bytes before this field
    localparam int HDR_HEADER_CRC_BYTES = 4;

    // Layer record fields (program.LAYER)
    localparam int LAYER_OP_OFFSET = 0;  // 1 conv, 2 max-pool, 3 global average pool, 4 dense
    localparam int LAYER_OP_BYTES = 1;
    localparam int LAYER_FLAGS_OFFSET = 1;  // 1 residual add, 2 taps on lanes, 4 round half to even, 8 saturate
    localparam int LAYER_FLAGS_BYTES = 1;
    localparam int LAYER_SRC_OFFSET = 2;  // activation slot read
    localparam int LAYER_SRC_BYTES = 1;
    localparam int LAYER_DST_OFFSET = 3;  // activation slot written
    localparam int LAYER_DST_BYTES = 1;
    localparam int LAYER_RES_OFFSET = 4;  // slot of the residual operand (255: none)
    localparam int LAYER_RES_BYTES = 1;
    localparam int LAYER_KERNEL_OFFSET = 5;  // kernel (or pool window) side
    localparam int LAYER_KERNEL_BYTES = 1;
    localparam int LAYER_STRIDE_OFFSET = 6;  // stride, both axes
    localparam int LAYER_STRIDE_BYTES = 1;
    localparam int LAYER_OUT_FRAC_OFFSET = 7;  // binary point of the output codes
    localparam int LAYER_OUT_FRAC_BYTES = 1;
    localparam int LAYER_PAD_TOP_OFFSET = 8;  // zero rows above the input
    localparam int LAYER_PAD_TOP_BYTES = 1;
    localparam int LAYER_PAD_BOTTOM_OFFSET = 9;  // zero rows below
    localparam int LAYER_PAD_BOTTOM_BYTES = 1;
    localparam int LAYER_PAD_LEFT_OFFSET = 10;  // zero columns left
    localparam int LAYER_PAD_LEFT_BYTES = 1;
    localparam int LAYER_PAD_RIGHT_OFFSET = 11;  // zero columns right
    localparam int LAYER_PAD_RIGHT_BYTES = 1;
    localparam int LAYER_IN_HEIGHT_OFFSET = 12;  // input rows (before padding)
    localparam int LAYER_IN_HEIGHT_BYTES = 2;
    localparam int LAYER_IN_WIDTH_OFFSET = 14;  // input columns (before padding)
    localparam int LAYER_IN_WIDTH_BYTES = 2;
    localparam int LAYER_IN_CHANNELS_OFFSET = 16;  // input channels
    localparam int LAYER_IN_CHANNELS_BYTES = 2;
    localparam int LAYER_OUT_HEIGHT_OFFSET = 18;  // output rows
    localparam int LAYER_OUT_HEIGHT_BYTES = 2;
    localparam int LAYER_OUT_WIDTH_OFFSET = 20;  // output columns
    localparam int LAYER_OUT_WIDTH_BYTES = 2;
    localparam int LAYER_OUT_CHANNELS_OFFSET = 22;  // output channels
    localparam int LAYER_OUT_CHANNELS_BYTES = 2;
    localparam int LAYER_BIAS_SHIFT_OFFSET = 24;  // left shift that puts a bias code on the accumulator's binary point
    localparam int LAYER_BIAS_SHIFT_BYTES = 1;
    localparam int LAYER_OUT_SHIFT_OFFSET = 25;  // right shift from the accumulator (or pool sum) to the output format
    localparam int LAYER_OUT_SHIFT_BYTES = 1;
    localparam int LAYER_OUT_FORMAT_OFFSET = 26;  // bits 0-5: width of the first requantization; bit 7: signed
    localparam int LAYER_OUT_FORMAT_BYTES = 1;
    localparam int LAYER_POST_FORMAT_OFFSET = 27;  // the same after the residual add (0: no residual)
    localparam int LAYER_POST_FORMAT_BYTES = 1;
    localparam int LAYER_WEIGHT_OFFSET_OFFSET = 28;  // weight tiles, from the start of the weight payload
    localparam int LAYER_WEIGHT_OFFSET_BYTES = 4;
    localparam int LAYER_WEIGHT_BYTES_OFFSET = 32;  // size of the weight tiles
    localparam int LAYER_WEIGHT_BYTES_BYTES = 4;
    localparam int LAYER_BIAS_OFFSET_OFFSET = 36;  // int16 biases, from the start of the weight payload
    localparam int LAYER_BIAS_OFFSET_BYTES = 4;
    localparam int LAYER_BIAS_BYTES_OFFSET = 40;  // size of the biases
    localparam int LAYER_BIAS_BYTES_BYTES = 4;
    localparam int LAYER_RESERVED_OFFSET = 44;  // zero
    localparam int LAYER_RESERVED_BYTES = 4;

    // Operations (the op field)
    localparam logic [7:0] OP_CONV = 8'd1;
    localparam logic [7:0] OP_MAXPOOL = 8'd2;
    localparam logic [7:0] OP_GAP = 8'd3;
    localparam logic [7:0] OP_DENSE = 8'd4;

    // Flag bits (the flags field): bit numbers, and the mask of every bit this format defines
    localparam int FLAG_RESIDUAL_BIT = 0;
    localparam int FLAG_TAPS_ON_LANES_BIT = 1;
    localparam int FLAG_ROUND_BIT = 2;
    localparam int FLAG_SATURATE_BIT = 3;
    localparam logic [7:0] FLAGS_KNOWN = 8'h0F;

    // The format byte (out_format, post_format): code width in the low bits, the sign in one bit
    localparam logic [7:0] FORMAT_WIDTH_MASK = 8'h3F;
    localparam int FORMAT_SIGNED_BIT = 7;
    /* verilator lint_on UNUSEDPARAM */

endpackage
