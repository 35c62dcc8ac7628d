// bg_conv_addr_gen: the address generator of one pass of a layer (one block of output channels): walks
// the output pixels and, per pixel, the taps of its window, one transfer per beat on a valid/ready
// output, at most one per cycle.
//
// The walk (loops from the outermost): output row oy < out_h, output column ox < out_w, window row
// wy < win_h, window column wx < win_w, inner block ib < nib. The input pixel of a tap is
// (iy, ix) = (oy*stride - pad_top + wy, ox*stride - pad_left + wx); a tap outside 0..in_h-1 x 0..in_w-1
// is padding (`out_zero`: the beat's activations are zeros; its address is then meaningless). Per mode:
//   conv, dense (0): source word (iy*in_w + ix)*cbin + ib, weight tile (wy*win_w + wx)*nib + ib: one beat
//                    per tap and input channel block (nib = cbin); dense is a 1x1 conv on a 1x1 map;
//   max-pool    (2): source word (iy*in_w + ix)*cbin + ob: one beat per window tap (nib = 1), block ob;
//   global average pool (3): as max-pool, with the window the whole map (win = in, stride 1, no padding);
//   stem        (1): one transfer per output pixel, carrying only the window's origin
//                    (`out_iy0`, `out_ix0` = oy*stride - pad_top, ox*stride - pad_left) and the tag:
//                    bg_stem_window reads the whole window and issues its beats itself.
// Every transfer carries the tag (oy*out_w + ox)*cob + ob, the destination word of the output pixel in
// block ob; `out_first` / `out_last` mark the first and last beat of an output pixel (wy, wx, ib all
// zero / all at their ends). Addresses are computed in 32 bits and keep their low ADDR_W, TILE_W, TAG_W
// bits: the loader checks that every tensor and the tiles of a block fit (bg_core, error 5).
//
// `start` (one cycle) begins the pass of block `start_ob` at pixel (0, 0), tap (0, 0, 0); out_valid
// stays high until the last transfer of the pass (out_valid low: the pass is walked). The configuration
// must hold from `start` until then; counts (in_h ... nib) are 1..65535 (0 would wrap), stride 1..255.
// Outputs are combinational from the counters, so they stay stable while out_valid waits for out_ready.
//
// Multipliers (inferred; Yosys maps most of them to DSP48E1): oy*stride, ox*stride, iy*in_w, pix*cbin,
// wy*win_w, (wy*win_w + wx)*nib, oy*out_w, (oy*out_w + ox)*cob.

