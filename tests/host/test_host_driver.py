"""CoreDriver (host/driver.py): identification, program verification, runs with reuse on both input
paths (device memory, stream), errors, aborts and bounded waits, over the register-level core model
(tests/host/core_model.py). The same driver over the simulated RTL core is tests/host/test_host_rtl.py,
and through a fake of PYNQ onto that core tests/host/test_pynq_transport.py.

Programs are the six briefly trained width-2 networks of tests/conftest.py, exported for a 4 x 4
array (4 slots of 16 KiB), so each golden run takes milliseconds.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from blurgauge.host.driver import (
    PATCH_BYTES,
    CoreDriver,
    CoreError,
    CoreTimeoutError,
    describe_status,
    verify_images,
)
from blurgauge.hw import rtl_files
from blurgauge.hw.compiler import program as prog
from blurgauge.hw.compiler.golden import run_program
from blurgauge.hw.regs import core_regs as regs
from tests.host.core_model import ModelTransport

LANES, SLOTS, LOG2_SLOT = 4, 4, 14


@pytest.fixture(scope="session")
def six_images(six_programs) -> dict[str, bytes]:
    return {name: prog.pack(p) for name, p in six_programs(LANES).items()}


def _driver(timeout_s: float = 2.0, input_path: str = "memory") -> CoreDriver:
    return CoreDriver(ModelTransport(LANES, SLOTS, LOG2_SLOT), timeout_s=timeout_s, input_path=input_path)


def _codes(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(-128, 128, (128, 128)).astype(np.int8)


def test_probe_reads_the_configuration():
    info = _driver().info
    assert (info.lanes, info.slots, info.slot_bytes, info.program_format) == (LANES, SLOTS, 1 << LOG2_SLOT,
                                                                                     prog.FORMAT_VERSION)
    assert "4x4 MAC array" in str(info)


def test_a_device_that_is_not_a_core_is_refused():
    class Elsewhere(ModelTransport):  # some other IP at the core's address
        def read32(self, offset: int) -> int:
            return 0xDEADBEEF if offset == regs.ID else super().read32(offset)

    with pytest.raises(CoreError, match=r"ID reads 0xdeadbeef.*BGCR"):
        CoreDriver(Elsewhere())


@pytest.mark.parametrize("input_path", ["memory", "stream"])
def test_coarse_then_fine_reuses_the_patch_and_equals_golden(six_images, input_path):
    driver = _driver(input_path=input_path)
    programs = driver.load_programs(six_images)
    transport = driver.transport
    written = dict(transport.memory)
    driver.load_programs(six_images)  # loading again writes nothing new
    assert transport.memory.keys() == written.keys()
    codes = _codes(1)
    coarse = driver.run("coarse", codes)
    assert not coarse.reused_input and transport.stream == b""
    assert transport.memory_inputs == (input_path == "memory")
    fine = driver.run("fine3", codes)  # the same patch: stays on chip, neither read nor streamed again
    assert fine.reused_input and transport.memory_inputs == (input_path == "memory")
    for result in (coarse, fine):
        expect = run_program(programs[result.network], codes[None])[0]
        assert result.logits.tolist() == expect.tolist()
        assert result.argmax == int(np.argmax(expect[: programs[result.network].num_classes]))
        assert result.logits_frac == programs[result.network].logits_frac
    other = driver.run("coarse", _codes(2))  # a new patch is read again
    assert not other.reused_input
    assert other.logits.tolist() == run_program(programs["coarse"], _codes(2)[None])[0].tolist()
    # The memory path has one input buffer, allocated on the first run and reused by every later one.
    buffers = set(transport.memory) - set(written)
    assert len(buffers) == (input_path == "memory")
    if buffers:
        (address,) = buffers
        assert len(transport.memory[address]) == PATCH_BYTES and address % 16 == 0
        assert transport.regs[regs.INPUT_ADDR_LO] == address and transport.regs[regs.INPUT_ADDR_HI] == 0


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


# ---------------------------------------------------------------- aborts: any failure leaves the core idle


class FailingWait(ModelTransport):
    """The model, with a transport that fails once while a run is in progress (a bus error, a lost
    interrupt handle, Ctrl-C): ``fail_with`` is raised from the next ``wait``."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fail_with: BaseException | None = None

    def wait(self, seconds: float) -> None:
        if self.fail_with is not None:
            exc, self.fail_with = self.fail_with, None
            raise exc
        super().wait(seconds)


def _idle(model: ModelTransport) -> bool:
    busy, done = regs.FIELDS["STATUS"]["busy"], regs.FIELDS["STATUS"]["done"]
    return not busy.get(model.status) and not done.get(model.status) and model._pending is None


