"""The whole core in Verilator through cocotb (testbench: sim/tb_core.py) on real core programs: the
network's structure (``cost.structure_program``) filled with random weights, random int8 patches, the
expected logits from ``golden.run_program``; and the per-layer cycles and MAC utilization of each pass.

Building a program imports TensorFlow and exports through hls4ml, so the calling process makes the programs
and the expected logits and hands them to the simulator in a file; the simulator imports neither. Used by
tests/sim/test_rtl_core.py (bit-exactness, every fault) and bench/rtl_core.py (``make bench-rtl``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from blurgauge.hw import rtl_files, targets, verilator
from blurgauge.hw.compiler import program

TB = "blurgauge.sim.tb_core"
SOURCES = rtl_files.core_sources()
BUILD_ARGS = [str(rtl_files.REGS_DIR / "bg_core_regs.vlt")]
# sim/tb_core.py CASE_ENV and RESULTS_ENV (not imported: that would import cocotb here).
CASE_ENV, RESULTS_ENV = "BG_CORE_CASE", "BG_CORE_RESULTS"


def _saturated(codes: np.ndarray, fmt: program.Format) -> float:
    lo, hi = fmt.code_range
    return float(np.mean((codes <= lo) | (codes >= hi)))


def randomize(prog: program.CoreProgram, patch: np.ndarray, rng: np.random.Generator) -> program.CoreProgram:
    """The program with random int8 weights and int16 biases, layer by layer as large as keeps the layer's
    outputs mostly inside their format (at most 5% of the codes at a limit) and not mostly zero, so the
    requantizers round, clip and wrap real values instead of saturating everything."""
    from blurgauge.hw.compiler import golden

    layers: list[program.Layer] = []
    for layer in prog.layers:
        if layer.weights is None:
            layers.append(layer)
            continue
        shape = layer.weights.shape
        best = None
        for amp in (96, 64, 48, 32, 24, 16, 12, 8, 6, 4, 3, 2, 1):
            w = rng.integers(-amp, amp + 1, size=shape).astype(np.int8)
            b = rng.integers(-512, 513, size=layer.bias.shape).astype(np.int16)
            cand = replace(layer, weights=w, bias=b)
            out = golden.run_program(replace(prog, layers=[*layers, cand]), patch[None])
            fmt = layer.post_format if layer.post_format is not None else layer.out_format
            best = cand
            if fmt.bits > 8 or (_saturated(out, fmt) <= 0.05 and np.mean(out != 0) > 0.2):
                break
        layers.append(best)
    return replace(prog, layers=layers)


def make_case(path: Path, width: int, lanes: int, seed: int, timeout_ns: int,
              job: bool = False, read_port_bits: int = 128) -> dict[str, program.CoreProgram]:
    """The case file of sim/tb_core.py: a coarse and a fine program with random weights, a patch, golden's
    logits, the width of the DDR port behind the core's reads (``read_port_bits``: 128, the core's own, or
    a narrower board port); with ``job`` also what the image_job test needs (``image_job_case``)."""
    from blurgauge.hw.compiler import cost, golden

    rng = np.random.default_rng(seed)
    structure = cost.structure_program(width=width, lanes=lanes)
    patch = rng.integers(-128, 128, size=structure.input_shape[:2]).astype(np.int64)
    coarse = randomize(structure, patch, rng)
    fine = randomize(replace(structure, role="fine1"), patch, rng)
    case: dict = {"images": {}, "expected": {}, "patch": patch.reshape(-1).tolist(), "timeout_ns": timeout_ns,
                  "read_port_bits": read_port_bits}
    for name, prog in (("coarse", coarse), ("fine", fine)):
        blob = program.pack(prog)
        assert program.unpack(blob).structure_id == prog.structure_id
        logits = golden.run_program(prog, patch[None])[0]
        case["images"][name] = blob.hex()
        case["expected"][name] = {
            "logits": [int(v) for v in logits[:8]], "argmax": int(np.argmax(logits[: prog.num_classes])),
            "logits_frac": prog.logits_frac, "layers": len(prog.layers),
        }
    if job:
        case["job"] = image_job_case(coarse, fine, patch, rng)
    path.write_text(json.dumps(case))
    return {"coarse": coarse, "fine": fine}


#: The image job's fine programs in the testbench: one per range, the width-2 fine program with its last
#: biases moved by a different amount for each, so that every table entry gives different logits.
JOB_FINES = 5


def image_job_case(coarse: program.CoreProgram, fine: program.CoreProgram, patch: np.ndarray,
                   rng: np.random.Generator) -> dict:
    """What sim/tb_core.py's image_job test needs: five distinct fine images, a height map whose coarse
    range differs from the width's, a coarse image whose argmax is always 7 (no fine program: JOB_RANGE),
    and the golden job's results per axis, for that height map and for the width's map as the height's
    (``axes_same``: both axes in one range)."""
    from blurgauge.hw.compiler import golden

    def last_bias(prog: program.CoreProgram, change) -> program.CoreProgram:
        last = prog.layers[-1]
        return replace(prog, layers=[*prog.layers[:-1], replace(last, bias=change(last.bias.copy()))])

    def seven_wins(bias: np.ndarray) -> np.ndarray:
        bias[7] = np.iinfo(np.int16).max  # logit 7 wins on any map
        return bias

    fines = [last_bias(fine, lambda b, k=k: b + np.int16(97 * k)) for k in range(JOB_FINES)]
    wide = replace(last_bias(coarse, seven_wins), num_classes=8)

    def axes_of(maps: np.ndarray) -> list[dict]:
        return [{"range": job.range, "coarse_logits": [int(v) for v in job.coarse_logits[:8]],
                 "fine_logits": [int(v) for v in job.fine_logits[:8]],
                 "fine_argmax": int(np.argmax(job.fine_logits[: fines[job.range].num_classes])),
                 "coarse_frac": coarse.logits_frac, "fine_frac": fines[job.range].logits_frac}
                for job in golden.run_image_job(coarse, fines, maps)]

    # A random height map, and the job's coarse program with its last biases moved so that the two maps
    # choose different ranges (the fine programs then run one map at a time); the width's own map as the
    # height's chooses one range for both (one fine run for both maps at once).
    map_h = rng.integers(-128, 128, size=patch.shape)
    coarse = two_ranges(coarse, patch, map_h)
    axes = axes_of(np.stack([patch, map_h]))
    assert axes[0]["range"] != axes[1]["range"], axes
    images = {f"fine{k}": program.pack(prog).hex() for k, prog in enumerate(fines)}
    return {"map_h": map_h.reshape(-1).tolist(), "axes": axes, "axes_same": axes_of(np.stack([patch, patch])),
            "images": {**images, "coarse_job": program.pack(coarse).hex(), "coarse_wide": program.pack(wide).hex()}}


def two_ranges(coarse: program.CoreProgram, map_a: np.ndarray, map_b: np.ndarray) -> program.CoreProgram:
    """``coarse`` with its last layer's biases moved so that ``map_a`` and ``map_b`` choose different ranges:
    a random program's logits hardly depend on its input, but they do by more than a bias step, so for the
    pair of classes whose order the maps flip most, class j's bias is set between the two maps' margins to
    class i (map A then chooses i, map B j), and the other classes' to the lowest code."""
    from blurgauge.hw.compiler import golden

    last, n = coarse.layers[-1], coarse.num_classes
    step = 1 << last.bias_shift
    a = golden.run_program(coarse, map_a[None])[0][:n].astype(np.int64)
    b = golden.run_program(coarse, map_b[None])[0][:n].astype(np.int64)
    # the pair (i, j) whose order the maps flip most: j gains on map B what it loses on map A
    gain = (b[None, :] - b[:, None]) - (a[None, :] - a[:, None])  # gain[i, j]
    i, j = np.unravel_index(int(np.argmax(gain)), gain.shape)
    assert gain[i, j] > 4 * step, f"the maps' logits differ by {gain[i, j]}, less than a few bias steps of {step}"
    shift = ((b[i] - b[j]) + (a[i] - a[j])) // 2 // step  # between the margins, in bias codes
    bias = last.bias.astype(np.int64)
    bias[j] += shift
    bias[[k for k in range(n) if k not in (i, j)]] = np.iinfo(np.int16).min
    assert np.iinfo(np.int16).min <= bias.min() and bias.max() <= np.iinfo(np.int16).max, bias
    new_last = replace(last, bias=bias.astype(np.int16))
    return replace(coarse, layers=[*coarse.layers[:-1], new_last])


