"""Provenance records, sidecars, embedded figure metadata, atomic writers and the CLI."""

import base64
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from PIL import Image

from scorematch import provenance
from scorematch.pipeline import (
    load_results,
    save_figure,
    save_json,
    save_results,
    save_text,
    snakemake_provenance,
    write_npz,
)
from scorematch.provenance import (
    PROVENANCE_KEYS,
    ProvenanceError,
    code_version,
    config_hash,
    main,
    make_provenance,
    package_versions,
    provenance_rows,
    read_provenance,
    sidecar_path,
)
from scorematch.seeding import STREAM_INIT, run_generators, run_spawn_key

SRC_DIR = Path(__file__).resolve().parents[1] / "src"
COMMAND = "snakemake --cores 2 --configfile config.yaml --forcerun figures/fig1.pdf"


def record(**changes):
    """A provenance record built from fixed plain data (no git, no clock)."""
    fields = dict(
        experiment="fig1",
        section={"defaults": {"dim": 3, "eta": 1.0}, "cases": {"M3": {"target_norm": 3.0}}},
        root_seed=20251122,
        run_seeds=[run_spawn_key("fig1/M3", i, STREAM_INIT) for i in range(2)],
        rule="plot_fig1",
        wildcards={"case": "M3"},
        inputs=["results/fig1/M3.npz"],
        outputs=["figures/fig1.pdf", "figures/fig1.png"],
        command=COMMAND,
        code={"commit": "0123456789abcdef0123456789abcdef01234567", "dirty": True},
        versions={"python": "3.11.7", "numpy": "2.4.6"},
    )
    fields.update(changes)
    return make_provenance(**fields)


def figure():
    fig = Figure(figsize=(2, 1.5))
    fig.add_subplot().plot([0, 1, 2], [2, 0, 1])
    return fig


# --------------------------------------------------------------------------- config_hash

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
config_like = st.recursive(
    json_leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=12,
)
sections = st.dictionaries(st.text(max_size=4), config_like, min_size=1, max_size=5)


