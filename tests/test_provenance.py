"""Provenance records, embedded figure metadata, atomic writers, the provenance CLI."""

import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from scorematch import atomic  # noqa: E402
from scorematch.provenance import (  # noqa: E402
    build_provenance,
    config_hash,
    main,
    read_provenance,
    write_sidecar,
)


def record(tmp_path, **changes):
    fields = dict(
        experiment="fig1/M6",
        section={"eta": 1.0, "init": {"kind": "gaussian", "sigma": 0.01}},
        root_seed=5,
        run_seeds=[(1, 0, 0)],
        rule="simulate",
        wildcards={"experiment": "fig1", "case": "M6"},
        inputs=[],
        outputs=["results/fig1/M6.npz"],
        repo_dir=tmp_path,
        command="snakemake --cores 2 --forcerun results/fig1/M6.npz",
    )
    fields.update(changes)
    return build_provenance(**fields)


def test_config_hash_ignores_key_order_and_sees_every_value():
    a = {"eta": 1.0, "init": {"kind": "gaussian", "sigma": 0.01}}
    b = {"init": {"sigma": 0.01, "kind": "gaussian"}, "eta": 1.0}
    assert config_hash(a) == config_hash(b)
    assert config_hash(a) != config_hash({**a, "eta": 0.5})
    assert config_hash(a) != config_hash({**a, "init": {"kind": "gaussian", "sigma": 0.02}})


def test_record_outside_git_says_unknown(tmp_path):
    prov = record(tmp_path)
    assert prov["code"]["commit"] == "unknown"
    assert prov["versions"]["numpy"] == np.__version__
    assert prov["config_hash"] == config_hash(prov["config_section"])


def test_sidecar_round_trip_and_cli(tmp_path, capsys):
    target = tmp_path / "M6.npz"
    atomic.write_npz_atomic(target, {"x": np.arange(3.0)})
    prov = record(tmp_path)
    write_sidecar(target, prov)
    assert read_provenance(target) == json.loads(json.dumps(prov))
    assert main([str(target)]) == 0
    out = capsys.readouterr().out
    assert "snakemake --cores 2 --forcerun results/fig1/M6.npz" in out
    assert prov["config_hash"] in out


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_figure_metadata_is_embedded(tmp_path, suffix):
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    path = tmp_path / f"figure{suffix}"
    prov = record(tmp_path, section={"note": "a (parenthesised) value \\ with backslash"})
    atomic.save_figure_atomic(fig, [path], metadata=prov)
    assert read_provenance(path)["config_section"] == prov["config_section"]
    if suffix == ".png":  # checked independently with PIL
        assert json.loads(Image.open(path).text["scorematch"])["config_hash"] == prov["config_hash"]
    else:
        assert prov["config_hash"].encode() in path.read_bytes()


def test_cli_reports_missing_provenance(tmp_path, capsys):
    bare = tmp_path / "bare.npz"
    bare.write_bytes(b"not a result")
    assert main([str(bare)]) == 2
    assert "bare.npz" in capsys.readouterr().err
    assert main([str(tmp_path / "absent.npz")]) == 2


def test_failed_write_leaves_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "out.json"
    atomic.write_json_atomic(target, {"v": 1})

    def crash(*args):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        atomic.write_json_atomic(target, {"v": 2})
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_unserialisable_object_writes_nothing(tmp_path):
    target = tmp_path / "new.json"
    with pytest.raises(ValueError):
        atomic.write_json_atomic(target, {"v": float("nan")})
    assert list(tmp_path.iterdir()) == []