def run(tmp_path: Path, params: dict[str, int], width: int, testcase: str | None, seed: int,
        timeout_ns: int, extra_env: dict[str, str] | None = None, read_port_bits: int = 128) -> dict:
    case_file = tmp_path / "case.json"
    results_file = tmp_path / "results.json"
    progs = make_case(case_file, width, params["LANES"], seed, timeout_ns, job=testcase == "image_job",
                      read_port_bits=read_port_bits)
    verilator.run_cocotb("bg_core", SOURCES, TB, params, testcase=testcase, seed=seed, build_args=BUILD_ARGS,
                       extra_env={CASE_ENV: str(case_file), RESULTS_ENV: str(results_file), **(extra_env or {})})
    results = json.loads(results_file.read_text())
    for label, r in results.items():
        print(f"bg_core {params} width {width}: {label}: {r['cycles']} cycles, {r['stall_cycles']} stalled")
    for label, name in (("coarse pass", "coarse"), ("fine pass (reuse_input)", "fine"),
                        (CHECKED, "coarse")):
        if label in results:
            results[label]["bench"] = bench(progs[name], results[label]["layer_cycles"], params["LANES"])
    for label in (JOB, JOB_VOUCHED, JOB_ONE_RANGE):
        if label in results:
            # the job's five fine programs share the fine program's structure: the same MACs whichever runs
            macs = 2 * (sum(layer.macs for layer in progs["coarse"].layers)
                        + sum(layer.macs for layer in progs["fine"].layers))
            ideal = macs / params["LANES"] ** 2
            results[label].update(macs=macs, ideal_cycles=ideal, utilization=ideal / results[label]["cycles"])
            results[label]["bench"] = job_bench(progs, results[label]["run_layer_cycles"], params["LANES"])
    return results


