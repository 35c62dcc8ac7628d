// bg_read_arbiter: two clients share one bg_axi_reader, client A with fixed priority over client B.
//
// In bg_core, A is the sequencer (header, layer records, weights, biases: the run waits on them) and B the
// payload CRC check (bg_payload_crc), which reads the image in chunks beside the first layers and so only
// takes the reader when A does not ask for it.
//
// Requests: a client holds req_valid with its address and beat count until it sees its grant (one cycle,
// req_valid && the reader's req_ready, A first); then it drops req_valid (a client's request register is
// its own). The reader hands beats back in request order and takes a new request only when the previous
// one is done (bg_axi_reader), so the beats on its output belong to the client granted last: `owner_b`
// says which, from the grant on, and routes the reader's valid/ready to that client. The data bus is
// shared (every client sees the reader's out_data; only the owner sees valid).
//
// Latency: none; the request multiplexer and the beat routing are combinational, `owner_b` a register.

`default_nettype none

module bg_read_arbiter #(
    parameter int ADDR_W  = 32,   // byte address width of the requests, 1..64
    parameter int BEATS_W = 24    // beat count width of the requests, 1..32 (bg_axi_reader: 24)
) (
    input  wire                 clk,
    input  wire                 rst,            // synchronous, active high: the output belongs to A again

    // client A (priority)
    input  wire                 a_req_valid,
    input  wire  [ADDR_W-1:0]   a_req_addr,
    input  wire  [BEATS_W-1:0]  a_req_beats,
    output logic                a_req_grant,    // one cycle: A's request is taken
    output logic                a_out_valid,    // a beat of A's request on the reader's output
    input  wire                 a_out_ready,

    // client B
    input  wire                 b_req_valid,
    input  wire  [ADDR_W-1:0]   b_req_addr,
    input  wire  [BEATS_W-1:0]  b_req_beats,
    output logic                b_req_grant,    // one cycle: B's request is taken (A did not ask)
    output logic                b_out_valid,
    input  wire                 b_out_ready,

    // the reader
    output logic                m_req_valid,
    input  wire                 m_req_ready,
    output logic [ADDR_W-1:0]   m_req_addr,
    output logic [BEATS_W-1:0]  m_req_beats,
    input  wire                 m_out_valid,
    output logic                m_out_ready,

    output logic                owner_b         // the reader's output beats are B's
);

    // ---- parameter checks (elaboration time) ----
    if (ADDR_W < 1 || ADDR_W > 64) begin : g_bad_addr_w
        $error("bg_read_arbiter: ADDR_W must be in 1..64");
    end
    if (BEATS_W < 1 || BEATS_W > 32) begin : g_bad_beats_w
        $error("bg_read_arbiter: BEATS_W must be in 1..32");
    end

    assign m_req_valid = a_req_valid || b_req_valid;
    assign m_req_addr  = a_req_valid ? a_req_addr : b_req_addr;
    assign m_req_beats = a_req_valid ? a_req_beats : b_req_beats;
    assign a_req_grant = m_req_ready && a_req_valid;
    assign b_req_grant = m_req_ready && !a_req_valid && b_req_valid;

    always_ff @(posedge clk) begin
        if (rst) begin
            owner_b <= 1'b0;
        end else if (m_req_ready && m_req_valid) begin
            owner_b <= !a_req_valid;
        end
    end

    assign a_out_valid = m_out_valid && !owner_b;
    assign b_out_valid = m_out_valid && owner_b;
    assign m_out_ready = owner_b ? b_out_ready : a_out_ready;

endmodule

`default_nettype wire