`default_nettype none

module bg_conv_addr_gen #(
    parameter int ADDR_W = 12,  // source word address bits (the slot's words), 1..32
    parameter int TILE_W = 7,   // weight tile index bits (tiles of one weight buffer half), 1..32
    parameter int TAG_W  = 12   // tag bits (destination word address), 1..32
) (
    input  wire                  clk,
    input  wire                  rst,          // synchronous, active high: ends the pass

    /* Layer configuration: stable from start until out_valid falls */
    input  wire  [1:0]           cfg_mode,     // 0 conv/dense, 1 stem (window origins), 2 max-pool, 3 gap
    input  wire  [7:0]           cfg_stride,
    input  wire  [7:0]           cfg_pad_top,
    input  wire  [7:0]           cfg_pad_left,
    input  wire  [15:0]          cfg_in_h,
    input  wire  [15:0]          cfg_in_w,
    input  wire  [15:0]          cfg_cbin,     // channel blocks (words per pixel) of the source
    input  wire  [15:0]          cfg_out_h,
    input  wire  [15:0]          cfg_out_w,
    input  wire  [15:0]          cfg_cob,      // channel blocks of the destination
    input  wire  [15:0]          cfg_win_h,    // window rows (kernel; the map for gap)
    input  wire  [15:0]          cfg_win_w,
    input  wire  [15:0]          cfg_nib,      // inner blocks per tap: cbin for conv, 1 otherwise

    /* Pass control */
    input  wire                  start,        // one cycle: walk the pass of output block start_ob
    input  wire  [15:0]          start_ob,

    /* Beats (modes 0, 2, 3) or window origins (mode 1) */
    output logic                 out_valid,    // also: the pass is being walked
    input  wire                  out_ready,
    output logic [ADDR_W-1:0]    out_addr,     // source word of the tap
    output logic                 out_zero,     // the tap is padding
    output logic [TILE_W-1:0]    out_tile,     // weight tile of the tap and inner block
    output logic                 out_first,    // first beat of the output pixel
    output logic                 out_last,     // last beat of the output pixel
    output logic [TAG_W-1:0]     out_tag,      // destination word of the output pixel in block ob
    output logic signed [31:0]   out_iy0,      // window origin row: oy*stride - pad_top
    output logic signed [31:0]   out_ix0       // window origin column: ox*stride - pad_left
);

    // ---- parameter checks (elaboration time) ----
    if (ADDR_W < 1 || ADDR_W > 32) begin : g_bad_addr_w
        $error("bg_conv_addr_gen: ADDR_W must be in 1..32");
    end
    if (TILE_W < 1 || TILE_W > 32) begin : g_bad_tile_w
        $error("bg_conv_addr_gen: TILE_W must be in 1..32");
    end
    if (TAG_W < 1 || TAG_W > 32) begin : g_bad_tag_w
        $error("bg_conv_addr_gen: TAG_W must be in 1..32");
    end

    localparam logic [1:0] M_STEM = 2'd1, M_POOL = 2'd2, M_GAP = 2'd3;   // 0: conv and dense

    logic        running;      // output pixels left
    logic [15:0] ob, oy, ox, wy, wx, ib;
    logic        take, stem;

    assign stem = cfg_mode == M_STEM;
    assign take = running && out_ready;

    /* verilator lint_off UNUSEDSIGNAL */
    // 32-bit address arithmetic; the address widths keep the low bits (fit checked by the loader), so the
    // high bits are unused on purpose.
    logic signed [31:0] iy, ix, oy_s, ox_s;
    logic [31:0] pix, word32, tile32, tag32;
    /* verilator lint_on UNUSEDSIGNAL */
    logic        in_range;
    logic [15:0] blk;

    always_comb begin
        oy_s = $signed({16'd0, oy} * {24'd0, cfg_stride}) - $signed({24'd0, cfg_pad_top});
        ox_s = $signed({16'd0, ox} * {24'd0, cfg_stride}) - $signed({24'd0, cfg_pad_left});
        iy = oy_s + $signed({16'd0, wy});
        ix = ox_s + $signed({16'd0, wx});
        in_range = iy >= 0 && ix >= 0 && iy < $signed({16'd0, cfg_in_h}) && ix < $signed({16'd0, cfg_in_w});
        blk = (cfg_mode == M_POOL || cfg_mode == M_GAP) ? ob : ib;
        pix = iy * {16'd0, cfg_in_w} + ix;
        word32 = pix * {16'd0, cfg_cbin} + {16'd0, blk};
        tile32 = ({16'd0, wy} * {16'd0, cfg_win_w} + {16'd0, wx}) * {16'd0, cfg_nib} + {16'd0, ib};
        tag32 = ({16'd0, oy} * {16'd0, cfg_out_w} + {16'd0, ox}) * {16'd0, cfg_cob} + {16'd0, ob};
    end

    assign out_valid = running;
    assign out_addr  = word32[ADDR_W-1:0];
    assign out_zero  = !in_range;
    assign out_tile  = tile32[TILE_W-1:0];
    assign out_first = wy == 16'd0 && wx == 16'd0 && ib == 16'd0;
    assign out_last  = wy == cfg_win_h - 16'd1 && wx == cfg_win_w - 16'd1 && ib == cfg_nib - 16'd1;
    assign out_tag   = tag32[TAG_W-1:0];
    assign out_iy0   = oy_s;
    assign out_ix0   = ox_s;

    always_ff @(posedge clk) begin
        if (rst) begin
            running <= 1'b0;
        end else if (start) begin
            running <= 1'b1;
            ob <= start_ob;
            oy <= 16'd0; ox <= 16'd0; wy <= 16'd0; wx <= 16'd0; ib <= 16'd0;
        end else if (take) begin
            if (!stem) begin
                if (ib == cfg_nib - 16'd1) begin
                    ib <= 16'd0;
                    if (wx == cfg_win_w - 16'd1) begin
                        wx <= 16'd0;
                        if (wy == cfg_win_h - 16'd1) wy <= 16'd0;
                        else wy <= wy + 16'd1;
                    end else begin
                        wx <= wx + 16'd1;
                    end
                end else begin
                    ib <= ib + 16'd1;
                end
            end
            if (stem || out_last) begin
                // next output pixel (after the pixel's last beat; in stem mode after every transfer)
                if (ox == cfg_out_w - 16'd1) begin
                    ox <= 16'd0;
                    if (oy == cfg_out_h - 16'd1) running <= 1'b0;
                    else oy <= oy + 16'd1;
                end else begin
                    ox <= ox + 16'd1;
                end
            end
        end
    end

endmodule

`default_nettype wire