#: The image job's result label in sim/tb_core.py (one start: coarse and fine on both axes).
JOB = "image job"
#: The same job with JOB_CHECKED vouching for all six programs (no payload CRC pass): a board's steady state.
JOB_VOUCHED = "image job, programs vouched for"
#: The same with both axes in one range: one batched fine run (the width's map as the height's).
JOB_ONE_RANGE = "image job, programs vouched for, both axes in one range"
#: sim/tb_core.py JOB_ONLY_ENV (not imported: that would import cocotb here).
JOB_ONLY_ENV = "BG_CORE_JOB_ONLY"
#: sim/tb_core.py PORT_FAULTS_ONLY_ENV: errors_then_good_runs without the program image's own faults.
PORT_FAULTS_ONLY_ENV = "BG_CORE_PORT_FAULTS_ONLY"
#: sim/tb_core.py FIRST_JOB_ONLY_ENV: image_job's first job (the axes in two ranges) alone.
FIRST_JOB_ONLY_ENV = "BG_CORE_FIRST_JOB_ONLY"


def run_target_job(tmp_path: Path, name: str, read_port_bits: int | None = None, read_ports: int | None = None,
                   weight_pairs: int | None = None) -> dict:
    """Three image jobs (one start each: coarse and fine on both axes' maps from DDR) at a named
    configuration on its width, bit for bit against the golden job: the axes in two ranges with every
    payload CRC checked, the same with JOB_CHECKED vouching for all six programs (what a board runs from
    its second image on), and both axes in one range (one batched fine run), vouched for; each one's
    cycles, MAC utilization, bytes read from DDR. The DDR ports are the target board's (``read_port_bits``
    and ``read_ports`` override their width and number, ``weight_pairs`` the core's WEIGHT_PAIRS)."""
    target = targets.get(name)
    seed = 13 if name == targets.DEFAULT_TARGET else 14
    results = run(tmp_path, target_params(target, read_ports, weight_pairs), target.width, "image_job", seed,
                  16_000_000_000, extra_env={JOB_ONLY_ENV: "1"}, read_port_bits=read_port_bits or target.read_port_bits)
    return {"first": results[JOB], "vouched": results[JOB_VOUCHED], "one_range": results[JOB_ONE_RANGE]}


