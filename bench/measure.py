"""Wall time and peak memory of one process, and the interleaved rounds that make a median.

Peak memory is read by `/usr/bin/time` in the warm-up round: a process started straight from this script would
report at least this script's own resident set, since the kernel's peak survives the fork and the exec. The
measured rounds run the command directly, so their wall time has no wrapper in it.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time


class Failed(Exception):
    pass


def run(cmd, memory=False):
    """Runs a Command; returns (seconds, peak KiB or None). Output goes to a file, shown only on failure."""
    env = dict(os.environ, **cmd.env)
    argv = cmd.argv
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as peak:
        if memory:
            argv = ["/usr/bin/time", "-f", "%M", "-o", peak.name, *argv]
        with open(cmd.stdin, "rb") if cmd.stdin else open(os.devnull, "rb") as stdin:
            start = time.perf_counter()
            code = subprocess.call(argv, env=env, stdin=stdin, stdout=out, stderr=out, cwd=cmd.cwd)
            elapsed = time.perf_counter() - start
        if code not in cmd.ok:
            out.seek(0)
            tail = out.read().decode(errors="replace")[-3000:]
            raise Failed(f"{' '.join(argv)} exited with {code} (expected {'/'.join(map(str, cmd.ok))}):\n{tail}")
        rss = int(peak.read().split()[-1]) if memory else None
    return elapsed, rss


class Case:
    """One tool in one workload. `setup()` makes a fresh database and returns (command, check, cleanup):
    `check()` verifies what the command did (untimed), `cleanup()` drops the database."""

    def __init__(self, tool, setup):
        self.tool, self.setup = tool, setup
        self.times, self.rss = [], []


def interleave(cases, runs, warmup, log=lambda s: None):
    """Runs every case once per round, in the same order each round (A B A B). The warm-up rounds measure
    memory; the others time. Without a warm-up the only round does both."""
    for r in range(warmup + runs):
        for case in cases:
            cmd, check, cleanup = case.setup()
            try:
                seconds, rss = run(cmd, memory=r < max(warmup, 1))
                check()
            finally:
                cleanup()
            if rss is not None:
                case.rss.append(rss)
            if r >= warmup:
                case.times.append(seconds)
        log(f"    round {r + 1}/{warmup + runs}" + (" (warm-up)" if r < warmup else ""))
    return {c.tool: summary(c) for c in cases}


def summary(case):
    return {
        "median_s": statistics.median(case.times),
        "min_s": min(case.times),
        "max_s": max(case.times),
        "runs": len(case.times),
        "rss_kib": int(statistics.median(case.rss)),
    }


def log(msg):
    print(msg, file=sys.stderr, flush=True)