def reversed_order(value):
    if isinstance(value, dict):
        return {key: reversed_order(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_order(item) for item in value]
    return value


def leaf_paths(value, prefix=()):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaf_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaf_paths(item, (*prefix, index))
    else:
        yield prefix


def replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = replaced(value[path[0]], path[1:], new)
    return copy


@settings(max_examples=60, deadline=None)
@given(sections)
def test_config_hash_ignores_key_order(section):
    flipped = reversed_order(section)
    assert config_hash(flipped) == config_hash(section)


@settings(max_examples=40, deadline=None)
@given(sections)
def test_config_hash_changes_with_any_value(section):
    original = config_hash(section)
    for path in leaf_paths(section):
        assert config_hash(replaced(section, path, "<changed>")) != original, path
    for key in section:
        assert config_hash({k: v for k, v in section.items() if k != key}) != original, key


def test_config_hash_is_sha256_of_sorted_compact_json():
    section = {"b": [1, 2.5], "a": {"y": "x", "x": None}}
    expected = hashlib.sha256(b'{"a":{"x":null,"y":"x"},"b":[1,2.5]}').hexdigest()
    assert config_hash(section) == expected


def test_config_hash_tells_types_and_nesting_apart():
    hashes = {config_hash({"eta": value}) for value in (1, 1.0, True, "1", [1], None)}
    assert len(hashes) == 6
    assert config_hash({"a": {"b": 1}}) != config_hash({"a": {"c": 1}})


def test_config_hash_accepts_numpy_and_non_finite_values():
    with_numpy = {"eta": np.float64(0.5), "n": np.int64(3), "shape": np.array([1, 2]), "radius": float("inf")}
    plain = {"eta": 0.5, "n": 3, "shape": [1, 2], "radius": "inf"}
    assert config_hash(with_numpy) == config_hash(plain)
    assert config_hash({"r": float("inf")}) != config_hash({"r": float("-inf")})


def test_config_hash_rejects_colliding_keys_and_odd_values():
    with pytest.raises(ValueError, match="collide"):
        config_hash({1: "a", "1": "b"})
    with pytest.raises(TypeError, match="not plain config data"):
        config_hash({"f": object()})


# --------------------------------------------------------------------------- the record


def test_make_provenance_has_exactly_the_documented_keys():
    prov = record()
    assert list(prov) == list(PROVENANCE_KEYS)
    assert prov["config_hash"] == config_hash(prov["config_section"])
    assert prov["regenerate_command"] == COMMAND
    json.dumps(prov, allow_nan=False)  # plain JSON


def test_run_seeds_identify_each_runs_generator_exactly():
    prov = record()
    stored = json.loads(json.dumps(prov))["run_seeds"]
    expected = run_generators(20251122, "fig1/M3", n_runs=2, stream=STREAM_INIT)
    for seed, generator in zip(stored, expected, strict=True):
        rebuilt = np.random.Generator(np.random.PCG64(np.random.SeedSequence(prov["root_seed"], spawn_key=seed)))
        assert np.array_equal(rebuilt.standard_normal(5), generator.standard_normal(5))


def test_run_seed_forms():
    sequence = np.random.SeedSequence(7, spawn_key=(1, 2))
    prov = record(run_seeds=[np.int64(5), (1, np.uint64(2)), sequence])
    assert prov["run_seeds"] == [5, [1, 2], {"entropy": 7, "spawn_key": [1, 2]}]
    with pytest.raises(TypeError):
        record(run_seeds=[1.5])
    with pytest.raises(TypeError):
        record(run_seeds=[(1, "a")])
    with pytest.raises(TypeError):
        record(root_seed=True)


def test_code_version_reads_commit_and_dirty_flag(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for name in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{name}_NAME", "test")
        monkeypatch.setenv(f"GIT_{name}_EMAIL", "test@example.org")
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args):
        subprocess.run(["git", "-C", str(repo), "-c", "commit.gpgsign=false", *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a\n")
    git("add", "a.txt")
    git("commit", "-q", "-m", "first")
    head = (repo / ".git" / "HEAD").read_text().split()[-1]
    commit = (repo / ".git" / head).read_text().strip()

    assert code_version(repo) == {"commit": commit, "dirty": False}
    (repo / "a.txt").write_text("changed\n")
    assert code_version(repo) == {"commit": commit, "dirty": True}
    (repo / "a.txt").write_text("a\n")
    (repo / "new.py").write_text("")
    assert code_version(repo)["dirty"] is True

    elsewhere = tmp_path / "plain"
    elsewhere.mkdir()
    assert code_version(elsewhere) == {"commit": "unknown", "dirty": None}


def test_package_versions(monkeypatch):
    monkeypatch.setattr(provenance, "PACKAGES", ("numpy", "pyyaml", "no-such-package-scorematch-test"))
    versions = package_versions()
    assert versions["python"] == platform.python_version()
    assert versions["numpy"] == np.__version__
    assert versions["pyyaml"] != "not installed"
    assert versions["no-such-package-scorematch-test"] == "not installed"


def test_job_provenance_gathers_code_and_versions_and_no_time():
    job = SimpleNamespace(
        config={"root_seed": 1},
        rule="simulate",
        wildcards={"experiment": "fig1", "case": "M3"},
        input=[],
        output=[Path("results/fig1/M3.npz")],
        params=SimpleNamespace(command="cmd"),
    )
    prov = snakemake_provenance(job, experiment="fig1", section={"eta": 1.0}, run_seeds=[(1, 0, 0)])
    assert list(prov) == list(PROVENANCE_KEYS)
    assert prov["code"] == code_version(SRC_DIR.parent)
    assert prov["versions"] == package_versions()
    assert set(prov["versions"]) == {"python", *provenance.PACKAGES}
    assert prov["outputs"] == ["results/fig1/M3.npz"]
    # no time stamp: reruns give equal records
    assert snakemake_provenance(job, experiment="fig1", section={"eta": 1.0}, run_seeds=[(1, 0, 0)]) == prov


# --------------------------------------------------------------------------- records in files


def test_npz_holds_its_record_and_load_results_leaves_it_out(tmp_path):
    output = tmp_path / "results" / "fig1" / "M3.npz"
    prov = record()
    save_results(output, {"loss": np.ones(3)}, provenance=prov)
    assert not sidecar_path(output).exists()
    assert read_provenance(output) == prov
    with np.load(output, allow_pickle=False) as data:
        assert json.loads(str(data["provenance"])) == prov
    assert list(load_results(output)) == ["loss"]
    output.unlink()  # the record goes with the file
    with pytest.raises(FileNotFoundError):
        read_provenance(output)


def test_text_result_sidecar_round_trip_and_stale_sidecar_refused(tmp_path):
    output = tmp_path / "results" / "summary.json"
    prov = record(rule="summary")
    save_json(output, {"a": 1.5}, provenance=prov)
    assert json.loads(output.read_text()) == {"a": 1.5}
    assert read_provenance(output) == prov
    assert read_provenance(sidecar_path(output)) == prov
    recorded = json.loads(sidecar_path(output).read_text())["file_sha256"]
    assert recorded == hashlib.sha256(output.read_bytes()).hexdigest()
    output.write_text('{"a": 2.5}\n')  # rewritten by something else: the sidecar is stale
    with pytest.raises(ProvenanceError, match="stale"):
        read_provenance(output)
    output.unlink()
    with pytest.raises(FileNotFoundError, match="summary.json"):
        read_provenance(sidecar_path(output))


def test_read_provenance_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.npz"
    with pytest.raises(FileNotFoundError, match="nope.npz"):
        read_provenance(missing)

    bare = tmp_path / "bare.npz"
    write_npz(bare, {"x": np.zeros(1)})
    with pytest.raises(ProvenanceError, match="bare.npz"):
        read_provenance(bare)

    plain_png = tmp_path / "plain.png"
    figure().savefig(plain_png)
    with pytest.raises(ProvenanceError, match="plain.png"):
        read_provenance(plain_png)

    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    sidecar_path(broken).write_text("{not json")
    with pytest.raises(ProvenanceError, match=re.escape("broken.json.prov.json")):
        read_provenance(broken)

    partial = tmp_path / "partial.json"
    partial.write_text("{}")
    digest = hashlib.sha256(b"{}").hexdigest()
    sidecar_path(partial).write_text(json.dumps({"experiment": "x", "file_sha256": digest}))
    with pytest.raises(ProvenanceError, match="lacks"):
        read_provenance(partial)


# --------------------------------------------------------------------------- figures


def test_png_metadata_round_trip(tmp_path):
    path = tmp_path / "figures" / "fig1.png"
    prov = record()
    save_figure(figure(), [path], provenance=prov)
    assert not sidecar_path(path).exists()
    assert read_provenance(path) == prov
    with Image.open(path) as image:
        text = dict(image.text)
    assert json.loads(text["scorematch-provenance"]) == prov
    assert "experiment=fig1" in text["Description"]
    assert prov["config_hash"] in text["Description"]


def test_pdf_metadata_round_trip(tmp_path):
    path = tmp_path / "figures" / "fig1.pdf"
    prov = record()
    save_figure(figure(), [path], provenance=prov)
    assert read_provenance(path) == prov
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    keywords = re.search(rb"/Keywords \(scorematch-provenance:zlib\+base64:([A-Za-z0-9+/=]+)\)", data)
    assert keywords is not None
    assert json.loads(zlib.decompress(base64.b64decode(keywords.group(1)))) == prov
    subject = re.search(rb"/Subject \(([^)]*)\)", data)
    assert subject is not None and b"experiment=fig1" in subject.group(1)
    assert prov["config_hash"].encode() in subject.group(1)


@pytest.mark.parametrize("suffix", [".png", ".pdf", ".npz"])
def test_embedded_record_survives_pdf_string_syntax_and_unicode(tmp_path, suffix):
    path = tmp_path / f"f{suffix}"
    prov = record(section={"note": "a (parenthesised) value \\ with backslash ) / >>", "greek": "\u03bc\u2080"})
    if suffix == ".npz":
        save_results(path, {"x": np.zeros(1)}, provenance=prov)
    else:
        save_figure(figure(), [path], provenance=prov)
    assert read_provenance(path) == prov


def test_pdf_and_png_written_together_without_warnings(tmp_path, recwarn):
    paths = [tmp_path / "f.pdf", tmp_path / "f.png"]
    save_figure(figure(), paths, provenance=record())
    assert all(read_provenance(p) == record() for p in paths)
    assert [str(w.message) for w in recwarn] == []  # e.g. "Unknown infodict keyword"


def test_unsupported_figure_format_is_refused(tmp_path):
    with pytest.raises(ValueError, match="svg"):
        save_figure(figure(), [tmp_path / "b.svg"], provenance=record())
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- writers


def test_writers_content(tmp_path):
    save_text(tmp_path / "t.txt", "a\u00b5\n", provenance=record())
    save_json(tmp_path / "d" / "j.json", {"b": 1, "a": [1.5]}, provenance=record())
    write_npz(tmp_path / "n.npz", {"x": np.arange(3.0), "file": np.array([1, 2])})
    assert (tmp_path / "t.txt").read_bytes() == "a\u00b5\n".encode()
    assert json.loads((tmp_path / "d" / "j.json").read_text()) == {"a": [1.5], "b": 1}
    with np.load(tmp_path / "n.npz", allow_pickle=False) as data:
        assert sorted(data.files) == ["file", "x"]
        assert np.array_equal(data["x"], np.arange(3.0))
        assert np.array_equal(data["file"], [1, 2])
    with pytest.raises(ValueError):
        save_json(tmp_path / "nan.json", {"x": float("nan")}, provenance=record())


def test_npz_is_byte_identical_for_equal_arrays_and_refuses_objects(tmp_path):
    arrays = {"loss": np.linspace(0, 1, 7), "mu": np.eye(2)}
    save_results(tmp_path / "a.npz", arrays, provenance=record())
    save_results(tmp_path / "b.npz", {k: v.copy() for k, v in arrays.items()}, provenance=record())
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.npz") as archive:  # a fixed timestamp, not "now"
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    with pytest.raises(TypeError, match="object"):
        write_npz(tmp_path / "c.npz", {"o": np.array([None, 1], dtype=object)})


def test_a_write_that_fails_midway_leaves_the_earlier_file_and_nothing_partial(tmp_path):
    path = tmp_path / "run.npz"
    write_npz(path, {"x": np.arange(3.0)})
    before = path.read_bytes()
    # the second member is refused after the first was written to the archive
    with pytest.raises(TypeError, match="object"):
        write_npz(path, {"y": np.ones(1000), "o": np.array([None, 1], dtype=object)})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]
    with pytest.raises(TypeError, match="object"):
        write_npz(tmp_path / "new.npz", {"y": np.ones(1000), "o": np.array([None, 1], dtype=object)})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.npz"]


def test_a_killed_writer_leaves_no_partial_file_at_the_path(tmp_path):
    """SIGKILL a process while it writes a large result: the path holds either nothing or
    the complete file, never a partial one."""
    path = tmp_path / "big.npz"
    script = (
        "import sys, numpy as np; from scorematch.pipeline import write_npz; "
        "print('writing', flush=True); "
        "[write_npz(sys.argv[1], {'x': np.ones(5_000_000)}) for _ in range(100)]"
    )
    writer = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"
    deadline = time.monotonic() + 60
    while not any(tmp_path.iterdir()):  # the writer has opened its file
        assert time.monotonic() < deadline, "the writer never started its file"
    writer.kill()
    writer.wait()
    if path.exists():  # killed after a complete write: that file, whole
        with np.load(path) as data:
            assert data["x"].shape == (5_000_000,)


# --------------------------------------------------------------------------- CLI


def test_cli_missing_file_exits_2(tmp_path, capsys):
    missing = tmp_path / "results" / "nothing.npz"
    assert main([str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err


def test_cli_file_without_provenance_exits_2(tmp_path, capsys):
    bare = tmp_path / "bare.npz"
    write_npz(bare, {"x": np.zeros(2)})
    assert main([str(bare)]) == 2
    err = capsys.readouterr().err
    assert str(bare) in err and "no provenance" in err


def test_cli_prints_origin_and_regenerate_command(tmp_path, capsys):
    path = tmp_path / "figures" / "fig1.pdf"
    prov = record()
    save_figure(figure(), [path], provenance=prov)
    assert main([str(path)]) == 0
    out = capsys.readouterr().out
    assert COMMAND in out
    for text in ("fig1", "plot_fig1", prov["config_hash"], "20251122", prov["code"]["commit"], "dirty", "numpy 2.4.6"):
        assert text in out, text

    assert main(["--json", str(path)]) == 0
    assert json.loads(capsys.readouterr().out) == prov


def test_cli_several_files_reports_each_and_fails_if_any_lacks_provenance(tmp_path, capsys):
    good = tmp_path / "good.npz"
    save_results(good, {"x": np.zeros(1)}, provenance=record(rule="simulate"))
    assert main([str(good), str(tmp_path / "gone.npz")]) == 2
    captured = capsys.readouterr()
    assert "simulate" in captured.out and "gone.npz" in captured.err


def test_cli_runs_as_a_module(tmp_path):
    path = tmp_path / "r.json"
    save_json(path, {}, provenance=record())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC_DIR), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-m", "scorematch.provenance", str(path)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert COMMAND in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "scorematch.provenance", str(tmp_path / "x")], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2 and str(tmp_path / "x") in done.stderr


def test_provenance_rows():
    prov = record()
    (row,) = provenance_rows(["figures/fig1.pdf"], [prov])
    assert list(row) == list(provenance.PROVENANCE_COLUMNS)
    assert row["file"] == "figures/fig1.pdf"
    assert row["config_hash"] == prov["config_hash"][:16]
    assert row["commit"] == "0123456789ab" and row["dirty"] is True
    assert row["regenerate_command"] == COMMAND
    with pytest.raises(ValueError):
        provenance_rows(["a", "b"], [prov])
