"""A run's record: which jobs are its own, their sums, the file it is appended to."""

import json
import os

import pytest

from scorematch import run_times

CODE = {"commit": "0123456789abcdef", "dirty": False}
LOAD = {"load_average": 2.04}


def write_benchmark(directory, name, seconds, *, finished, cpu_seconds=1.0):
    """A benchmark file as Snakemake writes it (header, then one line of times)."""
    path = directory / f"{name}.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"s\th:m:s\tmax_rss\tmean_load\tcpu_time\n{seconds}\t0:00:00\t1.0\t90.0\t{cpu_seconds}\n")
    os.utime(path, (finished, finished))


def test_a_record_counts_only_the_jobs_that_finished_during_the_run(tmp_path):
    write_benchmark(tmp_path, "simulate/old", 500.0, finished=900.0)  # an earlier run's job
    write_benchmark(tmp_path, "simulate/a", 30.5, finished=1010.0)
    write_benchmark(tmp_path, "simulate/b", 70.25, finished=1050.0)
    write_benchmark(tmp_path, "plot/c", 1.0, finished=1090.0)
    jobs = run_times.job_times(tmp_path)
    record = run_times.run_record(
        jobs, start=1000.0, end=1100.0, code=CODE, config_files=["config.yaml"], cores=2, **LOAD
    )
    assert record["jobs"] == 3
    assert record["jobs_seconds"] == pytest.approx(30.5 + 70.25 + 1.0, abs=0.05)
    assert record["cpu_seconds"] == 3.0
    assert record["wall_seconds"] == 100.0
    assert [job["job"] for job in record["longest"]] == ["simulate/b", "simulate/a", "plot/c"]
    assert record["start_utc"] == "1970-01-01 00:16:40"


def test_records_are_appended_and_the_last_is_read_back(tmp_path):
    assert run_times.last_record(tmp_path) is None
    for wall in (10.0, 20.0):
        record = run_times.run_record([], start=0.0, end=wall, code=CODE, config_files=["a.yaml"], cores=None, **LOAD)
        run_times.append_record(tmp_path, record)
    lines = (tmp_path / run_times.RUNS_FILE).read_text().splitlines()
    assert [json.loads(line)["wall_seconds"] for line in lines] == [10.0, 20.0]
    assert run_times.last_record(tmp_path)["wall_seconds"] == 20.0
    assert sorted(p.name for p in tmp_path.iterdir()) == [run_times.RUNS_FILE]


def test_timings_text_states_wall_time_jobs_and_the_longest_job(tmp_path):
    write_benchmark(tmp_path, "simulate/thm3_5/M6", 219.4, finished=1100.0, cpu_seconds=1312.0)
    jobs = run_times.job_times(tmp_path)
    record = run_times.run_record(
        jobs, start=1000.0, end=2312.0, code=CODE, config_files=["config.yaml"], cores=2, **LOAD
    )
    text = "\n".join(run_times.timings_lines(record))
    assert "wall time 21 min 52 s" in text
    assert "commit 0123456" in text and "on 2 cores" in text
    assert "1312 s of CPU time, 0.50 of its cores" in text and "15 minutes at its end: 2.0" in text
    assert "| `simulate/thm3_5/M6` | 219.4 |" in text


def test_a_benchmark_file_without_its_line_of_times_is_named(tmp_path):
    (tmp_path / "broken.tsv").write_text("s\th:m:s\tcpu_time\n")
    with pytest.raises(ValueError, match="broken.tsv"):
        run_times.job_times(tmp_path)
    (tmp_path / "broken.tsv").write_text("s\th:m:s\tcpu_time\n12.0\t0:00:12\n")  # a column short
    with pytest.raises(ValueError, match="broken.tsv"):
        run_times.job_times(tmp_path)
