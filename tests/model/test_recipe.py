"""The training recipe: every profile's steps are commands the real CLI accepts, with what they say."""

from __future__ import annotations

from pathlib import Path

import pytest

from blurgauge.host.cli import build_parser
from blurgauge.model.nets.inference import TRAINED_DIR
from blurgauge.model.nets.weight_meta import read_meta
from blurgauge.model.training.recipe import PROFILES, ROLES, install, main, steps


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_every_step_parses_with_the_cli(profile: str) -> None:
    parser = build_parser()
    for name, args in steps(PROFILES[profile], Path("/w"), Path("/data")):
        parsed = parser.parse_args(args)  # argparse exits on an unknown option or a bad value
        assert parsed.func is not None, name


def test_augmented_profile_builds_its_own_training_set_and_continues_the_runs() -> None:
    parser = build_parser()
    by_name = {name: parser.parse_args(args) for name, args in steps(PROFILES["augmented"], Path("/w"), Path("/d"))}
    train_set = by_name["training set"]
    assert train_set.out == Path("/w/train-aug") and train_set.seed == 12
    assert tuple(train_set.natural_scale) == (0.4, 1.5) and train_set.natural_gamma_max == 1.5
    assert by_name["validation set"].out == Path("/w/val") and by_name["validation set"].natural_scale == (1.0, 1.0)
    coarse = by_name["coarse"]
    assert coarse.data == Path("/w/train-aug") and coarse.run == Path("/w/runs/coarse")
    assert coarse.epochs > PROFILES["extended3"].coarse_epochs  # a continuation grows the epoch count
    plain = {name: parser.parse_args(args) for name, args in steps(PROFILES["full"], Path("/w"), Path("/d"))}
    assert plain["training set"].out == Path("/w/train") and plain["training set"].natural_scale == (1.0, 1.0)


def test_photos_profile_fetches_the_photos_first_and_crops_both_folders() -> None:
    parser = build_parser()
    named = steps(PROFILES["photos"], Path("/w"), Path("/d"))
    assert named[0][0] == "photos"
    by_name = {name: parser.parse_args(args) for name, args in named}
    assert by_name["photos"].out == Path("/w/photos")
    assert by_name["training set"].images == [Path("/d/natural_Kodak24"), Path("/w/photos")]
    assert by_name["validation set"].images == [Path("/d/natural_Kodak24")]  # one validation set for all
    assert "photos" not in dict(steps(PROFILES["full"], Path("/w"), Path("/d")))


def test_grain_profile_grains_the_training_set_only() -> None:
    parser = build_parser()
    by_name = {name: parser.parse_args(args) for name, args in steps(PROFILES["grain"], Path("/w"), Path("/d"))}
    train_set, val_set = by_name["training set"], by_name["validation set"]
    assert train_set.out == Path("/w/train-grain") and train_set.images[-1] == Path("/w/photos")
    assert (train_set.grain_max, train_set.grain_size_max) == (6.0, 1.0)
    assert train_set.natural_scale == (1.0, 1.0) and train_set.natural_gamma_max == 1.0
    assert (val_set.grain_max, val_set.grain_size_max) == (0.0, 0.0)  # one validation set for every profile
    plain = {name: parser.parse_args(args) for name, args in steps(PROFILES["full"], Path("/w"), Path("/d"))}
    assert plain["training set"].grain_max == 0.0


def test_floor_profile_floors_both_sets_and_keeps_its_own_validation_set() -> None:
    parser = build_parser()
    by_name = {name: parser.parse_args(args) for name, args in steps(PROFILES["floor"], Path("/w"), Path("/d"))}
    train_set, val_set, coarse = by_name["training set"], by_name["validation set"], by_name["coarse"]
    assert train_set.noise_floor == val_set.noise_floor == 0.01
    assert val_set.out == coarse.val == by_name["fine3"].val == Path("/w/val-floor") and val_set.count == 1024
    assert (train_set.grain_max, train_set.images[-1]) == (6.0, Path("/w/photos"))  # otherwise the grain profile
    plain = {name: parser.parse_args(args) for name, args in steps(PROFILES["grain"], Path("/w"), Path("/d"))}
    assert plain["training set"].noise_floor == plain["validation set"].noise_floor == 0.0
    assert plain["coarse"].val == Path("/w/val")


