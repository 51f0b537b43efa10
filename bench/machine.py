"""The machine a run was made on, as RESULTS.md states it."""

import os
import platform
import subprocess


def _cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _memory():
    try:
        with open("/proc/meminfo") as f:
            kib = int(f.readline().split()[1])
        return f"{kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        return "unknown RAM"


def _filesystem(path):
    out = subprocess.run(["df", "-T", path], capture_output=True, text=True).stdout.splitlines()
    if len(out) < 2:
        return "unknown file system"
    fields = out[1].split()
    return f"{fields[1]} on {fields[0]}"


def describe(path):
    return (f"{_cpu()}, {os.cpu_count()} cores, {_memory()}, {platform.system()} {platform.release()}, "
            f"scratch files: {_filesystem(path)}")