#: The third pass of coarse_then_fine: coarse again on the patch on chip, with CTRL.payload_checked (no CRC pass).
CHECKED = "coarse pass (reuse_input, payload_checked)"

KINDS = {program.OP_CONV: "conv", program.OP_MAXPOOL: "pool", program.OP_GAP: "gap", program.OP_DENSE: "dense"}


def bench(prog: program.CoreProgram, cycles: list[int], lanes: int, maps: int = 1) -> dict:
    """Per-layer cycles of one pass (the first layer's include the header, payload CRC and input), ideal
    cycles (MACs / P^2) and MAC utilization, in the layout of build/bench/rtl.json. ``maps``: the maps the
    pass runs on (2 for a batch: every layer's MACs twice)."""
    assert len(cycles) == len(prog.layers), (len(cycles), len(prog.layers))
    layers = [{"name": layer.name, "kind": KINDS[layer.op], "kernel": layer.kernel, "macs": maps * layer.macs,
               "cycles": c, "ideal_cycles": maps * layer.macs / lanes**2}
              for layer, c in zip(prog.layers, cycles, strict=True)]
    total = {"name": "total", "kind": "network", "kernel": 0, "macs": sum(x["macs"] for x in layers),
             "cycles": sum(cycles), "ideal_cycles": sum(x["ideal_cycles"] for x in layers)}
    for x in [*layers, total]:
        x["utilization"] = x["ideal_cycles"] / x["cycles"] if x["cycles"] else 0.0
    return {"layers": layers, "total": total}


#: The runs of an image job (sim/tb_core.py run_layer_cycles's keys, JOB_STATUS.run): the program and axis of each.
JOB_RUNS = {0: ("coarse", "W"), 1: ("fine", "W"), 2: ("coarse", "H"), 3: ("fine", "H")}


def job_bench(progs: dict[str, program.CoreProgram], run_cycles: dict[str, list[int]], lanes: int) -> dict:
    """Per-layer cycles and MAC utilization of one image job, run by run (``run_cycles``: the testbench's
    cycles per layer of each run). A job without run 2 ran its coarse program on both maps as a batch, and
    without runs 2 and 3 its fine program too (both axes in one range): those runs count both maps' MACs.
    The job's fine programs share the fine structure's layers, whichever range ran."""
    runs = sorted(int(r) for r in run_cycles)
    both = {0: 2 not in runs, 1: 2 not in runs and 3 not in runs}
    layers: list[dict] = []
    for run in runs:
        kind, axis = JOB_RUNS[run]
        maps = 2 if both.get(run, False) else 1
        label = f"{kind} {'W+H' if maps == 2 else axis}"
        layers += [{**x, "name": f"{label}/{x['name']}", "maps": maps}
                   for x in bench(progs[kind], run_cycles[str(run)], lanes, maps)["layers"]]
    total = {k: sum(x[k] for x in layers) for k in ("macs", "cycles", "ideal_cycles")}
    total = {"name": "image", "kind": "network", "kernel": 0, **total,
             "utilization": total["ideal_cycles"] / total["cycles"]}
    convs = [x for x in layers if x["kind"] == "conv" and x["kernel"] == 3]
    lowest = min(convs, key=lambda x: x["utilization"])
    return {"layers": layers, "total": total, "conv3x3": conv3x3(layers),
            "lowest_conv3x3": {"name": lowest["name"], "utilization": lowest["utilization"]}}