def test_autocorrelation_profile_reuses_the_floor_data_and_sets_the_transform_of_every_network() -> None:
    parser = build_parser()
    acorr = {name: parser.parse_args(args) for name, args in steps(PROFILES["autocorrelation"], Path("/w"), Path("/d"))}
    floor = {name: parser.parse_args(args) for name, args in steps(PROFILES["floor"], Path("/w"), Path("/d"))}
    for name in ("validation set", "training set"):
        assert acorr[name] == floor[name]
    for name in ("coarse", "fine1", "fine5", "native"):
        assert acorr[name].input_transform == "autocorrelation" and floor[name].input_transform == "gradient"
    assert acorr["coarse"].epochs == 3 * floor["coarse"].epochs


def test_image_map_profile_stores_the_maps_of_the_floor_samples_and_trains_every_network_on_them() -> None:
    parser = build_parser()
    maps = {name: parser.parse_args(args) for name, args in steps(PROFILES["image-map"], Path("/w"), Path("/d"))}
    acorr = {name: parser.parse_args(args) for name, args in steps(PROFILES["autocorrelation"], Path("/w"), Path("/d"))}
    for name in ("validation set", "training set"):
        assert maps[name].image_map and not acorr[name].image_map
        assert vars(maps[name]) | {"image_map": False, "out": None} == vars(acorr[name]) | {"out": None}
    for name in ("coarse", "fine1", "fine5", "native"):
        assert maps[name].input_region == "image" and acorr[name].input_region == "patch"
        assert maps[name].data == Path("/w/train-map") and maps[name].val == Path("/w/val-map")
        assert vars(maps[name]) | {"input_region": "patch", "data": None, "val": None} \
            == vars(acorr[name]) | {"data": None, "val": None}


def test_image_map_mixed_differs_from_image_map_only_in_the_training_region() -> None:
    parser = build_parser()
    maps = {name: parser.parse_args(args) for name, args in steps(PROFILES["image-map"], Path("/w"), Path("/d"))}
    mixed = {name: parser.parse_args(args) for name, args in steps(PROFILES["image-map-mixed"], Path("/w"), Path("/d"))}
    assert maps.keys() == mixed.keys()
    for name in maps:  # the same two sets (with their maps) and schedule
        assert vars(mixed[name]) | {"input_region": None} == vars(maps[name]) | {"input_region": None}
    for name in ("coarse", "fine1", "fine5", "native"):
        assert mixed[name].input_region == "mixed"


def test_image_map_long_continues_the_image_map_runs_with_twice_the_coarse_and_fine_epochs() -> None:
    parser = build_parser()
    short = {name: parser.parse_args(args) for name, args in steps(PROFILES["image-map"], Path("/w"), Path("/d"))}
    long = {name: parser.parse_args(args) for name, args in steps(PROFILES["image-map-long"], Path("/w"), Path("/d"))}
    assert short.keys() == long.keys()
    for name in short:  # same folders and settings, so every run resumes from its checkpoint
        longer = name in ("coarse", "fine1", "fine2", "fine3", "fine4", "fine5")
        assert vars(long[name]) == vars(short[name]) | ({"epochs": 2 * short[name].epochs} if longer else {})


def test_install_copies_the_best_file_of_the_named_roles_only(tmp_path) -> None:
    work, target = tmp_path / "work", tmp_path / "trained"
    for role in ("coarse", "fine1", "fine2"):
        (work / "runs" / role).mkdir(parents=True)
        (work / "runs" / role / "best.bgw.npz").write_bytes(role.encode())
    # --dry-run: the options parse, nothing is copied (not into model/trained/ either)
    assert main(["--work", str(work), "--only", "--install", "--install-roles", "fine1", "--dry-run"]) == 0
    copied = install(work, target, ("fine1", "fine2", "fine3"))  # fine3 has no run: skipped
    assert [p.name for p in copied] == ["fine1.bgw.npz", "fine2.bgw.npz"]
    assert (target / "fine2.bgw.npz").read_bytes() == b"fine2" and not (target / "coarse.bgw.npz").exists()
    with pytest.raises(ValueError, match="unknown roles"):
        install(work, target, ("fine6",))


