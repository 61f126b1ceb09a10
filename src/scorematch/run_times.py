"""How long a workflow run took: its wall time and its jobs' times.

Every job writes a Snakemake `benchmark:` file, results/benchmarks/<job>.tsv (a header
line, then one line of times: `s` the job's wall time, `cpu_time` its CPU time, in seconds).
A run that succeeds appends one record to results/benchmarks/runs.jsonl (the Snakefile's
onsuccess handler): its start, its wall time from the Snakefile's parse to the last job,
the code version, the config files, the cores, the load average at its end, and the jobs
whose benchmark files it wrote (their summed wall and CPU times, the longest ones).
`make timings` prints the last record; `make readme-results` puts it in the README
("Timings").

Usage: python -m scorematch.run_times [--benchmarks results/benchmarks]
"""

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

from scorematch.files import partial_path

BENCHMARK_DIR = Path("results/benchmarks")
RUNS_FILE = "runs.jsonl"
# jobs named in a record, longest first
LONGEST_JOBS = 8


def run_record(jobs, *, start, end, code, config_files, cores, load_average):
    """One run's record.

    jobs: [{"job", "seconds", "cpu_seconds", "finished"}] of every benchmark file present
    (finished: its modification time, seconds since the epoch); those finished between
    start and end are this run's.  code: {"commit", "dirty"}; config_files: [str]; cores:
    int, or None for a cluster run; load_average: the machine's 15-minute load average at
    the end, which says whether the run had its cores to itself.
    """
    own = sorted(
        (job for job in jobs if start <= job["finished"] <= end),
        key=lambda job: (-job["seconds"], job["job"]),
    )
    return {
        "start_utc": datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "wall_seconds": round(end - start, 1),
        "code": code,
        "config_files": list(config_files),
        "cores": cores,
        "load_average": round(load_average, 2),
        "jobs": len(own),
        "jobs_seconds": round(sum(job["seconds"] for job in own), 1),
        "cpu_seconds": round(sum(job["cpu_seconds"] for job in own), 1),
        "longest": [{"job": job["job"], "seconds": job["seconds"]} for job in own[:LONGEST_JOBS]],
    }


def minutes_text(seconds):
    """85.2 -> '1 min 25 s'."""
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60} s" if whole >= 60 else f"{whole} s"


def timings_lines(record):
    """Markdown lines describing one run record."""
    code = record["code"]
    commit = code["commit"][:7] + (" (with uncommitted changes)" if code["dirty"] else "")
    configs = " ".join(f"`{name}`" for name in record["config_files"])
    where = f"on {record['cores']} cores" if record["cores"] else "as cluster jobs"
    share = ""
    if record["cores"]:
        busy = record["cpu_seconds"] / (record["cores"] * record["wall_seconds"])
        share = (
            f" Its jobs used {record['cpu_seconds']:.0f} s of CPU time, {busy:.2f} of its cores over"
            f" the wall time (load average over the last 15 minutes at its end: {record['load_average']:.1f})."
        )
    lines = [
        f"Run of commit {commit}, config {configs}, {where}, started "
        f"{record['start_utc']} UTC: **wall time {minutes_text(record['wall_seconds'])}** "
        f"for {record['jobs']} jobs, {record['jobs_seconds']:.0f} s summed over the jobs.{share}",
        "",
        "| longest jobs | s |",
        "| --- | --- |",
    ]
    lines += [f"| `{job['job']}` | {job['seconds']:.1f} |" for job in record["longest"]]
    return lines


# ---------------------------------------------------------------------------------------
# I/O


def job_times(benchmark_dir):
    """[{"job", "seconds", "cpu_seconds", "finished"}] of every benchmark file under
    benchmark_dir (columns `s` and `cpu_time` of its line of times)."""
    jobs = []
    for path in sorted(Path(benchmark_dir).rglob("*.tsv")):
        rows = [row.split("\t") for row in path.read_text().splitlines()]
        if len(rows) < 2 or len(rows[1]) != len(rows[0]) or not {"s", "cpu_time"} <= set(rows[0]):
            raise ValueError(f"{path}: a benchmark file has a header with s and cpu_time, then a line of times")
        times = dict(zip(rows[0], rows[1]))
        jobs.append(
            {
                "job": path.relative_to(benchmark_dir).with_suffix("").as_posix(),
                "seconds": float(times["s"]),
                "cpu_seconds": float(times["cpu_time"]),
                "finished": path.stat().st_mtime,
            }
        )
    return jobs


def append_record(benchmark_dir, record):
    """Append record as one line of benchmark_dir/runs.jsonl (the file is replaced whole)."""
    path = Path(benchmark_dir) / RUNS_FILE
    earlier = path.read_text() if path.exists() else ""
    with partial_path(path) as partial:
        partial.write_text(earlier + json.dumps(record, allow_nan=False) + "\n")


def last_record(benchmark_dir):
    """The last record of benchmark_dir/runs.jsonl, or None if no run has been recorded."""
    path = Path(benchmark_dir) / RUNS_FILE
    lines = path.read_text().splitlines() if path.exists() else []
    return json.loads(lines[-1]) if lines else None


def main(argv=None):
    parser = argparse.ArgumentParser(description="Print the last recorded run's times.")
    parser.add_argument("--benchmarks", type=Path, default=BENCHMARK_DIR)
    args = parser.parse_args(argv)
    record = last_record(args.benchmarks)
    if record is None:
        print(f"{args.benchmarks / RUNS_FILE}: no run recorded yet (a run records itself when it succeeds)")
        return
    print("\n".join(timings_lines(record)))


if __name__ == "__main__":
    main()
