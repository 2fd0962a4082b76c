#!/usr/bin/env python3
"""Runs commands in alternation, round after round, and reports medians.

On a shared, noisy machine the load drifts over seconds, so timing all runs of one command
and then all runs of the other (as hyperfine does) can favour either. Here every round runs
each command once, in rotating order, and the figure that matters is the median of the
per-round ratios to the last command (the baseline, e.g. rg).

usage: interleave.py ROUNDS NAME=CMD [NAME=CMD ...]   (the last one is the baseline)
"""
import resource
import shlex
import statistics
import subprocess
import sys
import time


def run(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall * 1000, cpu * 1000


def main():
    rounds = int(sys.argv[1])
    named = [arg.split("=", 1) for arg in sys.argv[2:]]
    cmds = [(name, shlex.split(cmd)) for name, cmd in named]
    walls = {name: [] for name, _ in cmds}
    cpus = {name: [] for name, _ in cmds}
    for _ in range(3):  # warm-up: page cache, binaries
        for _, cmd in cmds:
            run(cmd)
    for r in range(rounds):
        order = cmds[r % len(cmds):] + cmds[: r % len(cmds)]
        for name, cmd in order:
            wall, cpu = run(cmd)
            walls[name].append(wall)
            cpus[name].append(cpu)
    base = cmds[-1][0]
    for name, _ in cmds:
        ratios = [w / b for w, b in zip(walls[name], walls[base])]
        print(
            f"{name:>12}: wall median {statistics.median(walls[name]):6.0f} ms"
            f"  cpu median {statistics.median(cpus[name]):6.0f} ms"
            f"  per-round wall ratio to {base}: median {statistics.median(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