@pytest.mark.parametrize("input_path", ["memory", "stream"])
@pytest.mark.parametrize("failure", [OSError("bus error"), KeyboardInterrupt()], ids=["OSError", "KeyboardInterrupt"])
def test_a_transport_error_mid_run_aborts_it_and_the_next_run_is_correct(six_images, input_path, failure):
    model = FailingWait(LANES, SLOTS, LOG2_SLOT)
    driver = CoreDriver(model, timeout_s=2.0, input_path=input_path)
    programs = driver.load_programs(six_images)
    first, second = _codes(7), _codes(8)
    assert driver.run("coarse", first).network == "coarse"
    model.fail_with = failure
    with pytest.raises(type(failure)):
        driver.run("coarse", second)  # started, then the transport fails before the core is done
    assert _idle(model), describe_status(model.status)  # soft-reset, done cleared: not left busy
    assert model.stream == b""  # nothing of the failed run's patch left to feed the next run
    # Slot 0 is unknown after the failure: the first patch is read again, not reused, and both are right.
    for codes in (first, second):
        result = driver.run("coarse", codes)
        assert not result.reused_input
        assert result.logits.tolist() == run_program(programs["coarse"], codes[None])[0].tolist()


def test_a_core_error_drops_the_stream_it_left_and_the_next_patch_is_its_own(six_images):
    """A run that fails before taking its patch leaves all of it queued; the abort drops it, so the next
    run reads its own patch, not the stale one."""
    driver = _driver(input_path="stream")
    programs = driver.load_programs(six_images)
    driver.transport.axi_error = True  # the program read fails at once: the stream is never taken
    with pytest.raises(CoreError, match="AXI_READ"):
        driver.run("fine1", _codes(9))
    driver.transport.axi_error = False
    assert driver.transport.stream == b""
    result = driver.run("fine1", _codes(10))
    assert result.logits.tolist() == run_program(programs["fine1"], _codes(10)[None])[0].tolist()


def test_a_busy_core_is_refused_and_left_running(six_images):
    """A run in progress that the driver did not start (or cannot know about) is not abandoned."""
    driver = _driver()
    driver.load_programs(six_images)
    driver.start("coarse")  # a stream run without a patch: busy until it gets one
    with pytest.raises(CoreError, match="busy with another run"):
        driver.run("fine1", _codes(11))
    assert regs.FIELDS["STATUS"]["busy"].get(driver.transport.status) and driver.transport._pending is not None


def test_the_memory_path_needs_an_aligned_buffer_and_the_stream_path_a_stream(six_images):
    class Misaligned(ModelTransport):
        def alloc(self, nbytes: int) -> int:
            return super().alloc(nbytes + 16) + 8 if nbytes == PATCH_BYTES else super().alloc(nbytes)

    driver = CoreDriver(Misaligned(LANES, SLOTS, LOG2_SLOT), timeout_s=2.0)
    driver.load_programs(six_images)
    with pytest.raises(CoreError, match="not 16-byte aligned"):
        driver.run("coarse", _codes(12))
    assert _idle(driver.transport)

    class NoStream:  # a board transport: registers, memory and time, no AXI4-Stream
        def __init__(self) -> None:
            self.model = ModelTransport(LANES, SLOTS, LOG2_SLOT)
            for name in ("read32", "write32", "alloc", "write_memory", "wait", "close"):
                setattr(self, name, getattr(self.model, name))

    with pytest.raises(CoreError, match="input_path 'stream' needs a transport with an AXI4-Stream"):
        CoreDriver(NoStream(), input_path="stream")
    board = CoreDriver(NoStream(), timeout_s=2.0)  # the default memory path needs no stream, nor reset_stream
    programs = board.load_programs(six_images)
    board.start("coarse")  # a stream run on a core with no stream: never ends
    with pytest.raises(CoreTimeoutError):
        board.wait_done(0.2)
    result = board.run("coarse", _codes(13))
    assert result.logits.tolist() == run_program(programs["coarse"], _codes(13)[None])[0].tolist()
    with pytest.raises(ValueError, match="input_path must be one of memory, stream"):
        CoreDriver(ModelTransport(LANES, SLOTS, LOG2_SLOT), input_path="dma")


def test_the_model_reads_its_input_from_memory_as_the_register_map_says(six_images):
    """The model itself (what the driver tests rely on): INPUT_ALIGN for a misaligned INPUT_ADDR,
    AXI_READ for one outside device memory, reuse_input winning over input_from_memory."""
    ctrl = regs.FIELDS["CTRL"]
    model = ModelTransport(LANES, SLOTS, LOG2_SLOT)
    program = model.alloc(len(six_images["coarse"]))
    model.write_memory(program, six_images["coarse"])
    patch = model.alloc(PATCH_BYTES)
    model.write_memory(patch, _codes(14).tobytes())
    model.write32(regs.PROGRAM_ADDR_LO, program)

    def run(input_address: int, bits: int) -> int:
        model.write32(regs.STATUS, regs.FIELDS["STATUS"]["done"].put(0, 1))
        model.write32(regs.INPUT_ADDR_LO, input_address)
        model.write32(regs.CTRL, bits | ctrl["start"].put(0, 1))
        model.wait(0.0)
        return model.status

    error_code = regs.FIELDS["STATUS"]["error_code"]
    from_memory = ctrl["input_from_memory"].put(0, 1)
    assert error_code.get(run(patch + 4, from_memory)) == regs.ErrorCode.INPUT_ALIGN
    assert error_code.get(run(0x10, from_memory)) == regs.ErrorCode.AXI_READ
    assert error_code.get(run(patch, from_memory)) == regs.ErrorCode.NONE and model.memory_inputs == 1
    np.testing.assert_array_equal(model.slot0, _codes(14))
    reuse = from_memory | ctrl["reuse_input"].put(0, 1)
    assert error_code.get(run(patch + 4, reuse)) == regs.ErrorCode.NONE and model.memory_inputs == 1


