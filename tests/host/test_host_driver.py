"""CoreDriver (host/driver.py): identification, program verification, runs with reuse, errors and
bounded waits, over the register-level core model (tests/host/core_model.py). The same driver over the
simulated RTL core is tests/host/test_host_rtl.py.

Programs are the six briefly trained width-2 networks of tests/conftest.py, exported for a 4 x 4
array (4 slots of 16 KiB), so each golden run takes milliseconds.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from blurgauge.host.driver import CoreDriver, CoreError, CoreTimeoutError, describe_status, verify_images
from blurgauge.hw import rtl_files
from blurgauge.hw.compiler import program as prog
from blurgauge.hw.compiler.golden import run_program
from blurgauge.hw.regs import core_regs as regs
from tests.host.core_model import ModelTransport

LANES, SLOTS, LOG2_SLOT = 4, 4, 14


@pytest.fixture(scope="session")
def six_images(six_programs) -> dict[str, bytes]:
    return {name: prog.pack(p) for name, p in six_programs(LANES).items()}


def _driver(timeout_s: float = 2.0) -> CoreDriver:
    return CoreDriver(ModelTransport(LANES, SLOTS, LOG2_SLOT), timeout_s=timeout_s)


def _codes(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, (128, 128)).astype(np.int8)


def test_probe_reads_the_configuration():
    info = _driver().info
    assert (info.lanes, info.slots, info.slot_bytes, info.program_format) == (LANES, SLOTS, 1 << LOG2_SLOT, 1)
    assert "4x4 MAC array" in str(info)


def test_a_device_that_is_not_a_core_is_refused():
    class Elsewhere(ModelTransport):  # some other IP at the core's address
        def read32(self, offset: int) -> int:
            return 0xDEADBEEF if offset == regs.ID else super().read32(offset)

    with pytest.raises(CoreError, match=r"ID reads 0xdeadbeef.*BGCR"):
        CoreDriver(Elsewhere())


def test_coarse_then_fine_reuses_the_patch_and_equals_golden(six_images):
    driver = _driver()
    programs = driver.load_programs(six_images)
    transport = driver.transport
    written = dict(transport.memory)
    driver.load_programs(six_images)  # loading again writes nothing new
    assert transport.memory.keys() == written.keys()
    codes = _codes(1)
    coarse = driver.run("coarse", codes)
    assert not coarse.reused_input and transport.stream == b""
    fine = driver.run("fine3", codes)  # the same patch: stays on chip, nothing streamed
    assert fine.reused_input
    for result in (coarse, fine):
        expect = run_program(programs[result.network], codes[None])[0]
        assert result.logits.tolist() == expect.tolist()
        assert result.argmax == int(np.argmax(expect[: programs[result.network].num_classes]))
        assert result.logits_frac == programs[result.network].logits_frac
    other = driver.run("coarse", _codes(2))  # a new patch is streamed again
    assert not other.reused_input


def test_a_program_s_payload_crc_is_checked_on_its_first_run_only(six_images):
    driver = _driver()
    driver.load_programs(six_images)
    model = driver.transport
    for name in ("coarse", "fine1", "coarse", "fine1", "coarse"):
        driver.run(name, _codes(3))
    assert model.payload_checks == 2  # once per program; the later runs set CTRL.payload_checked
    # A program written again (new weights) is checked again.
    fine1 = prog.unpack(six_images["fine1"])
    head = fine1.layers[-1]
    layers = [*fine1.layers[:-1], replace(head, bias=(head.bias + 1).astype(head.bias.dtype))]
    changed = {"fine1": prog.pack(replace(fine1, layers=layers))}
    driver.load_programs(changed)
    driver.run("fine1", _codes(3))
    assert model.payload_checks == 3
    # A failed run does not vouch for its program.
    model.axi_error = True
    with pytest.raises(CoreError):
        driver.run("fine2", _codes(3))
    model.axi_error = False
    driver.run("fine2", _codes(3))
    driver.run("fine2", _codes(3))
    assert model.payload_checks == 4
    # recheck_payload: every run checks.
    strict = CoreDriver(ModelTransport(LANES, SLOTS, LOG2_SLOT), timeout_s=2.0, recheck_payload=True)
    strict.load_programs(six_images)
    for _ in range(3):
        strict.run("coarse", _codes(3))
    assert strict.transport.payload_checks == 3


def test_damaged_or_mismatched_images_are_refused_before_any_write(six_images):
    damaged = bytearray(six_images["fine2"])
    damaged[-1] ^= 1
    with pytest.raises(prog.ProgramError, match=r"fine2.*payload CRC"):
        _driver().load_programs({**six_images, "fine2": bytes(damaged)})
    with pytest.raises(prog.ProgramError, match="'fine1' holds network 'coarse'"):
        verify_images({"fine1": six_images["coarse"]})
    other = prog.unpack(six_images["fine4"])
    other = replace(other, layers=[replace(other.layers[0], out_shift=other.layers[0].out_shift + 1),
                                   *other.layers[1:]])
    with pytest.raises(prog.ProgramError, match="differ in structure_id"):
        _driver().load_programs({**six_images, "fine4": prog.pack(other)})
    driver = CoreDriver(ModelTransport(16, SLOTS, LOG2_SLOT))
    with pytest.raises(prog.ProgramError, match="laid out for 4 lanes, the core has 16"):
        driver.load_programs(six_images)
    assert driver.transport.memory == {}
    small = CoreDriver(ModelTransport(LANES, 3, LOG2_SLOT))
    with pytest.raises(prog.ProgramError, match="needs 4 slots"):
        small.load_programs(six_images)


def test_a_run_that_never_ends_times_out_with_status_and_the_next_run_works(six_images):
    driver = _driver()
    driver.load_programs(six_images)
    driver.start("coarse")  # started, but the patch never comes: the core waits on its stream
    began = time.monotonic()
    with pytest.raises(CoreTimeoutError) as info:
        driver.wait_done(timeout_s=0.3)
    assert time.monotonic() - began < 2.0
    message = str(info.value)
    assert "within 0.3 s" in message and "busy 1" in message and "error_code 0 NONE" in message
    assert "layer" in message and "soft-reset" in message
    assert driver.run("coarse", _codes(3)).network == "coarse"


def test_a_core_error_names_the_code_and_the_next_run_works(six_images):
    driver = _driver()
    driver.load_programs(six_images)
    driver.transport.axi_error = True
    with pytest.raises(CoreError, match=r"'fine1'.*error_code 7 AXI_READ"):
        driver.run("fine1", _codes(4))
    driver.transport.axi_error = False
    assert not driver.run("fine1", _codes(4)).reused_input  # slot 0 is unknown after an error


def test_reuse_of_a_patch_that_is_not_on_chip_is_refused(six_images):
    driver = _driver()
    driver.load_programs(six_images)
    driver.run("coarse", _codes(5))
    with pytest.raises(CoreError, match="not the patch on chip"):
        driver.run("fine1", _codes(6), reuse_input=True)


def test_status_is_described_by_its_field_names():
    word = (regs.FIELDS["STATUS"]["done"].put(0, 1) | regs.FIELDS["STATUS"]["error"].put(0, 1)
            | regs.FIELDS["STATUS"]["error_code"].put(0, 9) | regs.FIELDS["STATUS"]["layer"].put(0, 17))
    text = describe_status(word)
    assert "error_code 9 STREAM_LENGTH" in text and "layer 17" in text and "done 1" in text


def test_the_simulated_default_core_is_bg_cores_default() -> None:
    """DEFAULT_CORE (rtl backend, simulator server, bench-host) and the default target's parameters (make
    synth) must be the configuration the RTL declares."""
    import re

    from blurgauge.host.transports.rtl import DEFAULT_CORE
    from blurgauge.hw import targets

    rtl = (rtl_files.RTL_DIR / "bg_core.sv").read_text()
    declared = {m[1]: int(m[2]) for m in re.finditer(r"parameter int (\w+)\s*=\s*(\d+)", rtl)}
    assert {name: declared[name.upper()] for name in DEFAULT_CORE} == DEFAULT_CORE
    default = targets.get(targets.DEFAULT_TARGET).core
    assert {name: declared[name] for name in default} == default