def test_image_map_taught_adds_a_patch_map_coarse_network_taught_by_the_image_map_one(tmp_path) -> None:
    parser = build_parser()
    maps = {name: parser.parse_args(args) for name, args in steps(PROFILES["image-map"], Path("/w"), Path("/d"))}
    named = steps(PROFILES["image-map-taught"], Path("/w"), Path("/d"))
    taught = {name: parser.parse_args(args) for name, args in named}
    assert [name for name, _ in named].index("coarse-taught") == [name for name, _ in named].index("coarse") + 1
    for name in maps:  # image-map's steps unchanged: the fine networks start from the image-map coarse network
        assert vars(taught[name]) == vars(maps[name])
    student = taught["coarse-taught"]
    assert student.run == Path("/w/runs/coarse-taught") and student.input_region == "patch"
    assert student.teacher == [Path("/w/runs/coarse/best.bgw.npz")] and student.teacher_weight == 0.5
    assert vars(student) | {"run": None, "input_region": None, "teacher": None, "teacher_weight": None} \
        == vars(maps["coarse"]) | {"run": None, "input_region": None, "teacher": None, "teacher_weight": None}
    # --install takes the coarse network from the taught run, the others from their own
    work, target = tmp_path / "work", tmp_path / "trained"
    for run in ("coarse", "coarse-taught", "fine1"):
        (work / "runs" / run).mkdir(parents=True)
        (work / "runs" / run / "best.bgw.npz").write_bytes(run.encode())
    install(work, target, ("coarse", "fine1"), PROFILES["image-map-taught"])
    assert (target / "coarse.bgw.npz").read_bytes() == b"coarse-taught"
    assert (target / "fine1.bgw.npz").read_bytes() == b"fine1"
    install(work, target, ("coarse",), PROFILES["image-map"])
    assert (target / "coarse.bgw.npz").read_bytes() == b"coarse"


#: The step of the ``shipped`` profile that writes each file of model/trained/: the fine networks are
#: those of ``curves-light``, trained in its sub-folder.
SHIPPED_STEP = {"coarse": "coarse-taught", **{f"fine{k}": f"curves-light/fine{k}" for k in range(1, 6)},
                "native": "native"}


@pytest.mark.parametrize("role", ROLES)
def test_shipped_profile_trains_each_shipped_file_with_the_settings_it_records(role: str) -> None:
    parser = build_parser()
    named = steps(PROFILES["shipped"], Path("/w"), Path("/d"))
    by_name = {name: parser.parse_args(args) for name, args in named}
    config = read_meta(TRAINED_DIR / f"{role}.bgw.npz")["provenance"]["config"]
    step = by_name[SHIPPED_STEP[role]]
    assert step.role == config["role"] == role
    compared = set(config) & set(vars(step)) - {"init_from"}
    assert {"epochs", "epoch_size", "batch_size", "lr", "final_lr", "widen", "seed", "val_size", "width",
            "input_transform"} <= compared
    assert {k: vars(step)[k] for k in compared} == {k: config[k] for k in compared}
    assert step.input_region == config.get("input_region", "patch")  # the native file predates the option
    assert config["quantized"] and not step.float_twin
    # coarse and native read the profile's pair of sets, the fine networks curves-light's: the floor
    # samples with their whole-image maps, 20 % of the kernels smooth curves in the fine networks' sets
    sets = "curves-light/" if role.startswith("fine") else ""
    train_set = by_name[f"{sets}training set"]
    assert (step.data, step.val) == (train_set.out, by_name[f"{sets}validation set"].out)
    assert train_set.image_map and train_set.noise_floor == 0.01
    assert train_set.curve_fraction == (0.2 if sets else 0.0)
    if role.startswith("fine"):  # from the backbone of the coarse network trained on whole-image maps
        backbone = by_name["curves-light/coarse"]
        assert Path(config["init_from"]).name == "coarse" and step.init_from == Path("/w/curves-light/runs/coarse")
        assert backbone.run == step.init_from and backbone.data == train_set.out
        assert (backbone.input_region, backbone.epochs, backbone.epoch_size) == ("image", 48, 4096)
    if role == "coarse":  # taught by that network, with the teacher weight the file records
        assert len(config["teachers"]) == 1 and step.teacher == [Path("/w/runs/coarse/best.bgw.npz")]
        teacher = by_name["coarse"]
        assert (teacher.input_region, teacher.epochs, teacher.epoch_size) == ("image", 48, 4096)


