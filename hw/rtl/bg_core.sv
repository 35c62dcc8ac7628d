// bg_core: the blurgauge inference core. Runs a core program (docs/core-program.md) from DDR on a
// 128x128 int8 patch and leaves the logits in registers (docs/core-registers.md).
//
// Interfaces:
//   * AXI4-Lite slave s_axil_*: the generated register block bg_core_regs (hw/regs/).
//   * AXI4-Stream slave s_axis_*: the input patch, row-major, LANES bytes per beat (byte i of a beat at
//     [8*i +: 8], the earlier pixel in the lower byte), input_height*input_width/LANES beats, TLAST on the
//     last one. Early or missing TLAST ends the run with STREAM_LENGTH. No TKEEP: every beat is full.
//     With CTRL.input_from_memory the patch comes from DDR at INPUT_ADDR instead (same bytes, same order,
//     through the AXI4 read master and bg_input_words), and a board design needs no DMA.
//   * AXI4 read master m_axi_*: 128-bit data, INCR bursts of up to MAX_BURST beats (bg_axi_reader).
//     With READ_PORTS = 2 a second read master m1_axi_* takes every other burst (bg_axi_read_interleave),
//     for boards whose memory ports are narrower than the core's 128 bits; with 1 it is idle (arvalid low).
//     With WEIGHT_PAIRS = 1 (two ports of 128 bits) the weight fetch takes two beats a cycle, one from each
//     port (bg_axi_reader's pairs of bursts), where a layer's weights and not the array set the pace.
//   * irq: STATUS.done & CTRL.irq_enable, level.
//
// A run (CTRL.start), sequenced by the state machine below (docs/core-rtl.md, "A run: the sequencer"):
//   1. header: the first HEADER_BEATS beats at PROGRAM_ADDR into bg_program_header (magic, version,
//      header CRC, fit); the record sizes of this format version (bg_program_pkg);
//   2. payload CRC: bg_payload_crc reads every byte after the header beside the steps below, as the
//      reader's second client (bg_read_arbiter), and no result is reported before it matches (skipped
//      with CTRL.payload_checked, for an image that passed before);
//   3. input: the patch from the stream, or from DDR with CTRL.input_from_memory, into slot 0 (skipped
//      with CTRL.reuse_input);
//   4. per layer: its record (LAYER_BEATS beats), decoded and checked by bg_layer_decode (BAD_LAYER,
//      NO_FIT); per block of P output channels: that block's weight tiles into the weight buffer, its P
//      biases, then one engine pass (bg_core_engine) while the next block loads; after the last block,
//      wait until every output word is written;
//   5. logits of the last layer, argmax, STATUS.done.
// An image job (CTRL.image_job) chains four such runs from one start: the coarse program on the width
// axis's map (from DDR at INPUT_ADDR), the fine program that the FINE_ADDR table names for the range the
// coarse run chose (its argmax), on the map kept on chip; then both again on the height axis's map
// (INPUT_H_ADDR). Each run's logits, argmax and binary point are kept (JOB_LOGIT, AXIS_RESULT); STATUS.done
// and the interrupt come once, after the fourth run or with the error that ended the job (JOB_STATUS says
// which runs ended with results: a fault in a fine run leaves the coarse results readable).
// Errors end the run (STATUS.error, error_code from the register map's enum bg_error_e) and cancel the
// AXI read in flight; CTRL.soft_reset abandons the run and clears STATUS. Both flush the engine's
// pipelines, so the next run starts clean.