def conv3x3(layers: list[dict]) -> list[dict]:
    """Aggregate MAC utilization (sum of ideal cycles / sum of cycles) of the 3x3 conv layers: all of them,
    then per stage (the name's first part: conv2 .. conv5)."""
    groups: dict[str, list[dict]] = {"all": []}
    for x in layers:
        if x["kind"] == "conv" and x["kernel"] == 3:
            groups["all"].append(x)
            groups.setdefault(x["name"].rsplit("/", 1)[-1].split("_")[0], []).append(x)
    out = []
    for stage, xs in groups.items():
        cycles, ideal = sum(x["cycles"] for x in xs), sum(x["ideal_cycles"] for x in xs)
        out.append({"stage": stage, "layers": len(xs), "macs": sum(x["macs"] for x in xs), "cycles": cycles,
                    "ideal_cycles": ideal, "utilization": ideal / cycles if cycles else 0.0})
    return out


def print_bench(title: str, b: dict) -> None:
    print(f"\n{title}\n| layer | kind | k | MACs | cycles | ideal | MAC utilization |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for x in [*b["layers"], b["total"]]:
        print(f"| {x['name']} | {x['kind']} | {x['kernel']} | {x['macs']:,} | {x['cycles']:,} "
              f"| {x['ideal_cycles']:,.0f} | {x['utilization']:.0%} |")
    for g in conv3x3(b["layers"]):
        name = "all 3x3 convs" if g["stage"] == "all" else f"{g['stage']} 3x3 convs"
        print(f"| {name} ({g['layers']} layers) | conv | 3 | {g['macs']:,} | {g['cycles']:,} "
              f"| {g['ideal_cycles']:,.0f} | {g['utilization']:.0%} |")


def pass_summary(results: dict, name: str, params: dict[str, int], width: int) -> dict:
    """build/bench/rtl*.json's content: the coarse and fine passes' layers, their total, the 3x3 convs'
    utilization (all, then per stage, per pass and for both) and the payload-checked pass's total."""
    coarse, fine = results["coarse pass"]["bench"], results["fine pass (reuse_input)"]["bench"]
    checked = results[CHECKED]["bench"]
    layers = [{**x, "name": f"coarse/{x['name']}"} for x in coarse["layers"]] + \
             [{**x, "name": f"fine/{x['name']}"} for x in fine["layers"]]
    total = {k: coarse["total"][k] + fine["total"][k] for k in ("macs", "cycles", "ideal_cycles")}
    total = {"name": "coarse+fine", "kind": "network", "kernel": 0, **total,
             "utilization": total["ideal_cycles"] / total["cycles"]}
    groups = [{"pass": label, **g} for label, ls in (("coarse", coarse["layers"]), ("fine", fine["layers"]),
                                                     ("coarse+fine", layers)) for g in conv3x3(ls)]
    return {"target": name, "config": params, "width": width, "layers": layers, "total": total,
            "conv3x3": groups, "payload_checked": {"pass": CHECKED, **checked["total"]}}


def target_params(target: targets.Target, read_ports: int | None = None,
                  weight_pairs: int | None = None) -> dict[str, int]:
    """The target's bg_core parameters, with ``read_ports`` read masters and ``weight_pairs`` (WEIGHT_PAIRS)
    instead of its own where given. One read master has no pairs: WEIGHT_PAIRS is then 0."""
    params = {**target.core, **({"READ_PORTS": read_ports} if read_ports else {})}
    if weight_pairs is not None:
        params["WEIGHT_PAIRS"] = weight_pairs
    if params["READ_PORTS"] == 1 and params.get("WEIGHT_PAIRS"):
        params["WEIGHT_PAIRS"] = 0
    return params


def run_target(tmp_path: Path, name: str, read_port_bits: int | None = None, read_ports: int | None = None,
               weight_pairs: int | None = None) -> dict:
    """A named configuration (hw/targets.py) on the network width it is sized for: coarse, then fine reusing
    the patch, then coarse again with the payload already checked; logits equal golden (the testbench
    asserts it). Returns the testbench's results with each pass's per-layer bench. The DDR ports are the
    target board's (``read_port_bits`` and ``read_ports`` override their width and number, ``weight_pairs`` the
    core's WEIGHT_PAIRS)."""
    target = targets.get(name)
    seed = 13 if name == targets.DEFAULT_TARGET else 14
    return run(tmp_path, target_params(target, read_ports, weight_pairs), target.width, "coarse_then_fine", seed,
               4_000_000_000, read_port_bits=read_port_bits or target.read_port_bits)
