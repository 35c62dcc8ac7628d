// bg_core_engine: the core's datapath: activation slots, weight buffer, address generator
// (bg_conv_addr_gen), stem window (bg_stem_window), MAC array, requantizer and max-pool, for one pass
// (one block of P output channels) of one layer at a time.
//
// Storage:
//   * SLOTS activation slots, one bg_sdp_ram each (SLOT_BYTES / P words of P bytes), so a layer reads its
//     source, reads its residual operand and writes its destination in the same cycle. A tensor of C > 1
//     channels is stored pixel-major with ceil(C/P) words per pixel: word (y*W + x)*CB + cb holds
//     channels cb*P .. cb*P+P-1 (padding channels are zero). The single-channel input patch (slot 0) is
//     stored packed, P pixels per word, in the banked patch buffer of bg_stem_window.
//   * A weight buffer of WBUF_TILES P x P tiles, split into P*P/16 banks of 128-bit words, so a 128-bit
//     AXI beat writes one bank and a whole tile reads out in one cycle. A second write (wb_we2) takes
//     the second beat of a pair from the reader (bg_weight_fetch) into another bank in the same cycle.
//
// A pass (pass_start, block `pass_ob`) walks the output pixels (bg_conv_addr_gen); per pixel it issues
// the beats of one output sum into the MAC array (or the max-pool):
//   conv, dense  (mode 0): per kernel tap, per input channel block: one source word and one tile;
//   stem         (mode 1): taps on lanes: per block of P kernel taps of the STEM_K x STEM_K window, one
//                          beat that uses all P lanes of the array. Slot 0 is banked by row and word
//                          (bg_stem_window), so one cycle reads a whole window into a register; the next window
//                          loads while the current one's beats issue, so the stem runs at one beat per
//                          cycle (at least two cycles per pixel);
//   max-pool     (mode 2): per window tap: one source word of block pass_ob into bg_maxpool; the columns
//                          that a 3x3 window of stride 2 shares with the window before are not read again
//                          (bg_maxpool carries their maximum), so 6 beats per window after a row's first;
//   global average pool (mode 3): per pixel of the map: one source word of block pass_ob against an
//                          identity tile, so the accumulators sum the map channel by channel.
// Taps outside the input (padding) read as zero. The MAC result takes the residual word of the same
// pixel and block from slot `res` (read when the result leaves the array), goes through bg_requant and
// is written to slot `dst`; the last layer's first pixel also leaves on the logit port.
//
// Gather pipeline: an issue reads the slot (and the weight tile) into the RAMs' output registers, which
// are the beat register; a new issue happens only when the beat register is free or being taken, so the
// RAM read-enable holds a waiting beat without a skid buffer: one beat per cycle in modes 0, 2, 3.