`default_nettype none

module bg_core
    import bg_program_pkg::*;
#(
    parameter int LANES      = 16,      // P of the P x P MAC array: 4, 8, 16, 32 or 64
    parameter int SLOTS      = 4,       // activation slots, 2..255 (4: what the width-16 networks use)
    parameter int SLOT_BYTES = 65536,   // bytes per slot, a power of two, 64*LANES .. 16777216
    parameter int WBUF_TILES = 128,     // P x P tiles of one output block, a power of two 2..65536 (the weight
                                        // buffer holds two blocks: one computes while the next loads)
    parameter int ADDR_W     = 32,      // AXI4 address width, 32..64
    parameter int MAX_BURST  = 16,      // AXI4 burst length in beats, 1..256
    parameter int OUTSTANDING = 4,      // AXI4 read bursts in flight, 1..15 (over both ports)
    parameter int READ_PORTS = 2,       // AXI4 read masters, 1 (m_axi) or 2 (m_axi, m1_axi: bursts alternate)
    parameter int WEIGHT_PAIRS = 0,     // 1: weights two beats a cycle through both masters (READ_PORTS 2,
                                        // OUTSTANDING >= 2, LANES*LANES/16 > MAX_BURST weight-buffer banks)
    parameter int STEM_K     = 7,       // kernel side of the taps-on-lanes stem layer, 1..8
    parameter int DSP_PRODUCTS = 168    // MAC array products built in DSP48E1 (the rest in LUTs), 0..4096
                                        // (bg_mac_array): the default fits the Zynq-7020's 220 DSP48E1
) (
    input  wire                 clk,
    input  wire                 rst,             // synchronous, active high

    // AXI4-Lite slave (registers)
    output logic                s_axil_awready,
    input  wire                 s_axil_awvalid,
    input  wire  [bg_core_regs_pkg::BG_CORE_REGS_MIN_ADDR_WIDTH-1:0] s_axil_awaddr,
    input  wire  [2:0]          s_axil_awprot,
    output logic                s_axil_wready,
    input  wire                 s_axil_wvalid,
    input  wire  [31:0]         s_axil_wdata,
    input  wire  [3:0]          s_axil_wstrb,
    input  wire                 s_axil_bready,
    output logic                s_axil_bvalid,
    output logic [1:0]          s_axil_bresp,
    output logic                s_axil_arready,
    input  wire                 s_axil_arvalid,
    input  wire  [bg_core_regs_pkg::BG_CORE_REGS_MIN_ADDR_WIDTH-1:0] s_axil_araddr,
    input  wire  [2:0]          s_axil_arprot,
    input  wire                 s_axil_rready,
    output logic                s_axil_rvalid,
    output logic [31:0]         s_axil_rdata,
    output logic [1:0]          s_axil_rresp,

    // AXI4-Stream slave (input patch)
    input  wire                 s_axis_tvalid,
    output logic                s_axis_tready,
    input  wire  [8*LANES-1:0]  s_axis_tdata,
    input  wire                 s_axis_tlast,

    // AXI4 read master (program image and weights)
    output logic [0:0]          m_axi_arid,
    output logic [ADDR_W-1:0]   m_axi_araddr,
    output logic [7:0]          m_axi_arlen,
    output logic [2:0]          m_axi_arsize,
    output logic [1:0]          m_axi_arburst,
    output logic                m_axi_arvalid,
    input  wire                 m_axi_arready,
    input  wire  [0:0]          m_axi_rid,
    input  wire  [127:0]        m_axi_rdata,
    input  wire  [1:0]          m_axi_rresp,
    input  wire                 m_axi_rlast,
    input  wire                 m_axi_rvalid,
    output logic                m_axi_rready,

    // second AXI4 read master (READ_PORTS = 2: every other burst of the first's requests)
    output logic [0:0]          m1_axi_arid,
    output logic [ADDR_W-1:0]   m1_axi_araddr,
    output logic [7:0]          m1_axi_arlen,
    output logic [2:0]          m1_axi_arsize,
    output logic [1:0]          m1_axi_arburst,
    output logic                m1_axi_arvalid,
    input  wire                 m1_axi_arready,
    input  wire  [0:0]          m1_axi_rid,
    input  wire  [127:0]        m1_axi_rdata,
    input  wire  [1:0]          m1_axi_rresp,
    input  wire                 m1_axi_rlast,
    input  wire                 m1_axi_rvalid,
    output logic                m1_axi_rready,

    output logic                irq
);

    // ---- parameter checks (elaboration time; the engine checks LANES, SLOTS, SLOT_BYTES, WBUF_TILES) ----
    if (ADDR_W < 32 || ADDR_W > 64) begin : g_bad_addr_w
        $error("bg_core: ADDR_W must be in 32..64");
    end
    if (LANES != 4 && LANES != 8 && LANES != 16 && LANES != 32 && LANES != 64) begin : g_bad_lanes
        $error("bg_core: LANES must be 4, 8, 16, 32 or 64");
    end
    if (READ_PORTS != 1 && READ_PORTS != 2) begin : g_bad_read_ports
        $error("bg_core: READ_PORTS must be 1 or 2");
    end
    if (WEIGHT_PAIRS != 0 && WEIGHT_PAIRS != 1) begin : g_bad_weight_pairs
        $error("bg_core: WEIGHT_PAIRS must be 0 or 1");
    end
    if (WEIGHT_PAIRS == 1 && (READ_PORTS != 2 || OUTSTANDING < 2 || LANES * LANES / 16 <= MAX_BURST))
    begin : g_bad_pairs_config
        $error("bg_core: WEIGHT_PAIRS needs READ_PORTS 2, OUTSTANDING >= 2 and LANES*LANES/16 > MAX_BURST");
    end

    localparam int P   = LANES;
    localparam int LP  = $clog2(P);
    localparam int WIW = $clog2(WBUF_TILES * P * P / 16);  // weight beat index bits
    localparam int NW  = (P >= STEM_K - 1) ? 2 : 4;        // bg_core_engine's slot 0 word banks
    localparam logic [31:0] ROW_ALIGN = P * NW;             // input_width must be a multiple
    localparam logic [31:0] SLOT_BYTES32 = SLOT_BYTES;

    // STATUS.error_code values: the register map's enum (hw/regs/bg_core.rdl bg_error_e, generated package)
    localparam logic [7:0] E_NONE          = 8'(bg_core_regs_pkg::bg_error_e__NONE);
    localparam logic [7:0] E_BAD_VERSION   = 8'(bg_core_regs_pkg::bg_error_e__BAD_VERSION);
    localparam logic [7:0] E_PAYLOAD_CRC   = 8'(bg_core_regs_pkg::bg_error_e__PAYLOAD_CRC);
    localparam logic [7:0] E_NO_FIT        = 8'(bg_core_regs_pkg::bg_error_e__NO_FIT);
    localparam logic [7:0] E_BAD_LAYER     = 8'(bg_core_regs_pkg::bg_error_e__BAD_LAYER);
    localparam logic [7:0] E_AXI_READ      = 8'(bg_core_regs_pkg::bg_error_e__AXI_READ);
    localparam logic [7:0] E_START_BUSY    = 8'(bg_core_regs_pkg::bg_error_e__START_BUSY);
    localparam logic [7:0] E_STREAM_LENGTH = 8'(bg_core_regs_pkg::bg_error_e__STREAM_LENGTH);
    localparam logic [7:0] E_INPUT_ALIGN   = 8'(bg_core_regs_pkg::bg_error_e__INPUT_ALIGN);
    localparam logic [7:0] E_JOB_RANGE     = 8'(bg_core_regs_pkg::bg_error_e__JOB_RANGE);
    localparam int         FINE_PROGRAMS   = 5;   // FINE_ADDR_LO entries: one per coarse range

    // The program format (bg_program_pkg, from hw/compiler/program.py) in the widths used below.
    localparam logic [31:0] HEADER_BYTES32 = HEADER_BYTES;
    localparam logic [63:0] LAYER_BYTES64  = 64'(LAYER_BYTES);
    localparam logic [15:0] HEADER_BYTES16 = 16'(HEADER_BYTES);
    localparam logic [15:0] LAYER_BYTES16  = 16'(LAYER_BYTES);
    localparam logic [23:0] HEADER_BEATS24 = 24'(HEADER_BEATS);
    localparam logic [23:0] LAYER_BEATS24  = 24'(LAYER_BEATS);

    // ---- register block ----
    bg_core_regs_pkg::bg_core__in_t  hwif_in;
    bg_core_regs_pkg::bg_core__out_t hwif_out;

    bg_core_regs u_regs (
        .clk(clk), .rst(rst),
        .s_axil_awready(s_axil_awready), .s_axil_awvalid(s_axil_awvalid), .s_axil_awaddr(s_axil_awaddr),
        .s_axil_awprot(s_axil_awprot), .s_axil_wready(s_axil_wready), .s_axil_wvalid(s_axil_wvalid),
        .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb), .s_axil_bready(s_axil_bready),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bresp(s_axil_bresp), .s_axil_arready(s_axil_arready),
        .s_axil_arvalid(s_axil_arvalid), .s_axil_araddr(s_axil_araddr), .s_axil_arprot(s_axil_arprot),
        .s_axil_rready(s_axil_rready), .s_axil_rvalid(s_axil_rvalid), .s_axil_rdata(s_axil_rdata),
        .s_axil_rresp(s_axil_rresp),
        .hwif_in(hwif_in), .hwif_out(hwif_out));

    logic ctrl_start, ctrl_soft_reset, ctrl_reuse, ctrl_irq_en, ctrl_checked, ctrl_mem_in, ctrl_job;
    assign ctrl_start      = hwif_out.CTRL.start.value;
    assign ctrl_soft_reset = hwif_out.CTRL.soft_reset.value;
    assign ctrl_reuse      = hwif_out.CTRL.reuse_input.value;
    assign ctrl_irq_en     = hwif_out.CTRL.irq_enable.value;
    assign ctrl_checked    = hwif_out.CTRL.payload_checked.value;
    // the image job's per-program payload_checked: bit 0 the coarse program, bit 1 + k fine program k
    logic [5:0] job_checked;
    assign job_checked     = {hwif_out.JOB_CHECKED.fine.value, hwif_out.JOB_CHECKED.coarse.value};
    assign ctrl_mem_in     = hwif_out.CTRL.input_from_memory.value;
    assign ctrl_job        = hwif_out.CTRL.image_job.value;
    assign irq             = hwif_out.STATUS.done.value && ctrl_irq_en;

    /* verilator lint_off UNUSEDSIGNAL */
    // 64-bit address arithmetic; an ADDR_W-bit bus takes the low bits.
    logic [63:0] prog_addr64;
    assign prog_addr64 = {hwif_out.PROGRAM_ADDR_HI.addr.value, hwif_out.PROGRAM_ADDR_LO.addr.value};
    logic [63:0] input_addr64, input_h_addr64;
    assign input_addr64   = {hwif_out.INPUT_ADDR_HI.addr.value, hwif_out.INPUT_ADDR_LO.addr.value};
    assign input_h_addr64 = {hwif_out.INPUT_H_ADDR_HI.addr.value, hwif_out.INPUT_H_ADDR_LO.addr.value};
    /* verilator lint_on UNUSEDSIGNAL */

    // ---- state ----
    typedef enum logic [4:0] {
        S_IDLE, S_HDR, S_HOLD, S_STREAM, S_MEM_IN, S_REC, S_DECODE, S_LOAD, S_FIRST_FETCH, S_PASS_GO,
        S_PASS_WAIT, S_DRAIN, S_ARGMAX, S_FINISH, S_BSWITCH, S_BSWAP, S_NEXT
    } state_t;
    state_t state;

    // The next layer's record, read and decoded during this layer's last pass (the prefetch): none, its
    // beats coming, its decode running, decoded (its block 0's weights kicked into half 0), or refused
    // by the decode's checks (the error is reported when this layer has drained, as without a prefetch).
    typedef enum logic [2:0] { PF_NONE, PF_REC, PF_DEC, PF_READY, PF_ERR } pf_t;
    pf_t         pf_state;
    logic [7:0]  pf_code;
    logic        pf_want;   // this pass is a layer's last, with a layer after it, and leaves half 0 free

    logic        busy, err_flag, flush, cancel, done_set, done_clr;
    logic [7:0]  err_code;
    logic        abort;     // this cycle ends the run without results: soft reset, start while busy, AXI error
    logic [7:0]  pend_code; // an error found after the header, reported once the payload CRC is known
    logic [15:0] layer;
    logic [63:0] base;
    logic [31:0] cycles, stalls;
    logic [31:0] logits [8];
    logic [7:0]  argmax, logits_frac;
    logic [SLOTS-1:0] slot_signed;
    // The settings of the run in progress, registered at its start: from CTRL for a single run, from the
    // job's step for an image job.
    logic        run_reuse, run_mem_in, run_checked;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] run_in_addr;
    /* verilator lint_on UNUSEDSIGNAL */
    // ---- image job ----
    logic [1:0]  job_run;             // 0: coarse W, 1: fine W, 2: coarse H, 3: fine H
    logic [3:0]  job_done;            // runs that ended with results
    logic        job_last;            // the last start was an image job (so, while busy, the runs are its)
    logic [31:0] job_logits [32];     // run r's logit j at 8*r + j
    logic        jl_clear, jl_write;  // pulses into job_logits' own block: clear all, copy the logits of
    logic [1:0]  jl_run;              // run jl_run (a cycle after the sequencer decides; see that block)
    logic        lg_clear;            // a pulse: the launched run's logits to zero
    logic        lg_swap;             // a pulse: map B's logits into the result registers
    logic [7:0]  job_argmax [4];
    logic [7:0]  job_frac   [4];
    // ---- batches of two maps (docs/core-rtl.md, "Weight batching"): an image job's run of a program
    // with batch_from runs layers 0 .. batch_from-1 once per map (the prefix: map A's from DDR at
    // run_in_addr, then map B's from run_in_addr_b, the prefix's last layer writing map B's tensor to the
    // upper half of its slot), then every later layer with two passes per weight block (the body), map B's
    // tensors in the upper halves; both maps' logits, argmax and results. ----
    logic        bat;             // the run is to batch two maps (cleared by a program without batch_from)
    logic        bmap;            // the map of the running prefix or pass: 0 map A, 1 map B
    logic        bbody;           // past the prefix: two passes per block
    logic [15:0] bfrom;           // the program's batch_from
    logic        e_wr_hi;         // the running layer is the prefix's last of map B: upper-half writes
    logic        am_b;            // the argmax and the results are map B's
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] run_in_addr_b;
    logic [63:0] fa_addr, fb_addr; // fine programs of map A's and map B's coarse results (registered)
    /* verilator lint_on UNUSEDSIGNAL */
    logic        fa_has, fa_chk, fb_chk;
    logic        job_coarse_b;    // the job's coarse run was a batch: the fine runs read the maps from DDR
    // The job's next run, from registered state every cycle (S_FINISH decides, S_NEXT launches it): the
    // choice among four runs into the launch's 64-bit registers was a 10.2 ns ECP5 path.
    logic [1:0]  nx_run;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] nx_addr, nx_in;
    /* verilator lint_on UNUSEDSIGNAL */
    logic        nx_reuse, nx_mem, nx_chk, nx_batch;
    logic [31:0] logits_b [8];    // map B's logits

    // ---- AXI4 read master, shared by three clients in fixed priority: the sequencer (header, layer
    // records), the weight fetch, the payload CRC check. Only one of the first two has a request at a
    // time; the CRC check reads whenever neither does. ----
    // The sequencer's request: held until granted.
    logic        rq_valid, rq_grant;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] rq_addr;   // 64-bit arithmetic, the bus takes ADDR_W bits
    /* verilator lint_on UNUSEDSIGNAL */
    logic [23:0] rq_beats;
    // The weight fetch's request (weight tiles, then biases of one output block).
    logic        fq_valid, fq_grant;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] fq_addr;
    /* verilator lint_on UNUSEDSIGNAL */
    logic [23:0] fq_beats;
    logic        fq_pair;   // the fetch's request may come as pairs of bursts (its weight tiles)
    // The payload CRC check's request, in chunks, beside the first layers.
    logic              c_valid, c_grant;
    logic [ADDR_W-1:0] c_addr;
    logic [23:0]       c_beats;

    logic              a_req_valid, a_req_grant;   // the sequencer's or the fetch's request
    logic [ADDR_W-1:0] a_req_addr;
    logic [23:0]       a_req_beats;
    logic              a_out_valid, a_out_ready;
    logic              m_req_valid, m_req_ready;
    logic [ADDR_W-1:0] m_req_addr;
    logic [23:0]       m_req_beats;
    logic              rd_valid, rd_ready, rd_last, rd_err, rd_busy, rd_waiting;
    logic [127:0]      rd_data;
    logic              rd_pair, rd_pair_end;   // a pair of beats (WEIGHT_PAIRS): rd_data2 is the second
    logic [127:0]      rd_data2;
    logic              m_req_pair;             // the reader's request is the fetch's, pairs welcome
    logic              fetch_pair;             // rd_pair, where the fetch can take pairs
    logic              rd_seq, rd_seq_ready;   // a beat of the sequencer's request; the sequencer takes it
    logic              rd_fetch;               // a beat of the weight fetch's request (taken at once)
    logic              rd_c, rd_c_ready;       // a beat of the CRC check's request; the check takes it
    logic              cur_fetch;              // the reader's beats (of the first two clients) are the fetch's
    logic              cur_crc;                // the reader's beats are the CRC check's

    assign abort = ctrl_soft_reset || (busy && (ctrl_start || rd_err));

    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_rd;
    assign unused_rd = ^{rd_busy, a_req_grant, cur_fetch};
    /* verilator lint_on UNUSEDSIGNAL */

    bg_read_arbiter #(.ADDR_W(ADDR_W), .BEATS_W(24)) u_arbiter_seq (
        .clk(clk), .rst(rst || abort),
        .a_req_valid(rq_valid), .a_req_addr(rq_addr[ADDR_W-1:0]), .a_req_beats(rq_beats), .a_req_grant(rq_grant),
        .a_out_valid(rd_seq), .a_out_ready(rd_seq_ready),
        .b_req_valid(fq_valid), .b_req_addr(fq_addr[ADDR_W-1:0]), .b_req_beats(fq_beats), .b_req_grant(fq_grant),
        .b_out_valid(rd_fetch), .b_out_ready(1'b1),
        // the second arbiter grants this one's request whenever the reader is ready (priority A)
        .m_req_valid(a_req_valid), .m_req_ready(m_req_ready), .m_req_addr(a_req_addr), .m_req_beats(a_req_beats),
        .m_out_valid(a_out_valid), .m_out_ready(a_out_ready), .owner_b(cur_fetch));

    bg_read_arbiter #(.ADDR_W(ADDR_W), .BEATS_W(24)) u_arbiter_crc (
        .clk(clk), .rst(rst || abort),
        .a_req_valid(a_req_valid), .a_req_addr(a_req_addr), .a_req_beats(a_req_beats), .a_req_grant(a_req_grant),
        .a_out_valid(a_out_valid), .a_out_ready(a_out_ready),
        .b_req_valid(c_valid), .b_req_addr(c_addr), .b_req_beats(c_beats), .b_req_grant(c_grant),
        .b_out_valid(rd_c), .b_out_ready(rd_c_ready),
        .m_req_valid(m_req_valid), .m_req_ready(m_req_ready), .m_req_addr(m_req_addr), .m_req_beats(m_req_beats),
        .m_out_valid(rd_valid), .m_out_ready(rd_ready), .owner_b(cur_crc));

    // the reader's AXI4 read channels, before the ports
    logic [0:0]        r_arid, r_rid;
    logic [ADDR_W-1:0] r_araddr;
    logic [7:0]        r_arlen;
    logic [2:0]        r_arsize;
    logic [1:0]        r_arburst, r_rresp;
    logic              r_arvalid, r_arready, r_rlast, r_rvalid, r_rready;
    logic [127:0]      r_rdata;
    logic              r_arpair, r_rpair;      // the pair sideband between the reader and the interleave
    logic [127:0]      r_rdata2;
    logic [1:0]        r_rresp2;

    // The arbiters give the reader the fetch's request exactly when the sequencer does not ask (the first
    // arbiter's priority) and so the second arbiter takes its first client's (its priority over the CRC).
    // Without WEIGHT_PAIRS both ends are constants, so synthesis drops the pair logic and the second
    // write port of every weight-buffer bank.
    assign m_req_pair = WEIGHT_PAIRS == 1 && fq_valid && fq_pair && !rq_valid;
    assign fetch_pair = WEIGHT_PAIRS == 1 && rd_pair;

    bg_axi_reader #(.ADDR_W(ADDR_W), .MAX_BURST(MAX_BURST), .OUTSTANDING(OUTSTANDING)) u_reader (
        .clk(clk), .rst(rst),
        .req_valid(m_req_valid), .req_ready(m_req_ready), .req_addr(m_req_addr), .req_beats(m_req_beats),
        .req_pair(m_req_pair),
        .out_valid(rd_valid), .out_ready(rd_ready), .out_data(rd_data), .out_last(rd_last),
        .out_pair(rd_pair), .out_data2(rd_data2), .out_pair_end(rd_pair_end),
        .cancel(cancel), .err(rd_err), .busy(rd_busy), .waiting(rd_waiting),
        .m_axi_arid(r_arid), .m_axi_araddr(r_araddr), .m_axi_arlen(r_arlen),
        .m_axi_arsize(r_arsize), .m_axi_arburst(r_arburst), .m_axi_arvalid(r_arvalid),
        .m_axi_arready(r_arready), .m_axi_rid(r_rid), .m_axi_rresp(r_rresp),
        .m_axi_rdata(r_rdata), .m_axi_rlast(r_rlast), .m_axi_rvalid(r_rvalid),
        .m_axi_rready(r_rready),
        .m_axi_arpair(r_arpair), .m_axi_rpair(r_rpair), .m_axi_rdata2(r_rdata2), .m_axi_rresp2(r_rresp2));

    // The reader's bursts: onto m_axi_* as they are, or alternately onto m_axi_* and m1_axi_*. Each port's
    // FIFO holds two of the longest bursts (one at MAX_BURST 256), so a port streams while the other drains.
    localparam int READ_FIFO_BEATS = (2 * MAX_BURST > 256) ? 256 : 2 ** $clog2(2 * MAX_BURST);
    if (READ_PORTS == 2) begin : g_two_ports
        bg_axi_read_interleave #(.ADDR_W(ADDR_W), .FIFO_BEATS(READ_FIFO_BEATS)) u_interleave (
            .clk(clk), .rst(rst),
            .s_axi_arid(r_arid), .s_axi_araddr(r_araddr), .s_axi_arlen(r_arlen), .s_axi_arsize(r_arsize),
            .s_axi_arburst(r_arburst), .s_axi_arvalid(r_arvalid), .s_axi_arready(r_arready),
            .s_axi_rid(r_rid), .s_axi_rdata(r_rdata), .s_axi_rresp(r_rresp), .s_axi_rlast(r_rlast),
            .s_axi_rvalid(r_rvalid), .s_axi_rready(r_rready),
            .s_axi_arpair(r_arpair), .s_axi_rpair(r_rpair), .s_axi_rdata2(r_rdata2), .s_axi_rresp2(r_rresp2),
            .m0_axi_arid(m_axi_arid), .m0_axi_araddr(m_axi_araddr), .m0_axi_arlen(m_axi_arlen),
            .m0_axi_arsize(m_axi_arsize), .m0_axi_arburst(m_axi_arburst), .m0_axi_arvalid(m_axi_arvalid),
            .m0_axi_arready(m_axi_arready), .m0_axi_rid(m_axi_rid), .m0_axi_rdata(m_axi_rdata),
            .m0_axi_rresp(m_axi_rresp), .m0_axi_rlast(m_axi_rlast), .m0_axi_rvalid(m_axi_rvalid),
            .m0_axi_rready(m_axi_rready),
            .m1_axi_arid(m1_axi_arid), .m1_axi_araddr(m1_axi_araddr), .m1_axi_arlen(m1_axi_arlen),
            .m1_axi_arsize(m1_axi_arsize), .m1_axi_arburst(m1_axi_arburst), .m1_axi_arvalid(m1_axi_arvalid),
            .m1_axi_arready(m1_axi_arready), .m1_axi_rid(m1_axi_rid), .m1_axi_rdata(m1_axi_rdata),
            .m1_axi_rresp(m1_axi_rresp), .m1_axi_rlast(m1_axi_rlast), .m1_axi_rvalid(m1_axi_rvalid),
            .m1_axi_rready(m1_axi_rready));
    end else begin : g_one_port
        assign m_axi_arid    = r_arid;
        assign m_axi_araddr  = r_araddr;
        assign m_axi_arlen   = r_arlen;
        assign m_axi_arsize  = r_arsize;
        assign m_axi_arburst = r_arburst;
        assign m_axi_arvalid = r_arvalid;
        assign r_arready     = m_axi_arready;
        assign r_rid         = m_axi_rid;
        assign r_rdata       = m_axi_rdata;
        assign r_rresp       = m_axi_rresp;
        assign r_rlast       = m_axi_rlast;
        assign r_rvalid      = m_axi_rvalid;
        assign m_axi_rready  = r_rready;
        // one port: no pairs (WEIGHT_PAIRS is 0, so the reader is never asked for them)
        assign r_rpair       = 1'b0;
        assign r_rdata2      = '0;
        assign r_rresp2      = 2'd0;
        // the second master asks for nothing and takes no data
        assign m1_axi_arid    = 1'b0;
        assign m1_axi_araddr  = '0;
        assign m1_axi_arlen   = 8'd0;
        assign m1_axi_arsize  = 3'd4;
        assign m1_axi_arburst = 2'b01;
        assign m1_axi_arvalid = 1'b0;
        assign m1_axi_rready  = 1'b0;
        /* verilator lint_off UNUSEDSIGNAL */
        logic unused_m1;
        assign unused_m1 = ^{r_arpair, m1_axi_arready, m1_axi_rid, m1_axi_rdata, m1_axi_rresp, m1_axi_rlast, m1_axi_rvalid};
        /* verilator lint_on UNUSEDSIGNAL */
    end

    // ---- header parser ----
    logic        hdr_start, hdr_ready, hdr_done;
    logic [7:0]  hdr_error;
    logic [15:0] hdr_version, hdr_layer_count, hdr_layer_bytes;
    logic [7:0]  hdr_network_id, hdr_outputs, hdr_num_classes, hdr_lanes, hdr_slot_count, hdr_input_frac;
    logic [31:0] hdr_slot_bytes, hdr_structure_id, hdr_class_offset, hdr_layer_offset, hdr_weight_offset;
    logic [31:0] hdr_weight_bytes, hdr_total_bytes, hdr_payload_crc;
    logic [15:0] hdr_batch_from;
    logic        hdr_busy;

    /* verilator lint_off UNUSEDSIGNAL */
    // Fields the sequencer does not need (the host checks them), kept on the parser's ports.
    logic unused_hdr;
    assign unused_hdr = ^{hdr_version, hdr_network_id, hdr_outputs, hdr_lanes, hdr_input_frac, hdr_slot_bytes,
                          hdr_structure_id, hdr_class_offset, hdr_weight_bytes, hdr_busy};
    /* verilator lint_on UNUSEDSIGNAL */

    bg_program_header #(.LANES(P), .SLOTS(SLOTS), .SLOT_BYTES(SLOT_BYTES)) u_header (
        .clk(clk), .rst(rst || flush), .start(hdr_start), .busy(hdr_busy),
        .in_valid(rd_seq && state == S_HDR), .in_ready(hdr_ready), .in_data(rd_data),
        .done(hdr_done), .error_code(hdr_error),
        .hdr_version(hdr_version), .hdr_network_id(hdr_network_id), .hdr_outputs(hdr_outputs),
        .hdr_num_classes(hdr_num_classes), .hdr_lanes(hdr_lanes), .hdr_layer_count(hdr_layer_count),
        .hdr_layer_bytes(hdr_layer_bytes), .hdr_slot_count(hdr_slot_count), .hdr_input_frac(hdr_input_frac),
        .hdr_slot_bytes(hdr_slot_bytes), .hdr_structure_id(hdr_structure_id),
        .hdr_class_offset(hdr_class_offset), .hdr_layer_offset(hdr_layer_offset),
        .hdr_weight_offset(hdr_weight_offset), .hdr_weight_bytes(hdr_weight_bytes),
        .hdr_total_bytes(hdr_total_bytes), .hdr_payload_crc(hdr_payload_crc), .hdr_batch_from(hdr_batch_from));

    // records, weights and biases are taken at once; the header at the parser's pace, the input patch
    // from DDR at bg_input_words' pace
    logic mi_ready;
    assign rd_seq_ready = state == S_HDR ? hdr_ready : state == S_MEM_IN ? mi_ready : 1'b1;

    // What the parser leaves to the sequencer: the record sizes of this format version, and an image
    // longer than its header that a 28-bit byte count covers.
    logic [2:0] hdr_beat;
    logic       hdr_size_bad;   // header_bytes is not HEADER_BYTES
    logic       hdr_sizes_ok, hdr_total_ok, crc_start;
    assign hdr_sizes_ok = !hdr_size_bad && hdr_layer_bytes == LAYER_BYTES16;
    assign hdr_total_ok = hdr_total_bytes > HEADER_BYTES32 && hdr_total_bytes[31:28] == 4'd0;
    // the payload check starts the cycle the header passes
    assign crc_start = state == S_HDR && hdr_done && hdr_error == E_NONE && hdr_sizes_ok && hdr_total_ok;

    // ---- payload CRC: every byte after the header, against payload_crc, beside the run ----
    logic crc_done, crc_ok;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] payload_addr;
    assign payload_addr = base + 64'(HEADER_BYTES);
    /* verilator lint_on UNUSEDSIGNAL */

    bg_payload_crc #(.ADDR_W(ADDR_W), .CHUNK(64)) u_payload_crc (
        .clk(clk), .rst(rst || flush), .cancel(rst || abort),
        .start(crc_start), .start_addr(payload_addr[ADDR_W-1:0]),
        // with CTRL.payload_checked the host vouches for the image: no CRC reads at all
        .start_beats(run_checked ? 24'd0 : 24'((hdr_total_bytes - HEADER_BYTES32 + 32'd15) >> 4)),
        .start_last_bytes(hdr_total_bytes[3:0]), .start_skip(run_checked), .expect_crc(hdr_payload_crc),
        .req_valid(c_valid), .req_addr(c_addr), .req_beats(c_beats), .req_grant(c_grant),
        .in_valid(rd_c), .in_ready(rd_c_ready), .in_data(rd_data),
        .done(crc_done), .ok(crc_ok));

    // ---- the layer record and its checks ----
    logic [8*LAYER_BYTES-1:0] rec;   // byte o at [8*o +: 8]
    logic [1:0]  rec_beat;
    logic        r_is_last, r_mac, bad_layer, no_fit, r_half_fit;
    logic [7:0]  r_op, r_src, r_dst, r_out_frac;
    logic [31:0] r_w_off, r_b_off, r_tiles;
    logic [1:0]  d_mode;
    logic [7:0]  d_res, d_stride, d_pad_top, d_pad_left, d_bias_shift, d_shift, d_out_fmt, d_post_fmt;
    logic        d_res_en, d_round, d_sat;
    logic [15:0] d_in_h, d_in_w, d_cbin, d_out_h, d_out_w, d_cob, d_win_h, d_win_w, d_nib, d_ntb;
    logic [31:0] d_out_words;
    logic [15:0] rec_layer;          // the index of the record in `rec` (the running layer's, or the next's)
    assign r_is_last = rec_layer == hdr_layer_count - 16'd1;

    logic        dec_go, dec_valid;   // the whole record is in `rec` (a pulse); its decode is ready

    bg_layer_decode #(.P(P), .SLOT_BYTES(SLOT_BYTES), .WBUF_TILES(WBUF_TILES), .STEM_K(STEM_K)) u_decode (
        .clk(clk), .rst(rst || abort), .in_valid(dec_go), .out_valid(dec_valid),
        .rec(rec), .is_last(r_is_last), .slot_count(hdr_slot_count),
        .bad_layer(bad_layer), .no_fit(no_fit), .half_fit(r_half_fit),
        .op(r_op), .src(r_src), .dst(r_dst), .out_frac(r_out_frac), .mac(r_mac),
        .w_off(r_w_off), .b_off(r_b_off), .tiles(r_tiles),
        .cfg_mode(d_mode), .cfg_res(d_res), .cfg_res_en(d_res_en), .cfg_stride(d_stride),
        .cfg_pad_top(d_pad_top), .cfg_pad_left(d_pad_left), .cfg_in_h(d_in_h), .cfg_in_w(d_in_w),
        .cfg_cbin(d_cbin), .cfg_out_h(d_out_h), .cfg_out_w(d_out_w), .cfg_cob(d_cob),
        .cfg_win_h(d_win_h), .cfg_win_w(d_win_w), .cfg_nib(d_nib), .cfg_ntb(d_ntb),
        .cfg_bias_shift(d_bias_shift), .cfg_shift(d_shift), .cfg_out_fmt(d_out_fmt), .cfg_post_fmt(d_post_fmt),
        .cfg_round(d_round), .cfg_sat(d_sat), .cfg_out_words(d_out_words));

    // A beat of a record (the running layer's, or the prefetched next one's: never both at once) and the
    // decode's verdict, shared by the two paths that read and decode records.
    logic       rec_beat_in, dec_refused;
    logic [7:0] dec_code;
    assign rec_beat_in = (state == S_REC || pf_state == PF_REC) && rd_seq;
    assign dec_refused = bad_layer || no_fit;
    assign dec_code    = bad_layer ? E_BAD_LAYER : E_NO_FIT;

    /* verilator lint_off UNUSEDSIGNAL */
    logic unused_op;
    assign unused_op = ^r_op;   // the decoder turns the operation into cfg_mode and mac
    /* verilator lint_on UNUSEDSIGNAL */

    // ---- engine ----
    logic            mi_valid;         // a word of the patch read from DDR (bg_input_words, below)
    logic [8*P-1:0]  mi_data, in_data; // that word; the word the engine takes (stream or DDR)
    logic [15:0] in_wpr, in_row, in_wir;   // input: words per row; row and word of the next stream beat
    logic        f_kick, f_buf;       // f_kick: start loading block f_ob into half f_buf next cycle
    logic [15:0] f_ob;
    logic        f_idle, wb_buf;
    logic [1:0]  e_mode;
    logic [7:0]  e_src, e_dst, e_res, e_stride, e_pad_top, e_pad_left;
    logic [7:0]  e_bias_shift, e_shift, e_out_fmt, e_post_fmt;
    logic        e_res_en, e_src_signed, e_res_signed, e_round, e_sat, e_is_last, e_mac;
    logic [15:0] e_in_h, e_in_w, e_cbin, e_out_h, e_out_w, e_cob, e_win_h, e_win_w, e_nib, e_ntb;
    logic [31:0] e_out_words;
    // The weight fetch's configuration: loaded with the decode of a layer's record, which for a prefetched
    // record is during the last pass of the layer before (whose fetches are all done by then).
    logic [31:0] f_tiles, f_w_off, f_b_off;
    logic [P*16-1:0] bias;   // biases of the running pass
    logic [15:0] ob;
    logic        pass_busy, count_clear, in_we, wb_we, lg_we;
    logic [31:0] wr_count;
    logic [WIW-1:0] wb_idx, wb_idx2;
    logic        wb_we2;
    logic [15:0] lg_ob;
    logic        lg_map;
    logic [P*32-1:0] lg_y;

    bg_core_engine #(.P(P), .SLOTS(SLOTS), .SLOT_BYTES(SLOT_BYTES), .WBUF_TILES(WBUF_TILES), .STEM_K(STEM_K),
                     .DSP_PRODUCTS(DSP_PRODUCTS))
    u_engine (
        .clk(clk), .rst(rst || flush),
        .cfg_mode(e_mode), .cfg_src(e_src), .cfg_dst(e_dst), .cfg_res(e_res), .cfg_res_en(e_res_en),
        .cfg_src_signed(e_src_signed), .cfg_res_signed(e_res_signed), .cfg_stride(e_stride),
        .cfg_pad_top(e_pad_top), .cfg_pad_left(e_pad_left), .cfg_in_h(e_in_h),
        .cfg_in_w(e_in_w), .cfg_cbin(e_cbin), .cfg_out_h(e_out_h), .cfg_out_w(e_out_w), .cfg_cob(e_cob),
        .cfg_win_h(e_win_h), .cfg_win_w(e_win_w), .cfg_nib(e_nib), .cfg_ntb(e_ntb),
        .cfg_bias_shift(e_bias_shift), .cfg_shift(e_shift), .cfg_out_fmt(e_out_fmt), .cfg_post_fmt(e_post_fmt),
        .cfg_round(e_round), .cfg_sat(e_sat), .cfg_is_last(e_is_last), .cfg_bias(bias),
        .cfg_map_rd(bbody && bmap), .cfg_map_wr((bbody && bmap) || e_wr_hi),
        .pass_start(state == S_PASS_GO), .pass_ob(ob), .pass_buf(ob[0]), .pass_busy(pass_busy),
        .count_clear(count_clear), .wr_count(wr_count),
        .in_wpr(in_wpr), .in_we(in_we), .in_row(in_row), .in_wir(in_wir), .in_data(in_data),
        .wb_we(wb_we), .wb_buf(wb_buf), .wb_idx(wb_idx), .wb_data(rd_data),
        .wb_we2(wb_we2), .wb_idx2(wb_idx2), .wb_data2(rd_data2),
        .lg_we(lg_we), .lg_ob(lg_ob), .lg_map(lg_map), .lg_y(lg_y));

    // ---- input patch: from the stream, or from DDR through the reader ----
    logic [31:0] in_count, in_last;    // words taken; the index of the last word expected
    logic [15:0] in_wpr_last;          // the last word of a row
    logic [15:0] img_h, img_w;         // input_height, input_width (from the header beats)
    // The first layer record's address, registered: the header's layer offset loads from its beat 3,
    // four cycles before the header is done, and `base` at the start.
    logic [63:0] rec_first, rec_addr;   // the first record; the record requested last
    logic [63:0] rec_following;         // the record after rec_addr
    always_ff @(posedge clk) rec_first <= base + {32'd0, hdr_layer_offset};
    assign rec_following = rec_addr + LAYER_BYTES64;

    // The header's products, registered: img_h and img_w load from header beat 1 and the header is done
    // four cycles after beat 3, so both products are settled when S_HDR reads them (a product and its
    // uses in one cycle were one of the core's longest paths, docs/timing.md).
    logic [31:0] img_pixels, img_banked;   // input_height * input_width; rows rounded up to 8, times the row
    always_ff @(posedge clk) begin
        img_pixels  <= {16'd0, img_h} * {16'd0, img_w};
        img_banked  <= {16'd0, (img_h + 16'd7) & 16'hFFF8} * {16'd0, img_w};
        in_wpr_last <= (img_w >> LP) - 16'd1;
    end
    assign s_axis_tready = state == S_STREAM;
    assign in_we         = (s_axis_tvalid && s_axis_tready) || (state == S_MEM_IN && mi_valid);
    assign in_data       = state == S_MEM_IN ? mi_data : s_axis_tdata;

    bg_input_words #(.P(P)) u_input_words (
        .clk(clk), .rst(rst || abort),
        .in_valid(rd_seq && state == S_MEM_IN), .in_ready(mi_ready), .in_data(rd_data),
        .out_valid(mi_valid), .out_data(mi_data));
    /* verilator lint_off UNUSEDSIGNAL */
    logic [15:0] img_w_words;
    assign img_w_words   = img_w >> LP;
    /* verilator lint_on UNUSEDSIGNAL */
    assign in_wpr        = img_w_words;

    // ---- weight and bias fetch (runs beside the pass of the previous block) ----
    bg_weight_fetch #(.P(P), .WBUF_TILES(WBUF_TILES), .PAIRS(WEIGHT_PAIRS), .MAX_BURST(MAX_BURST)) u_fetch (
        .clk(clk), .rst(rst || abort),
        .kick(f_kick), .ob(f_ob), .buf_half(f_buf), .base(base), .w_off(f_w_off), .b_off(f_b_off),
        .tiles(f_tiles), .idle(f_idle),
        .req_valid(fq_valid), .req_addr(fq_addr), .req_beats(fq_beats), .req_pair(fq_pair), .req_grant(fq_grant),
        .in_valid(rd_fetch), .in_last(rd_last), .in_data(rd_data), .in_pair(fetch_pair), .in_pair_end(rd_pair_end),
        .wb_we(wb_we), .wb_idx(wb_idx), .wb_buf(wb_buf), .wb_we2(wb_we2), .wb_idx2(wb_idx2),
        .bias_sel(ob[0]), .bias(bias));

    // ---- argmax over the first num_classes logits (lowest index on a tie) ----
    // One compare per cycle in S_ARGMAX (logit am_i against the best so far), not seven in series in one
    // cycle: that chain of 32-bit compares and multiplexers was the core's longest path (docs/timing.md).
    logic [7:0] best;        // the argmax, complete from S_FINISH on
    logic [2:0] am_i;        // the logit S_ARGMAX compares this cycle
    logic       am_better;
    assign am_better = {5'd0, am_i} < hdr_num_classes && $signed(logits[am_i]) > $signed(logits[best[2:0]]);

    // The image job's fine program for the range the coarse run chose (best): the FINE_ADDR table.
    logic        best_has_fine;
    /* verilator lint_off UNUSEDSIGNAL */
    logic [63:0] fine_addr64;
    /* verilator lint_on UNUSEDSIGNAL */
    logic        fine_checked;   // JOB_CHECKED vouches for that fine program
    always_comb begin
        best_has_fine = 1'b0;
        fine_addr64   = 64'd0;
        fine_checked  = 1'b0;
        for (int i = 0; i < FINE_PROGRAMS; i++) begin
            if (best == 8'(i)) begin
                best_has_fine = 1'b1;
                fine_addr64   = {hwif_out.FINE_ADDR_HI.addr.value, hwif_out.FINE_ADDR_LO[i].addr.value};
                fine_checked  = job_checked[1 + i];
            end
        end
    end

    // ---- sequencer ----
    // Batches: the decoded record is the first layer of the body (the end of a map's prefix), or a layer
    // of the body; the job's result index of the run's argmax (map B's are the height axis's, 2 and 3).
    logic       b_at_first, b_in_body;
    logic [1:0] job_result;
    assign b_at_first = bat && !bbody && rec_layer == bfrom;
    assign b_in_body  = bbody || (b_at_first && bmap);
    assign job_result = {job_run[1] | am_b, job_run[0]};

    // The sequencer's read request: held (rq_valid) until the arbiter grants it.
    task automatic request(input logic [63:0] addr, input logic [23:0] beats);
        rq_valid <= 1'b1;
        rq_addr  <= addr;
        rq_beats <= beats;
    endtask

    // The request for the first layer record, or the one after the last requested; its beats then fill
    // `rec` from its first. Record addresses step by LAYER_BYTES from the first one's, a register (an
    // index times the record size into the request was one of the core's longest paths).
    task automatic request_record(input logic first);
        request(first ? rec_first : rec_following, LAYER_BEATS24);
        rec_addr  <= first ? rec_first : rec_following;
        rec_layer <= first ? 16'd0 : rec_layer + 16'd1;
        rec_beat  <= 2'd0;
    endtask

    // Start one run of the program at `addr` (bits 3:0 taken as zero): the header request; the input from
    // the stream, from DDR at `in_addr` (`mem_in`), or the patch on chip (`reuse`).
    /* verilator lint_off UNUSEDSIGNAL */
    task automatic launch(input logic [63:0] addr, input logic reuse, input logic mem_in,
                          input logic [63:0] in_addr, input logic checked, input logic batch,
                          input logic [63:0] in_addr_b);
        layer       <= 16'd0;
        pf_state    <= PF_NONE;
        pf_want     <= 1'b0;
        base        <= {addr[63:4], 4'd0};
        request({addr[63:4], 4'd0}, HEADER_BEATS24);
        hdr_start   <= 1'b1;
        hdr_beat    <= 3'd0;
        run_reuse   <= reuse;
        run_mem_in  <= mem_in;
        run_in_addr <= in_addr;
        run_checked <= checked;
        bat         <= batch;
        bmap        <= 1'b0;
        bbody       <= 1'b0;
        run_in_addr_b <= in_addr_b;
        lg_clear    <= 1'b1;
        state       <= S_HDR;
    endtask
    /* verilator lint_on UNUSEDSIGNAL */

    // The record and the pass configuration: wide data registers loaded outside the sequencer's
    // priority of reset and abort. Loading them in the cycle a run ends is harmless (the engine is idle
    // in S_REC and S_DECODE, and a run loads both before it uses them), and the abort among the enables
    // of all their bits was one of the core's longest paths (docs/timing.md).
    always_ff @(posedge clk) begin
        if (rec_beat_in) rec[128*rec_beat +: 128] <= rd_data;
        if (dec_valid && !dec_refused && (state == S_DECODE || pf_state == PF_DEC)) begin
            f_tiles <= r_tiles;
            f_w_off <= hdr_weight_offset + r_w_off;
            f_b_off <= hdr_weight_offset + r_b_off;
        end
        if ((state == S_DECODE && dec_valid && !dec_refused) || state == S_LOAD) begin
            e_mode <= d_mode;
            e_src <= r_src;  e_dst <= r_dst;  e_res <= d_res;  e_res_en <= d_res_en;
            e_src_signed <= slot_signed[r_src[$clog2(SLOTS)-1:0]];
            e_res_signed <= slot_signed[d_res[$clog2(SLOTS)-1:0]];
            e_stride <= d_stride;
            e_pad_top <= d_pad_top;
            e_pad_left <= d_pad_left;
            e_in_h <= d_in_h;  e_in_w <= d_in_w;  e_cbin <= d_cbin;
            e_out_h <= d_out_h;  e_out_w <= d_out_w;  e_cob <= d_cob;
            e_win_h <= d_win_h;
            e_win_w <= d_win_w;
            e_nib <= d_nib;
            e_ntb <= d_ntb;
            e_bias_shift <= d_bias_shift;  e_shift <= d_shift;
            e_out_fmt <= d_out_fmt;  e_post_fmt <= d_post_fmt;
            e_round <= d_round;  e_sat <= d_sat;
            e_is_last <= r_is_last;
            e_mac <= r_mac;
            e_wr_hi <= bat && !bbody && bmap && rec_layer == bfrom - 16'd1;
            e_out_words <= d_out_words;
        end
    end

    // The input map from DDR at `addr` into slot 0 (S_MEM_IN), or INPUT_ALIGN once the payload CRC is known.
    /* verilator lint_off UNUSEDSIGNAL */
    task automatic read_map(input logic [63:0] addr);
        if (addr[3:0] != 4'd0) begin
            pend_code <= E_INPUT_ALIGN;
            state     <= S_HOLD;
        end else begin
            // img_pixels is a multiple of ROW_ALIGN >= 16: whole beats
            request(addr, 24'(img_pixels >> 4));
            state <= S_MEM_IN;
        end
    endtask
    /* verilator lint_on UNUSEDSIGNAL */

    // Start the layer whose record was decoded (S_DECODE, or S_LOAD for a prefetched one, whose block 0 is
    // already loading: `fetch` 0). In a batch, the first layer of the body ends map A's prefix (map B's
    // input and prefix next, S_BSWITCH) or map B's (the body starts, map A's pass first), and a body layer
    // must fit half a slot.
    task automatic start_layer(input logic fetch);
        if (r_is_last) logits_frac <= r_out_frac;
        if (b_at_first && !bmap) begin
            state <= S_BSWITCH;
        end else if (b_in_body && !r_half_fit) begin
            pend_code <= E_NO_FIT;
            state     <= S_HOLD;
        end else begin
            if (b_at_first) begin
                bbody <= 1'b1;
                bmap  <= 1'b0;
            end
            count_clear <= 1'b1;
            ob <= 16'd0;
            if (r_mac && fetch) begin
                f_kick <= 1'b1;
                f_ob   <= 16'd0;
                f_buf  <= 1'b0;
            end
            state <= r_mac ? S_FIRST_FETCH : S_PASS_GO;
        end
    endtask

    // End the run (and the job it belongs to) with an error: STATUS.error with `code`, STATUS.done, idle.
    task automatic fail(input logic [7:0] code);
        state      <= S_IDLE;
        busy       <= 1'b0;
        err_flag   <= 1'b1;
        err_code   <= code;
        done_set   <= 1'b1;
    endtask

    always_ff @(posedge clk) begin
        flush       <= 1'b0;
        cancel      <= 1'b0;
        done_set    <= 1'b0;
        done_clr    <= 1'b0;
        hdr_start   <= 1'b0;
        count_clear <= 1'b0;
        dec_go      <= 1'b0;
        jl_clear    <= 1'b0;
        jl_write    <= 1'b0;
        lg_clear    <= 1'b0;
        lg_swap     <= 1'b0;
        if (rq_grant) rq_valid <= 1'b0;

        if (rst || abort) f_kick <= 1'b0;
        if (rst) begin
            state    <= S_IDLE;
            busy     <= 1'b0;
            err_flag <= 1'b0;
            err_code <= E_NONE;
            layer    <= 16'd0;
            rq_valid <= 1'b0;
            pf_state <= PF_NONE;
            pf_want  <= 1'b0;
            cycles   <= 32'd0;
            stalls   <= 32'd0;
            argmax   <= 8'd0;
            logits_frac <= 8'd0;
            slot_signed <= '0;
            bat        <= 1'b0;
            bmap       <= 1'b0;
            bbody      <= 1'b0;
            job_coarse_b <= 1'b0;
            job_run    <= 2'd0;
            job_done   <= 4'd0;
            job_last   <= 1'b0;
            jl_clear   <= 1'b1;
            jl_write   <= 1'b0;
            for (int i = 0; i < 4; i++) begin
                job_argmax[i] <= 8'd0;
                job_frac[i]   <= 8'd0;
            end
        end else if (ctrl_soft_reset) begin
            state    <= S_IDLE;
            busy     <= 1'b0;
            err_flag <= 1'b0;
            err_code <= E_NONE;
            rq_valid <= 1'b0;
            pf_state <= PF_NONE;
            pf_want  <= 1'b0;
            flush    <= 1'b1;
            cancel   <= 1'b1;
            done_clr <= 1'b1;
        end else if (abort) begin
            // start while busy abandons the run; an AXI read error ends it
            fail(ctrl_start ? E_START_BUSY : E_AXI_READ);
            rq_valid <= 1'b0;
            pf_state <= PF_NONE;
            pf_want  <= 1'b0;
            flush    <= 1'b1;
            cancel   <= 1'b1;
        end else begin
            if (busy) begin
                if (cycles != 32'hFFFF_FFFF) cycles <= cycles + 32'd1;
                // waiting on memory for the sequencer's own request (not the CRC pass beside it), on the
                // stream, or on the end of the CRC pass
                if (stalls != 32'hFFFF_FFFF && ((rd_waiting && !cur_crc && !(pf_state == PF_REC && state != S_DRAIN))
                                                || (state == S_STREAM && !s_axis_tvalid)
                                                || ((state == S_FINISH || state == S_HOLD) && !crc_done))) begin
                    stalls <= stalls + 32'd1;
                end
            end

            f_kick <= 1'b0;   // a pulse: the fetch has taken it

            if (rec_beat_in) begin
                rec_beat <= rec_beat + 2'd1;
                if (rd_last) dec_go <= 1'b1;
            end

            // The prefetch, beside the last pass of a layer and its drain: the next record's beats, its
            // decode, and its block 0's weights into half 0, which that pass does not use.
            case (pf_state)
                PF_REC: begin
                    if (rec_beat_in && rd_last) pf_state <= PF_DEC;
                end
                PF_DEC: begin
                    if (dec_valid) begin
                        if (dec_refused) begin
                            pf_code  <= dec_code;
                            pf_state <= PF_ERR;
                        end else begin
                            pf_state <= PF_READY;
                            if (r_mac) begin
                                f_kick <= 1'b1;
                                f_ob   <= 16'd0;
                                f_buf  <= 1'b0;
                            end
                        end
                    end
                end
                default: ;
            endcase

            case (state)
                S_IDLE: begin
                    if (ctrl_start) begin
                        busy       <= 1'b1;
                        err_flag   <= 1'b0;
                        err_code   <= E_NONE;
                        cycles     <= 32'd1;
                        stalls     <= 32'd0;
                        done_clr   <= 1'b1;
                        job_last   <= ctrl_job;
                        job_run    <= 2'd0;
                        job_done   <= 4'd0;
                        jl_clear   <= 1'b1;
                        job_coarse_b <= 1'b0;
                        if (ctrl_job) launch(prog_addr64, 1'b0, 1'b1, input_addr64, job_checked[0], 1'b1,
                                             input_h_addr64);
                        else          launch(prog_addr64, ctrl_reuse, ctrl_mem_in, input_addr64, ctrl_checked, 1'b0,
                                             64'd0);
                    end
                end

                S_HDR: begin
                    if (rd_seq && rd_seq_ready) begin
                        hdr_beat <= hdr_beat + 3'd1;
                        if (hdr_beat == 3'(HDR_HEADER_BYTES_OFFSET / BEAT_BYTES))
                            hdr_size_bad <= rd_data[8*(HDR_HEADER_BYTES_OFFSET % BEAT_BYTES) +: 16] != HEADER_BYTES16;
                        if (hdr_beat == 3'(HDR_INPUT_HEIGHT_OFFSET / BEAT_BYTES))
                            img_h <= rd_data[8*(HDR_INPUT_HEIGHT_OFFSET % BEAT_BYTES) +: 16];
                        if (hdr_beat == 3'(HDR_INPUT_WIDTH_OFFSET / BEAT_BYTES))
                            img_w <= rd_data[8*(HDR_INPUT_WIDTH_OFFSET % BEAT_BYTES) +: 16];
                    end
                    if (hdr_done) begin
                        if (hdr_error != E_NONE) begin
                            fail(hdr_error);
                        end else if (!hdr_sizes_ok) begin
                            fail(E_BAD_VERSION);
                        end else if (!hdr_total_ok) begin
                            fail(E_PAYLOAD_CRC);
                        end else begin
                            // the payload CRC (crc_start) runs beside what follows; results wait for it
                            bfrom       <= hdr_batch_from;
                            if (hdr_batch_from == 16'd0) bat <= 1'b0;   // the program cannot be batched
                            in_count    <= 32'd0;
                            in_row      <= 16'd0;
                            in_wir      <= 16'd0;
                            in_last     <= (img_pixels >> LP) - 32'd1;
                            slot_signed <= '0;
                            slot_signed[0] <= 1'b1;   // the input patch is int8
                            if ({16'd0, img_w} % ROW_ALIGN != 32'd0 || img_h == 16'd0 || img_w == 16'd0
                                || img_banked > SLOT_BYTES32) begin
                                pend_code <= E_NO_FIT;
                                state     <= S_HOLD;
                            end else if (run_reuse) begin
                                request_record(1'b1);
                                state <= S_REC;
                            end else if (run_mem_in) begin
                                read_map(run_in_addr);
                            end else begin
                                state <= S_STREAM;
                            end
                        end
                    end
                end

                S_HOLD: begin
                    // An error found after the header: a damaged payload explains it first.
                    if (crc_done) fail(crc_ok ? pend_code : E_PAYLOAD_CRC);
                end

                S_STREAM, S_MEM_IN: begin
                    if (in_we) begin
                        in_count <= in_count + 32'd1;
                        if (in_wir == in_wpr_last) begin
                            in_wir <= 16'd0;
                            in_row <= in_row + 16'd1;
                        end else begin
                            in_wir <= in_wir + 16'd1;
                        end
                        if (state == S_MEM_IN) begin
                            // the reader's request covers exactly the patch: its last word ends the input
                            if (in_count == in_last) begin
                                request_record(1'b1);
                                state <= S_REC;
                            end
                        end else if (s_axis_tlast != (in_count == in_last)) begin
                            pend_code <= E_STREAM_LENGTH;
                            state     <= S_HOLD;
                        end else if (s_axis_tlast) begin
                            request_record(1'b1);
                            state <= S_REC;
                        end
                    end
                end

                S_REC: begin
                    if (rec_beat_in && rd_last) state <= S_DECODE;
                end

                S_DECODE: begin
                    // bg_layer_decode's registers take a few cycles; the record stays in `rec` meanwhile
                    if (dec_valid) begin
                        if (dec_refused) begin
                            pend_code <= dec_code;
                            state     <= S_HOLD;
                        end else begin
                            start_layer(1'b1);
                        end
                    end
                end

                S_FIRST_FETCH: begin
                    if (f_idle && !f_kick) state <= S_PASS_GO;
                end

                S_PASS_GO: begin
                    // the pass of block ob runs on half ob[0] while block ob+1 loads into the other half
                    if (e_mac && ob != e_cob - 16'd1 && !(bbody && bmap)) begin   // map B's pass: fetched
                        f_kick <= 1'b1;
                        f_ob   <= ob + 16'd1;
                        f_buf  <= ~ob[0];
                    end
                    // A layer's last pass, with a layer after it: that layer's record is read and decoded
                    // beside the pass, and its first weights loaded, when this pass leaves half 0 free
                    // (an odd last block, or a pass without weights). Otherwise the first fetch waits for
                    // the drain, and its time is exposed (docs/core-rtl.md, "Where conv5's cycles go").
                    // Registered here and acted on in S_PASS_WAIT: the block compare straight into the
                    // request registers' enables was one of the core's longest paths (docs/timing.md).
                    pf_want <= ob == e_cob - 16'd1 && (!bbody || bmap) && !e_is_last && (!e_mac || ob[0]);
                    state <= S_PASS_WAIT;
                end

                S_PASS_WAIT: begin
                    if (pf_want) begin
                        request_record(1'b0);
                        pf_state <= PF_REC;
                        pf_want  <= 1'b0;
                    end
                    // the last pass waits for no fetch of its layer (a running fetch is the prefetch's)
                    if (!pass_busy && bbody && !bmap) begin
                        bmap  <= 1'b1;   // the same block's pass on map B, while the next block loads
                        state <= S_PASS_GO;
                    end else if (!pass_busy && (ob == e_cob - 16'd1 || (f_idle && !f_kick))) begin
                        if (bbody) bmap <= 1'b0;
                        if (ob == e_cob - 16'd1) begin
                            state <= S_DRAIN;
                        end else begin
                            ob    <= ob + 16'd1;
                            state <= S_PASS_GO;
                        end
                    end
                end

                S_DRAIN: begin
                    if (wr_count == (bbody ? {e_out_words[30:0], 1'b0} : e_out_words)
                        && pf_state != PF_REC && pf_state != PF_DEC) begin
                        slot_signed[e_dst[$clog2(SLOTS)-1:0]] <= e_mode == 2'd2 ? e_src_signed
                            : e_res_en ? e_post_fmt[FORMAT_SIGNED_BIT] : e_out_fmt[FORMAT_SIGNED_BIT];
                        if (e_is_last) begin
                            best  <= 8'd0;
                            am_i  <= 3'd1;
                            am_b  <= 1'b0;
                            state <= S_ARGMAX;
                        end else begin
                            layer    <= layer + 16'd1;
                            pf_state <= PF_NONE;
                            case (pf_state)
                                PF_READY: state <= S_LOAD;
                                PF_ERR: begin
                                    pend_code <= pf_code;
                                    state     <= S_HOLD;
                                end
                                default: begin
                                    request_record(1'b0);
                                    state <= S_REC;
                                end
                            endcase
                        end
                    end
                end

                S_LOAD: begin
                    // the prefetched record's configuration into the engine's registers (as S_DECODE does);
                    // its block 0's weights are loading or loaded
                    start_layer(1'b0);
                end

                S_ARGMAX: begin
                    // logits 1..7 against the best so far, one a cycle (the last layer's logits are all in)
                    if (am_better) best <= {5'd0, am_i};
                    am_i <= am_i + 3'd1;
                    if (am_i == 3'd7) state <= S_FINISH;
                end

                S_FINISH: begin
                    if (crc_done && !crc_ok) begin
                        // logits of a damaged image are not results
                        fail(E_PAYLOAD_CRC);
                        argmax   <= 8'd0;
                        lg_clear <= 1'b1;
                    end else if (crc_done) begin
                        argmax <= best;
                        if (job_last) begin
                            jl_write <= 1'b1;
                            jl_run   <= job_result;
                            job_argmax[job_result] <= best;
                            job_frac[job_result]   <= logits_frac;
                            job_done[job_result]   <= 1'b1;
                        end
                        if (bbody && !am_b) begin
                            // map A's results are taken (and its fine program noted): map B's argmax next
                            fa_has  <= best_has_fine;
                            fa_addr <= fine_addr64;
                            fa_chk  <= fine_checked;
                            lg_swap <= 1'b1;   // lands with the job's copy of map A's logits
                            state   <= S_BSWAP;
                        end else if (job_last && bbody && job_run == 2'd0) begin
                            // both maps' coarse results: one batched fine run where they chose the same
                            // range, else map A's fine run and then map B's, each map from DDR (S_NEXT)
                            job_coarse_b <= 1'b1;
                            fb_addr <= fine_addr64;
                            fb_chk  <= fine_checked;
                            if (!fa_has || !best_has_fine) fail(E_JOB_RANGE);   // a range beyond the table
                            else                           state <= S_NEXT;
                        end else if (job_last && !bbody && !job_run[0] && !best_has_fine) begin
                            fail(E_JOB_RANGE);   // a coarse run chose a range beyond the table
                        end else if (job_last && !bbody && job_run != 2'd3) begin
                            // the next single run: the fine program of an unbatched coarse run on the map on
                            // chip, the height's coarse run, or map B's fine run after map A's alone
                            state <= S_NEXT;
                        end else begin
                            busy       <= 1'b0;
                            done_set   <= 1'b1;
                            state      <= S_IDLE;
                        end
                    end
                end

                S_NEXT: begin
                    job_run <= nx_run;
                    launch(nx_addr, nx_reuse, nx_mem, nx_in, nx_chk, nx_batch, input_h_addr64);
                end

                S_BSWITCH: begin
                    // map A's prefix is done, its last tensor in the lower half of its slot: map B's input
                    // from DDR, then its prefix from layer 0 (once a prefetched fetch has ended)
                    if (f_idle && !f_kick) begin
                        bmap     <= 1'b1;
                        layer    <= 16'd0;
                        in_count <= 32'd0;
                        in_row   <= 16'd0;
                        in_wir   <= 16'd0;
                        read_map(run_in_addr_b);
                    end
                end

                S_BSWAP: begin
                    // map B's logits move into the result registers at this cycle's edge (lg_swap), where
                    // the job's copy of map A's (jl_write) still reads map A's; then map B's argmax
                    am_b  <= 1'b1;
                    best  <= 8'd0;
                    am_i  <= 3'd1;
                    state <= S_ARGMAX;
                end

                default: state <= S_IDLE;
            endcase
        end
    end

    always_ff @(posedge clk) begin
        if (bbody && job_run == 2'd0) begin
            // after a batched coarse run: map A's fine program on both maps (one range) or on map A's
            nx_run <= 2'd1;  nx_addr <= fa_addr;  nx_reuse <= 1'b0;  nx_mem <= 1'b1;  nx_in <= input_addr64;
            nx_chk <= fa_chk;  nx_batch <= job_argmax[0] == best;
        end else if (job_run == 2'd1 && job_coarse_b) begin
            // map A's fine run alone: map B's fine program on its map from DDR
            nx_run <= 2'd3;  nx_addr <= fb_addr;  nx_reuse <= 1'b0;  nx_mem <= 1'b1;  nx_in <= input_h_addr64;
            nx_chk <= fb_chk;  nx_batch <= 1'b0;
        end else if (!job_run[0]) begin
            // an unbatched coarse run: the chosen fine program on the map on chip
            nx_run <= job_run + 2'd1;  nx_addr <= fine_addr64;  nx_reuse <= 1'b1;  nx_mem <= 1'b0;
            nx_in <= 64'd0;  nx_chk <= fine_checked;  nx_batch <= 1'b0;
        end else begin
            // after the width's unbatched fine run: the coarse program on the height's map
            nx_run <= 2'd2;  nx_addr <= prog_addr64;  nx_reuse <= 1'b0;  nx_mem <= 1'b1;  nx_in <= input_h_addr64;
            nx_chk <= job_checked[0];  nx_batch <= 1'b0;
        end
    end

    // The run's logits (map B's in logits_b during a batch): written by the last layer's results, cleared
    // a cycle after a run's launch (so that the job's copy of the run before, in that cycle, still reads
    // them) or when a damaged image's logits are dropped, and map B's moved in after map A's results are
    // taken. Their enables come from registered pulses and the engine's output, not from the sequencer's
    // reset, abort and start priority (that chain into them was a 12.8 ns ECP5 path).
    always_ff @(posedge clk) begin
        if (rst || lg_clear) begin
            for (int i = 0; i < 8; i++) logits[i] <= 32'd0;
            for (int i = 0; i < 8; i++) logits_b[i] <= 32'd0;
        end else if (lg_swap) begin
            for (int i = 0; i < 8; i++) logits[i] <= logits_b[i];
        end else if (lg_we) begin
            // logit i is lane i % P of output block i / P
            for (int i = 0; i < 8; i++) begin
                if (lg_ob == 16'(i / P) && !lg_map) logits[i]   <= lg_y[32*(i % P) +: 32];
                if (lg_ob == 16'(i / P) && lg_map)  logits_b[i] <= lg_y[32*(i % P) +: 32];
            end
        end
    end

    // The job's logits: 32 x 32 bits whose enables come from two registered pulses, not from the
    // sequencer's reset, soft-reset, abort and start priority (that chain into 1,024 enables was a 10.1 ns
    // ECP5 path). They land a cycle after the sequencer's decision, the same edge at which STATUS.done
    // takes the run's done_set, so a reader who saw done reads the new logits.
    always_ff @(posedge clk) begin
        if (jl_clear) begin
            for (int i = 0; i < 32; i++) job_logits[i] <= 32'd0;
        end else if (jl_write) begin
            for (int i = 0; i < 8; i++) job_logits[{jl_run, 3'(i)}] <= logits[i];
        end
    end

    // ---- register inputs ----
    always_comb begin
        hwif_in.CONFIG.lanes.next           = 8'(P);
        hwif_in.CONFIG.slots.next           = 8'(SLOTS);
        hwif_in.CONFIG.log2_slot_bytes.next = 8'($clog2(SLOT_BYTES));
        hwif_in.STATUS.busy.next            = busy;
        hwif_in.STATUS.done.hwset           = done_set;
        hwif_in.STATUS.done.hwclr           = done_clr;
        hwif_in.STATUS.error.next           = err_flag;
        hwif_in.STATUS.error_code.next      = err_code;
        hwif_in.STATUS.layer.next           = layer;
        hwif_in.CYCLES.count.next           = cycles;
        hwif_in.STALL_CYCLES.count.next     = stalls;
        hwif_in.RESULT.argmax.next          = argmax;
        hwif_in.RESULT.logits_frac.next     = logits_frac;
        for (int i = 0; i < 8; i++) hwif_in.LOGIT[i].value.next = logits[i];
        hwif_in.JOB_STATUS.runs_done.next = job_done;
        hwif_in.JOB_STATUS.run.next       = job_run;
        hwif_in.JOB_STATUS.job.next       = job_last;
        for (int a = 0; a < 2; a++) begin
            hwif_in.AXIS_RESULT[a].range.next       = job_argmax[2 * a];
            hwif_in.AXIS_RESULT[a].fine.next        = job_argmax[2 * a + 1];
            hwif_in.AXIS_RESULT[a].coarse_frac.next = job_frac[2 * a];
            hwif_in.AXIS_RESULT[a].fine_frac.next   = job_frac[2 * a + 1];
        end
        for (int i = 0; i < 32; i++) hwif_in.JOB_LOGIT[i].value.next = job_logits[i];
    end

endmodule

`default_nettype wire