# ---- the image job: one start per image ---------------------------------------------------------------


def test_an_image_job_is_one_start_and_equals_the_golden_job(six_images):
    from blurgauge.hw.compiler.golden import run_image_job

    driver = _driver()
    programs = driver.load_programs(six_images)
    model = driver.transport
    maps = np.stack([_codes(5), _codes(6)])
    fines = [programs[f"fine{k + 1}"] for k in range(5)]
    starts, checks = model.jobs, model.payload_checks
    job = driver.run_image(maps[0], maps[1])
    assert model.jobs == starts + 1
    # no program has passed the core's payload CRC yet: the core checks each of the four runs
    assert model.payload_checks == checks + 4 and model.regs[regs.JOB_CHECKED] == 0
    expected = run_image_job(programs["coarse"], fines, maps)
    for axis, want in zip((job.width, job.height), expected, strict=True):
        assert axis.coarse.logits.tolist() == want.coarse_logits.tolist()
        assert axis.range == want.range and axis.fine.network == f"fine{want.range + 1}"
        assert axis.fine.logits.tolist() == want.fine_logits.tolist()
        assert axis.fine.logits_frac == fines[want.range].logits_frac
    # the FINE_ADDR table holds each range's fine program
    assert [model.regs[regs.FINE_ADDR_LO0 + 4 * k] for k in range(5)] == \
        [driver._loaded[f"fine{k + 1}"].address & 0xFFFFFFFF for k in range(5)]
    # the next job vouches (JOB_CHECKED) for the programs that passed: no CRC pass for them, the same results
    again = driver.run_image(maps[0], maps[1])
    ran = {0, 1 + job.width.range, 1 + job.height.range}
    assert model.regs[regs.JOB_CHECKED] == sum(1 << b for b in ran) and model.payload_checks == checks + 4
    assert again.height.fine.logits.tolist() == job.height.fine.logits.tolist()
    # a fine program that passed in a single run is vouched for in the next job too
    other = next(k for k in range(5) if 1 + k not in ran)
    driver.run(f"fine{other + 1}", maps[0])
    driver.run_image(maps[0], maps[1])
    assert model.regs[regs.JOB_CHECKED] == sum(1 << b for b in ran) | 1 << (1 + other)


def _f_ctrl(model: ModelTransport, name: str) -> int:
    return regs.FIELDS["CTRL"][name].get(model.regs[regs.CTRL])


def test_a_damaged_fine_program_ends_the_job_with_the_coarse_result_and_the_next_image_is_correct(six_images):
    from blurgauge.host.driver import CoreJobError

    driver = _driver()
    driver.load_programs(six_images)
    model = driver.transport
    maps = np.stack([_codes(7), _codes(8)])
    good = driver.run_image(maps[0], maps[1])
    chosen = driver._loaded[good.width.fine.network].address
    saved = bytes(model.memory[chosen])
    model.memory[chosen][9] ^= 0x40  # the header CRC of the width axis's fine program
    with pytest.raises(CoreJobError, match=r"width fine run failed.*HEADER_CRC") as failure:
        driver.run_image(maps[0], maps[1])
    assert list(failure.value.finished) == ["width coarse"]
    assert failure.value.finished["width coarse"].logits.tolist() == good.width.coarse.logits.tolist()
    assert _idle(model)
    model.memory[chosen][:] = saved
    again = driver.run_image(maps[0], maps[1])
    assert again.height.fine.logits.tolist() == good.height.fine.logits.tolist()


def test_an_image_job_needs_the_six_programs_and_two_maps(six_images):
    driver = _driver()
    driver.load_programs({"coarse": six_images["coarse"]})
    with pytest.raises(KeyError, match="fine1, fine2, fine3, fine4, fine5"):
        driver.run_image(_codes(1), _codes(2))
    driver.load_programs(six_images)
    with pytest.raises(ValueError, match="height map must be int8"):
        driver.run_image(_codes(1), _codes(2).astype(np.int16))


def test_a_core_whose_range_is_not_its_coarse_argmax_is_an_error(six_images):
    class Wrong(ModelTransport):  # reports range k+1 for the width axis: not the coarse logits' argmax
        def read32(self, offset: int) -> int:
            word = super().read32(offset)
            if offset == regs.AXIS_RESULT0:
                field = regs.FIELDS["AXIS_RESULT"]["range"]
                word = field.put(word, (field.get(word) + 1) % 5)
            return word

    driver = CoreDriver(Wrong(LANES, SLOTS, LOG2_SLOT), timeout_s=2.0)
    driver.load_programs(six_images)
    with pytest.raises(CoreError, match="'coarse': the core's argmax"):
        driver.run_image(_codes(1), _codes(2))