`default_nettype none

module bg_core_engine #(
    parameter int P          = 16,     // MAC array lanes: 4, 8, 16, 32 or 64
    parameter int SLOTS      = 4,      // activation slots, 2..255
    parameter int SLOT_BYTES = 65536,  // bytes per slot, a power of two, 4*P .. 2^24
    parameter int WBUF_TILES = 128,    // weight buffer tiles, a power of two, 2..65536
    parameter int STEM_K     = 7,      // kernel side of a taps-on-lanes (stem) layer, 1..8
    parameter int DSP_PRODUCTS = 168   // MAC array products in DSP48E1, 0..4096, the rest in LUTs (bg_mac_array)
) (
    input  wire                   clk,
    input  wire                   rst,           // synchronous, active high: empties every pipeline

    // layer configuration: stable from the layer's first pass_start until its last write
    input  wire  [1:0]            cfg_mode,      // 0 conv/dense, 1 stem (taps on lanes), 2 max-pool, 3 gap
    input  wire  [7:0]            cfg_src,
    input  wire  [7:0]            cfg_dst,
    input  wire  [7:0]            cfg_res,
    input  wire                   cfg_res_en,
    input  wire                   cfg_src_signed,
    input  wire                   cfg_res_signed,
    input  wire  [7:0]            cfg_stride,
    input  wire  [7:0]            cfg_pad_top,
    input  wire  [7:0]            cfg_pad_left,
    input  wire  [15:0]           cfg_in_h,
    input  wire  [15:0]           cfg_in_w,
    input  wire  [15:0]           cfg_cbin,      // channel blocks (words per pixel) of the source
    input  wire  [15:0]           cfg_out_h,
    input  wire  [15:0]           cfg_out_w,
    input  wire  [15:0]           cfg_cob,       // channel blocks of the destination
    input  wire  [15:0]           cfg_win_h,     // window rows (kernel; the map for gap)
    input  wire  [15:0]           cfg_win_w,
    input  wire  [15:0]           cfg_nib,       // inner blocks per tap: cbin for conv, 1 otherwise
    input  wire  [15:0]           cfg_ntb,       // stem: blocks of P taps
    input  wire  [7:0]            cfg_bias_shift,
    input  wire  [7:0]            cfg_shift,
    input  wire  [7:0]            cfg_out_fmt,
    input  wire  [7:0]            cfg_post_fmt,
    input  wire                   cfg_round,
    input  wire                   cfg_sat,
    input  wire                   cfg_is_last,
    input  wire  [P*16-1:0]       cfg_bias,      // int16 bias of output lane o at [16*o +: 16] (this pass)
    // Batches of two maps (docs/core-rtl.md, "Weight batching"): the second map's tensors lie in the upper
    // half of each slot. map_rd sets the top bit of the source reads; map_wr that of the pass's tags, so
    // that its writes, its residual reads and its logits keep their map while the next pass starts.
    input  wire                   cfg_map_rd,
    input  wire                   cfg_map_wr,

    input  wire                   pass_start,    // one cycle: run the pass of output block pass_ob
    input  wire  [15:0]           pass_ob,
    input  wire                   pass_buf,      // ... on the tiles in weight buffer half pass_buf
    output logic                  pass_busy,     // beats of the pass still to enter the array
    input  wire                   count_clear,   // one cycle: wr_count <= 0 (layer start)
    output logic [31:0]           wr_count,      // words written to the destination since count_clear

    input  wire  [15:0]           in_wpr,        // input patch: words (P pixels) per row, a multiple of NW
    input  wire                   in_we,         // input patch word into slot 0: word in_wir of row in_row
    input  wire  [15:0]           in_row,
    input  wire  [15:0]           in_wir,
    input  wire  [8*P-1:0]        in_data,

    input  wire                   wb_we,         // weight beat wb_idx of the tiles in half wb_buf
    input  wire                   wb_buf,        // (the other half than the running pass reads)
    input  wire  [$clog2(WBUF_TILES*P*P/16)-1:0] wb_idx,
    input  wire  [127:0]          wb_data,
    input  wire                   wb_we2,        // a second weight beat, same half, another bank than wb_idx's
    input  wire  [$clog2(WBUF_TILES*P*P/16)-1:0] wb_idx2,
    input  wire  [127:0]          wb_data2,

    output logic                  lg_we,         // logits: output lanes of block lg_ob of the last layer
    output logic [15:0]           lg_ob,
    output logic                  lg_map,        // ... of the map whose pass wrote them (cfg_map_wr)
    output logic [P*32-1:0]       lg_y
);

    // ---- parameter checks (elaboration time) ----
    if (P != 4 && P != 8 && P != 16 && P != 32 && P != 64) begin : g_bad_p
        $error("bg_core_engine: P must be 4, 8, 16, 32 or 64");
    end
    if (SLOTS < 2 || SLOTS > 255) begin : g_bad_slots
        $error("bg_core_engine: SLOTS must be in 2..255");
    end
    if (SLOT_BYTES < 64 * P || SLOT_BYTES > (1 << 24) || (SLOT_BYTES & (SLOT_BYTES - 1)) != 0) begin : g_bad_sb
        $error("bg_core_engine: SLOT_BYTES must be a power of two in 64*P..16777216");
    end
    if (STEM_K < 1 || STEM_K > 8) begin : g_bad_stem_k
        $error("bg_core_engine: STEM_K must be in 1..8");
    end
    if (WBUF_TILES < 2 || WBUF_TILES > 65536 || (WBUF_TILES & (WBUF_TILES - 1)) != 0) begin : g_bad_wbuf
        $error("bg_core_engine: WBUF_TILES must be a power of two in 2..65536");
    end
    if (DSP_PRODUCTS < 0 || DSP_PRODUCTS > 4096) begin : g_bad_dsp
        $error("bg_core_engine: DSP_PRODUCTS must be in 0..4096");
    end

    localparam int SWD = SLOT_BYTES / P;          // words per slot
    localparam int SAW = $clog2(SWD);             // slot word address bits
    localparam int TAW = $clog2(WBUF_TILES);      // tile address bits
    localparam int NB  = P * P / 16;              // 128-bit banks per tile
    localparam int NBW = (NB > 1) ? $clog2(NB) : 1;
    localparam int SIW = $clog2(SLOTS);           // slot index bits
    localparam int VW  = 33;                      // bg_requant value width (CODE_W 32 + 1)

    localparam logic [1:0] M_STEM = 2'd1, M_POOL = 2'd2, M_GAP = 2'd3;   // 0: conv and dense

    // ---- activation slots 1..SLOTS-1 ----
    logic [8*P-1:0] slot_rd [SLOTS];
    logic           src_re, res_re;
    logic [SAW-1:0] src_addr, res_addr;
    logic           wr_en;
    logic [SAW-1:0] wr_addr;
    logic [8*P-1:0] wr_data;

    // Slot 0 is the banked input patch in bg_stem_window; no layer reads it as a word tensor (the loader
    // allows it only as the stem's source) or writes it.
    assign slot_rd[0] = '0;

    for (genvar s = 1; s < SLOTS; s++) begin : g_slot
        logic is_src, is_res, is_dst;
        assign is_src = cfg_src[SIW-1:0] == s[SIW-1:0];
        assign is_res = cfg_res_en && cfg_res[SIW-1:0] == s[SIW-1:0];
        assign is_dst = cfg_dst[SIW-1:0] == s[SIW-1:0];
        bg_sdp_ram #(.WIDTH(8 * P), .DEPTH(SWD)) u_ram (
            .clk(clk), .we(wr_en && is_dst), .waddr(wr_addr), .wdata(wr_data),
            .re((is_src && src_re) || (is_res && res_re)), .raddr(is_res ? res_addr : src_addr),
            .rdata(slot_rd[s]));
    end

    /* verilator lint_off UNUSEDSIGNAL */
    // Slot indices are checked against slot_count <= SLOTS by the loader; only the low bits select.
    logic [7:0] unused_cfg;
    assign unused_cfg = cfg_src ^ cfg_res ^ cfg_dst;
    /* verilator lint_on UNUSEDSIGNAL */

    logic [8*P-1:0] src_word, res_word;
    assign src_word = slot_rd[cfg_src[SIW-1:0]];
    assign res_word = slot_rd[cfg_res[SIW-1:0]];

    // ---- weight buffer ----
    // Two halves of WBUF_TILES tiles: the loader fills one while a pass reads the other.
    logic           w_re, cur_buf;
    logic [TAW:0]   w_raddr;
    logic [8*P*P-1:0] w_tile;

    for (genvar b = 0; b < NB; b++) begin : g_wbank
        logic           bank_we;
        logic [TAW:0]   bank_waddr;
        logic [127:0]   bank_wdata;
        if (NB > 1) begin : g_split
            logic first, second;   // the bank is wb_idx's; wb_idx2's
            assign first      = wb_we && wb_idx[NBW-1:0] == b[NBW-1:0];
            assign second     = wb_we2 && wb_idx2[NBW-1:0] == b[NBW-1:0];
            // chosen by `second` (never together with `first`): where pairs are off (wb_we2 constant 0) the
            // choice folds away; chosen by `first`, the idle second source stayed as a 128-bit multiplexer
            // in every bank (2,300 LUTs of the Zynq-7020)
            assign bank_we    = first || second;
            assign bank_waddr = second ? {wb_buf, wb_idx2[NBW +: TAW]} : {wb_buf, wb_idx[NBW +: TAW]};
            assign bank_wdata = second ? wb_data2 : wb_data;
        end else begin : g_one
            // one bank: no second write (bg_weight_fetch pairs only with more banks than a burst's beats)
            /* verilator lint_off UNUSEDSIGNAL */
            logic unused_second;
            assign unused_second = ^{wb_we2, wb_idx2, wb_data2};
            /* verilator lint_on UNUSEDSIGNAL */
            assign bank_we    = wb_we;
            assign bank_waddr = {wb_buf, wb_idx[TAW-1:0]};
            assign bank_wdata = wb_data;
        end
        bg_sdp_ram #(.WIDTH(128), .DEPTH(2 * WBUF_TILES)) u_ram (
            .clk(clk), .we(bank_we), .waddr(bank_waddr), .wdata(bank_wdata),
            .re(w_re), .raddr(w_raddr), .rdata(w_tile[128*b +: 128]));
    end

    // ---- address generator (issue stage) ----
    // Walks the pass: per output pixel the beats of its sum (conv/dense, max-pool, gap), or in stem mode
    // one window origin per output pixel for the stem window below. A transfer is an issue: it reads the
    // source word and the weight tile into the RAM output registers, which are the beat register, so it
    // waits until the beat register is free or being taken.
    logic           stem;
    logic           b_valid, beat_taken, issue_ok;
    logic           adv;          // a word-path beat issued this cycle
    logic           adv_s;        // a stem beat issued this cycle
    logic           ag_busy, ag_valid, ag_ready, ag_zero, ag_first, ag_last;
    logic           ag_resume, ag_keep, ag_kfirst;
    logic [SAW-1:0] ag_addr, ag_tag;
    logic [TAW-1:0] ag_tile;
    logic signed [31:0] ag_iy0, ag_ix0;

    assign stem     = cfg_mode == M_STEM;
    assign issue_ok = !b_valid || beat_taken;

    bg_conv_addr_gen #(.ADDR_W(SAW), .TILE_W(TAW), .TAG_W(SAW)) u_addr (
        .clk(clk), .rst(rst),
        .cfg_mode(cfg_mode), .cfg_stride(cfg_stride), .cfg_pad_top(cfg_pad_top), .cfg_pad_left(cfg_pad_left),
        .cfg_in_h(cfg_in_h), .cfg_in_w(cfg_in_w), .cfg_cbin(cfg_cbin), .cfg_out_h(cfg_out_h),
        .cfg_out_w(cfg_out_w), .cfg_cob(cfg_cob), .cfg_win_h(cfg_win_h), .cfg_win_w(cfg_win_w),
        .cfg_nib(cfg_nib),
        .start(pass_start), .start_ob(pass_ob), .busy(ag_busy),
        .out_valid(ag_valid), .out_ready(ag_ready), .out_addr(ag_addr), .out_zero(ag_zero), .out_tile(ag_tile),
        .out_first(ag_first), .out_last(ag_last), .out_resume(ag_resume),
        .out_keep(ag_keep), .out_keep_first(ag_kfirst), .out_tag(ag_tag), .out_iy0(ag_iy0), .out_ix0(ag_ix0));

    // ---- stem: slot 0 (the input patch, banked) and its window loader ----
    logic           st_req_ready, st_valid, st_first, st_last, st_busy;
    logic [8*P-1:0] st_act;
    logic [SAW-1:0] st_tag;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [15:0]    st_tb;        // the weight tile of a stem beat; the tile address keeps its low TAW bits
    /* verilator lint_on UNUSEDSIGNAL */

    bg_stem_window #(.P(P), .STEM_K(STEM_K), .SLOT_BYTES(SLOT_BYTES), .TAG_W(SAW)) u_stem (
        .clk(clk), .rst(rst),
        .cfg_in_h(cfg_in_h), .cfg_in_w(cfg_in_w), .cfg_wpr(in_wpr), .cfg_ntb(cfg_ntb),
        .in_we(in_we), .in_row(in_row), .in_wir(in_wir), .in_data(in_data),
        .req_valid(stem && ag_valid), .req_ready(st_req_ready), .req_iy0(ag_iy0), .req_ix0(ag_ix0),
        .req_tag(ag_tag),
        .out_valid(st_valid), .out_ready(stem && issue_ok), .out_act(st_act), .out_tb(st_tb),
        .out_first(st_first), .out_last(st_last), .out_tag(st_tag), .busy(st_busy));

    assign ag_ready  = stem ? st_req_ready : issue_ok;
    assign adv       = ag_valid && ag_ready && !stem;
    assign adv_s     = st_valid && stem && issue_ok;
    assign src_re    = adv;
    assign src_addr  = {ag_addr[SAW-1] | cfg_map_rd, ag_addr[SAW-2:0]};
    assign w_re      = adv || adv_s;
    assign w_raddr   = {cur_buf, stem ? st_tb[TAW-1:0] : ag_tile};
    assign pass_busy = ag_busy || st_busy || b_valid;   // ag_busy from the cycle after pass_start

    always_ff @(posedge clk) begin
        if (!rst && pass_start) cur_buf <= pass_buf;
    end

    // ---- beat register (the RAM output registers plus this sideband) ----
    logic           q_zero, b_first, b_last, b_resume, b_keep, b_kfirst;
    logic [SAW-1:0] b_tag;
    logic [8*P-1:0] b_act;

    always_ff @(posedge clk) begin
        if (rst) begin
            b_valid <= 1'b0;
        end else begin
            if (adv || adv_s) b_valid <= 1'b1;
            else if (beat_taken) b_valid <= 1'b0;
        end
    end

    always_ff @(posedge clk) begin
        if (adv) begin
            q_zero  <= ag_zero;
            b_first <= ag_first;
            b_last  <= ag_last;
            b_resume <= ag_resume;
            b_keep  <= ag_keep;
            b_kfirst <= ag_kfirst;
            b_tag   <= {ag_tag[SAW-1] | cfg_map_wr, ag_tag[SAW-2:0]};
        end else if (adv_s) begin
            b_first <= st_first;
            b_last  <= st_last;
            b_tag   <= {st_tag[SAW-1] | cfg_map_wr, st_tag[SAW-2:0]};
        end
        if (adv_s) begin
            b_act <= st_act;
        end
    end

    logic [8*P-1:0] act;
    assign act = stem ? b_act : q_zero ? '0 : src_word;

    // ---- MAC array ----
    logic             mac_in_ready, mac_out_valid, mac_out_ready;
    logic [P*32-1:0]  mac_bias, mac_out_acc;
    logic [8*P*P-1:0] ident, mac_w;
    logic [SAW-1:0]   mac_out_tag;

    always_comb begin
        ident = '0;
        for (int o = 0; o < P; o++) begin
            ident[8*(o*P + o)] = 1'b1;
            mac_bias[32*o +: 32] = (cfg_mode == M_GAP) ? 32'd0
                : {{16{cfg_bias[16*o + 15]}}, cfg_bias[16*o +: 16]} << cfg_bias_shift;
        end
        mac_w = (cfg_mode == M_GAP) ? ident : w_tile;
    end

    logic mac_mode, mp_in_ready;
    assign mac_mode   = cfg_mode != M_POOL;
    assign beat_taken = b_valid && (mac_mode ? mac_in_ready : mp_in_ready);

    bg_mac_array #(.P(P), .ACC_W(32), .TAG_W(SAW), .DSP_PRODUCTS(DSP_PRODUCTS)) u_mac (
        .clk(clk), .rst(rst),
        .in_valid(b_valid && mac_mode), .in_ready(mac_in_ready), .in_act(act), .in_act_signed(cfg_src_signed),
        .in_w(mac_w), .in_bias(mac_bias), .in_clear(b_first), .in_last(b_last), .in_tag(b_tag),
        .out_valid(mac_out_valid), .out_ready(mac_out_ready), .out_acc(mac_out_acc), .out_tag(mac_out_tag));

    // ---- residual read stage: the residual word of the result's pixel, then the requantizer ----
    logic             a_valid, rq_in_ready;
    logic [P*32-1:0]  a_acc;
    logic [SAW-1:0]   a_tag;
    logic             take;

    assign mac_out_ready = !a_valid || rq_in_ready;
    assign take          = mac_out_valid && mac_out_ready;
    assign res_re        = take && cfg_res_en;
    assign res_addr      = mac_out_tag;

    always_ff @(posedge clk) begin
        if (rst) begin
            a_valid <= 1'b0;
        end else if (take) begin
            a_valid <= 1'b1;
        end else if (rq_in_ready) begin
            a_valid <= 1'b0;
        end
    end

    always_ff @(posedge clk) begin
        if (take) begin
            a_acc <= mac_out_acc;
            a_tag <= mac_out_tag;
        end
    end

    logic [P*VW-1:0] rq_res, rq_y;
    logic            rq_out_valid;
    logic [SAW-1:0]  rq_out_tag;

    always_comb begin
        for (int l = 0; l < P; l++) begin
            rq_res[VW*l +: VW] = {{(VW-8){cfg_res_signed & res_word[8*l + 7]}}, res_word[8*l +: 8]};
        end
    end

    bg_requant #(.LANES(P), .ACC_W(32), .CODE_W(32), .TAG_W(SAW)) u_requant (
        .clk(clk), .rst(rst),
        .in_valid(a_valid), .in_ready(rq_in_ready), .in_acc(a_acc), .in_res(rq_res), .in_shift(cfg_shift),
        .in_out_fmt(cfg_out_fmt), .in_post_fmt(cfg_post_fmt), .in_round(cfg_round), .in_sat(cfg_sat),
        .in_res_en(cfg_res_en), .in_tag(a_tag),
        .out_valid(rq_out_valid), .out_ready(1'b1), .out_y(rq_y), .out_tag(rq_out_tag));

    // ---- max-pool ----
    logic            mp_out_valid;
    logic [8*P-1:0]  mp_y;
    logic [SAW-1:0]  mp_out_tag;

    bg_maxpool #(.LANES(P), .CODE_W(8), .TAG_W(SAW)) u_pool (
        .clk(clk), .rst(rst),
        .in_valid(b_valid && !mac_mode), .in_ready(mp_in_ready), .in_x(act), .in_signed(cfg_src_signed),
        .in_first(b_first), .in_last(b_last), .in_resume(b_resume), .in_keep(b_keep),
        .in_keep_first(b_kfirst), .in_tag(b_tag),
        .out_valid(mp_out_valid), .out_ready(1'b1), .out_y(mp_y), .out_tag(mp_out_tag));

    // ---- destination writes and logits ----
    /* verilator lint_off UNUSEDSIGNAL */
    // A slot keeps the low 8 bits of each value (the loader allows wider formats only on the last layer,
    // whose values leave as 32-bit logits); bit 32 of a value is only its sign extension.
    logic [P*VW-1:0] rq_y_used;
    logic [31:0]     rq_tag32;
    assign rq_y_used = rq_y;
    assign rq_tag32  = {{(33-SAW){1'b0}}, rq_out_tag[SAW-2:0]};   // the word within its map's half
    /* verilator lint_on UNUSEDSIGNAL */

    always_comb begin
        wr_en   = rq_out_valid || mp_out_valid;
        wr_addr = mp_out_valid ? mp_out_tag : rq_out_tag;
        for (int l = 0; l < P; l++) begin
            wr_data[8*l +: 8] = mp_out_valid ? mp_y[8*l +: 8] : rq_y_used[VW*l +: 8];
            lg_y[32*l +: 32]  = rq_y_used[VW*l +: 32];
        end
        lg_we = rq_out_valid && cfg_is_last && rq_tag32 < {16'd0, cfg_cob};
        lg_ob = rq_tag32[15:0];
        lg_map = rq_out_tag[SAW-1];
    end

    always_ff @(posedge clk) begin
        if (rst || count_clear) begin
            wr_count <= 32'd0;
        end else if (wr_en) begin
            wr_count <= wr_count + 32'd1;
        end
    end

endmodule

`default_nettype wire
