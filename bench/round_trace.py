#!/usr/bin/env python3
"""What ran on the gateways' core during one measured load of bench/run.sh (its per-round trace).

    round_trace.py snap FILE PID... [-- LOADPID...]      threads of the gateway processes (and of the replicas), core 0's /proc/stat line
    round_trace.py diff BEFORE AFTER KIND PID [FIELDS...] one TSV row: where core 0's time went between the two snapshots

KIND names the measured peer's serving thread: `loop` (Gatehouse: its event loop threads, gatehouse-io-*),
`process` (nginx's worker, HAProxy: every thread of PID), `none` (direct: no gateway on core 0). The row, per
second of load, in ms: the serving thread's CPU and its wait on the run queue (schedstat, ns), its time
slices; for a JVM its compiler threads' CPU (C1/C2), the VM thread's (collections and safepoints: Serial
runs the collection there) and the rest of its threads'; the other gateway processes' CPU (all pinned to
core 0 too); core 0's busy time that none of those account for (softirqs, kernel threads, other work that
landed there) and its softirq time alone; the replicas' CPU and run-queue wait (LOADPIDs, on core 1 with
wrk: where the load queues when the gateway has room left); then FIELDS as given (the round, the peer,
the path...) first.
Run pinned to core 1, outside the load's window.
"""
import json
import os
import sys
import time

from threads import snapshot as thread_snapshot  # bench/threads.py, next to this script


def threads(pid):
    """PID's threads: bench/threads.py's snapshot (schedstat), keyed by tid, with the process they belong to."""
    try:
        snap = thread_snapshot(pid)
    except OSError:  # the process ended
        return {}
    return {tid: {"pid": pid, "comm": name, "cpu": cpu, "wait": wait, "slices": slices}
            for tid, (name, cpu, wait, slices, _) in snap.items()}


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def core0():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu0 "):
                v = [int(x) for x in line.split()[1:]]
                # user nice system idle iowait irq softirq steal
                return {"busy": v[0] + v[1] + v[2] + v[5] + v[6] + v[7], "softirq": v[6]}
    return {"busy": 0, "softirq": 0}


def snap(path, args):
    load = args[args.index("--") + 1:] if "--" in args else []
    pids = args[:args.index("--")] if "--" in args else args
    def of(processes):  # every thread of each process and of its children (nginx's workers under their master)
        out = {}
        for p in processes:
            for q in [int(p)] + children(int(p)):
                out.update(threads(q))
        return out
    state = {"time": time.monotonic(), "core0": core0(), "hz": os.sysconf("SC_CLK_TCK"), "threads": of(pids), "load": of(load)}
    with open(path, "w") as f:
        json.dump(state, f)


def diff(before_path, after_path, kind, pid, fields):
    with open(before_path) as f:
        a = json.load(f)
    with open(after_path) as f:
        b = json.load(f)
    secs = max(b["time"] - a["time"], 1e-3)
    pid = int(pid) if pid not in ("", "-") else -1
    own = {pid} | set(children(pid)) if pid > 0 else set()
    d = {}
    for tid, t in b["threads"].items():
        t0 = a["threads"].get(tid, {"cpu": 0, "wait": 0, "slices": 0})
        d[tid] = dict(t, dcpu=t["cpu"] - t0["cpu"], dwait=t["wait"] - t0["wait"], dslices=t["slices"] - t0["slices"])
    serving = jit = vm = rest = others = 0.0
    wait = slices = 0
    for t in d.values():
        if t["pid"] in own:
            comm = t["comm"]
            if (kind == "loop" and comm.startswith("gatehouse-io-")) or kind == "process":
                serving += t["dcpu"]; wait += t["dwait"]; slices += t["dslices"]
            elif comm.startswith(("C1 Compiler", "C2 Compiler")):
                jit += t["dcpu"]
            elif comm == "VM Thread":
                vm += t["dcpu"]
            else:
                rest += t["dcpu"]
        else:
            others += t["dcpu"]
    accounted = sum(t["dcpu"] for t in d.values())
    tick_ns = 1e9 / b["hz"]
    busy = (b["core0"]["busy"] - a["core0"]["busy"]) * tick_ns
    softirq = (b["core0"]["softirq"] - a["core0"]["softirq"]) * tick_ns
    load_cpu = load_wait = 0
    for tid, t in b.get("load", {}).items():
        t0 = a.get("load", {}).get(tid, {"cpu": 0, "wait": 0})
        load_cpu += t["cpu"] - t0["cpu"]; load_wait += t["wait"] - t0["wait"]
    per_s = lambda ns: f"{ns / 1e6 / secs:.1f}"
    row = list(fields) + [per_s(serving), per_s(wait), f"{slices / secs:.0f}", per_s(jit), per_s(vm), per_s(rest),
                          per_s(others), per_s(max(busy - accounted, 0)), per_s(softirq), per_s(load_cpu), per_s(load_wait)]
    print("\t".join(row))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "snap":
        snap(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 6 and sys.argv[1] == "diff":
        diff(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:])
    else:
        sys.exit(__doc__)