def test_shipped_profile_runs_every_step_in_one_work_folder_and_installs_all_seven(tmp_path, capsys) -> None:
    named = [name for name, _ in steps(PROFILES["shipped"], Path("/w"), Path("/d"))]
    assert named == ["photos", "validation set", "training set", "coarse", "coarse-taught",
                     "curves-light/validation set", "curves-light/training set", "curves-light/coarse",
                     *(f"curves-light/fine{k}" for k in range(1, 6)), "native"]
    assert main(["--work", str(tmp_path), "--dry-run"]) == 0  # shipped is the default profile
    printed = capsys.readouterr().out
    assert printed.count("$ blurgauge train") == 9 and str(tmp_path / "runs" / "coarse-taught") in printed
    assert printed.count("$ blurgauge data photos") == 1  # the sub-profile crops the same photos
    work, target = tmp_path / "work", tmp_path / "trained"
    for folder, run in (("", "coarse"), ("", "coarse-taught"), ("", "native"), ("curves-light", "coarse"),
                        *(("curves-light", f"fine{k}") for k in range(1, 6)), ("", "fine1")):
        (work / folder / "runs" / run).mkdir(parents=True)
        (work / folder / "runs" / run / "best.bgw.npz").write_bytes(f"{folder}/{run}".encode())
    copied = install(work, target, recipe=PROFILES["shipped"])
    assert sorted(p.name for p in copied) == sorted(f"{role}.bgw.npz" for role in ROLES)
    assert (target / "coarse.bgw.npz").read_bytes() == b"/coarse-taught"
    assert (target / "native.bgw.npz").read_bytes() == b"/native"
    assert (target / "fine1.bgw.npz").read_bytes() == b"curves-light/fine1"


def test_two_families_is_image_map_taught_with_a_patch_map_native_network() -> None:
    parser = build_parser()
    named = steps(PROFILES["image-map-taught"], Path("/w"), Path("/d"))
    taught = {name: parser.parse_args(args) for name, args in named}
    base = {name: parser.parse_args(args) for name, args in steps(PROFILES["two-families"], Path("/w"), Path("/d"))}
    assert taught.keys() == base.keys()
    for name in taught:
        if name != "native":
            assert vars(base[name]) == vars(taught[name])
    assert taught["native"].input_region == "image" and base["native"].input_region == "patch"
    assert vars(base["native"]) | {"input_region": None} == vars(taught["native"]) | {"input_region": None}


def test_shipped_profile_is_two_families_with_the_fine_networks_of_curves_light_in_its_sub_folder() -> None:
    parser = build_parser()
    shipped = {name: parser.parse_args(args) for name, args in steps(PROFILES["shipped"], Path("/w"), Path("/d"))}
    base = {name: parser.parse_args(args) for name, args in steps(PROFILES["two-families"], Path("/w"), Path("/d"))}
    light = {name: parser.parse_args(args)
             for name, args in steps(PROFILES["curves-light"], Path("/w/curves-light"), Path("/d"), Path("/w/photos"))}
    for name in ("photos", "validation set", "training set", "coarse", "coarse-taught", "native"):
        assert vars(shipped[name]) == vars(base[name])
    for name in ("validation set", "training set", "coarse", *(f"fine{k}" for k in range(1, 6))):
        assert vars(shipped[f"curves-light/{name}"]) == vars(light[name])
    assert not any(name.startswith("fine") for name in shipped)
    assert light["training set"].images == [Path("/d/natural_Kodak24"), Path("/w/photos")]
