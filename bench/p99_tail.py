#!/usr/bin/env python3
"""bench/p99.sh's report: the tail of each load, and what the slowest requests overlapped.

Inputs: loads (round, peer, h2load log, threads JSON, perf sched timehist or empty), one per line;
per Gatehouse setting, the JFR events printed as JSON. A request is an interval [start, start +
latency] (h2load: start in microseconds since the epoch, JFR: wall-clock nanoseconds), so a request
"overlaps" an event when the two intervals meet. The overlap of the slow requests (over the load's
p99) is set against that of all requests: an event that caused the tail overlaps far more of the
slow ones than of all.
"""
import argparse
import collections
import datetime
import json
import os
import re
import statistics

STALL_US = 2000  # a span this long with no response completed is a stall of the whole gateway


def pct(sorted_vals, p):
    return sorted_vals[min(len(sorted_vals) - 1, int(len(sorted_vals) * p / 100))] if sorted_vals else 0


def at_us(stamp):
    whole, _, frac = stamp.rstrip("Z").partition(".")
    frac = (frac + "000000")[:6]
    return datetime.datetime.fromisoformat(f"{whole}.{frac}+00:00").timestamp() * 1e6


def dur_us(d):  # JFR prints durations as ISO-8601, "PT0.000123S"; longer ones as "PT1M2.5S"
    m = re.fullmatch(r"PT(?:(\d+)M)?(?:([\d.]+)S)?", d or "")
    return ((int(m.group(1) or 0) * 60 + float(m.group(2) or 0)) * 1e6) if m else 0.0


def method(v):
    m = v.get("method") or {}
    return f"{(m.get('type') or {}).get('name', '?').split('/')[-1]}.{m.get('name', '?')}"


def jfr_intervals(path):
    """Event class -> sorted [start_us, end_us] intervals."""
    events = json.load(open(path))["recording"]["events"]
    out = collections.defaultdict(list)
    begins = {}
    for e in events:
        v, t = e["values"], e["type"]
        start = at_us(v["startTime"])
        if t == "jdk.SafepointBegin":
            begins[v["safepointId"]] = start
        elif t == "jdk.SafepointEnd":
            b = begins.get(v["safepointId"])
            if b is not None:
                out["safepoint"].append([b, start + dur_us(v.get("duration"))])
        elif t == "jdk.GarbageCollection":
            out["gc"].append([start, start + dur_us(v.get("duration"))])
        elif t == "jdk.Compilation":
            kind = "c2 compile" if v["compileLevel"] == 4 else "c1 compile"
            out[kind].append([start, start + dur_us(v.get("duration"))])
            out["what"].append([start, f"C{2 if v['compileLevel'] == 4 else 1} {method(v)}"])
        elif t == "jdk.Deoptimization":
            out["deopt"].append([start, start + 1])
            out["what"].append([start, f"deopt {method(v)} {v.get('reason')}"])
    return {k: sorted(v) for k, v in out.items()}


def overlaps(intervals, a, b):
    """Whether [a, b] meets any of the sorted intervals (which may overlap one another)."""
    import bisect
    i = bisect.bisect_right(intervals, [b, float("inf")])
    # an interval starting before b may still end after a; compile intervals are short, so look back a few
    for j in range(i - 1, max(-1, i - 64), -1):
        if intervals[j][1] >= a:
            return True
    return False


def stalls(reqs):
    """Spans >= STALL_US with no response completed: [start, end] pairs."""
    ends = sorted(s + l for s, _, l in reqs)
    return [[x, y] for x, y in zip(ends, ends[1:]) if y - x >= STALL_US]


def analyse(reqs, intervals):
    t0 = min(s for s, _, _ in reqs)
    first = [r for r in reqs if r[0] < t0 + 1e6]
    steady = [r for r in reqs if r[0] >= t0 + 1e6]
    span_s = (max(s + l for s, _, l in steady) - min(s for s, _, _ in steady)) / 1e6
    lat_first = sorted(l for _, _, l in first)
    lat = sorted(l for _, _, l in steady)
    p99 = pct(lat, 99)
    slow = [r for r in steady if r[2] > p99]
    st = stalls(steady)
    res = {
        "requests": len(steady), "rps": len(steady) / span_s, "errors": sum(1 for r in reqs if not str(r[1]).startswith("2")),
        "p50": pct(lat, 50) / 1000, "p99": p99 / 1000, "p999": pct(lat, 99.9) / 1000, "max": lat[-1] / 1000,
        "first_p99": pct(lat_first, 99) / 1000, "first_p999": pct(lat_first, 99.9) / 1000, "first_max": lat_first[-1] / 1000,
        "stalls_per_s": len(st) / span_s, "stall_ms_per_s": sum(b - a for a, b in st) / 1000 / span_s,
        "slow_in_stall": sum(1 for s, _, l in slow if overlaps(st, s, s + l)) / max(1, len(slow)),
        "all_in_stall": sum(1 for s, _, l in steady if overlaps(st, s, s + l)) / max(1, len(steady)),
        "overlap": {},
    }
    lo, hi = min(s for s, _, _ in steady), max(s + l for s, _, l in steady)
    res["first_what"] = [w for t, w in intervals.get("what", []) if t0 <= t < t0 + 1e6]
    for kind, iv in intervals.items():
        if kind == "what":
            continue
        iv = [x for x in iv if x[1] >= lo and x[0] <= hi]
        res["overlap"][kind] = {
            "per_s": len(iv) / span_s,
            "ms": [(b - a) / 1000 for a, b in iv],
            "slow": sum(1 for s, _, l in slow if overlaps(iv, s, s + l)) / max(1, len(slow)),
            "all": sum(1 for s, _, l in steady if overlaps(iv, s, s + l)) / max(1, len(steady)),
            "stalls": sum(1 for a, b in st if overlaps(iv, a, b)) / max(1, len(st)),
            "first": sum(1 for x in intervals[kind] if t0 <= x[0] < t0 + 1e6),
        }
    return res


def sched_summary(path, secs_hint=None):
    """perf sched timehist: run time on core 0 per task (ms), the biggest first."""
    run = collections.Counter()
    for line in open(path):
        m = re.match(r"^\s*\d+\.\d+\s+\[\d+\]\s+(.*?)\[\d+(?:/\d+)?\]\s+[\d.]+\s+[\d.]+\s+([\d.]+)", line)
        if m:
            run[m.group(1).strip()] += float(m.group(2))
    return run.most_common(10)


def cell(vals, fmt="{:.2f}"):
    return f"{fmt.format(statistics.median(vals))} ({fmt.format(min(vals))}–{fmt.format(max(vals))})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--command"); ap.add_argument("--load"); ap.add_argument("--loads")
    ap.add_argument("--flags", nargs="*", default=[]); ap.add_argument("--events", nargs="*", default=[])
    a = ap.parse_args()
    events = {e.split("=", 1)[0]: jfr_intervals(e.split("=", 1)[1]) for e in a.events}
    flags = dict(f.split("=", 1) for f in a.flags)
    by_peer = collections.defaultdict(list)
    threads = collections.defaultdict(list)
    scheds = {}
    order = []
    for line in open(a.loads):
        rnd, peer, log, thr, sched = (line.rstrip("\n").split("\t") + [""])[:5]
        if peer not in order:
            order.append(peer)
        reqs = [(int(x[0]), x[1], int(x[2])) for x in (l.split("\t") for l in open(log)) if len(x) >= 3]
        r = analyse(reqs, events.get(peer, {}))
        r["round"] = int(rnd)
        by_peer[peer].append(r)
        threads[peer].append(json.load(open(thr)))
        if sched:
            scheds[peer] = sched_summary(sched)
    group = open("/proc/self/autogroup").read().split("/")[-1].strip()  # "autogroup-N nice K"
    out = [f"### `{a.command}` ({datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC, load average {a.load}, scheduling group {group})", ""]
    for p in order:
        if p in flags:
            out.append(f"- `{p}`: `{flags[p]}`")
    out += ["", "Steady part of each load (from its second second on; medians of the rounds, min–max), and its first second:", "",
            "| peer | rps | p50 ms | p99 ms | p99.9 ms | max ms | first s p99 / p99.9 / max ms | stalls ≥2 ms per s | stalled ms per s | slow requests in a stall (all requests) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for p in order:
        rs = by_peer[p]
        g = lambda k: [r[k] for r in rs]
        out.append(f"| {p} | {statistics.median(g('rps'))/1000:.1f}k | {cell(g('p50'))} | {cell(g('p99'))} | {cell(g('p999'))} | "
                   f"{cell(g('max'))} | {statistics.median(g('first_p99')):.2f} / {statistics.median(g('first_p999')):.2f} / "
                   f"{statistics.median(g('first_max')):.2f} | {cell(g('stalls_per_s'), '{:.1f}')} | {cell(g('stall_ms_per_s'), '{:.1f}')} | "
                   f"{100*statistics.median(g('slow_in_stall')):.0f} % ({100*statistics.median(g('all_in_stall')):.0f} %) |"
                   + (f" errors {sum(g('errors'))}" if sum(g('errors')) else ""))
    if events:
        out += ["", "What the slow requests (over the load's p99) overlapped, against all requests (medians of the rounds); "
                "events per second of load, and in the load's first second:", "",
                "| peer | event | per s | mean / max ms | slow requests overlapping | all requests overlapping | stalls overlapping | in the first second |",
                "|---|---|---|---|---|---|---|---|"]
        for p in order:
            kinds = sorted({k for r in by_peer[p] for k in r["overlap"]})
            for k in kinds:
                g = lambda f: [r["overlap"].get(k, {}).get(f, 0) for r in by_peer[p]]
                ms = [x for r in by_peer[p] for x in r["overlap"].get(k, {}).get("ms", [])]
                out.append(f"| {p} | {k} | {statistics.median(g('per_s')):.2f} | "
                           f"{(sum(ms) / len(ms) if ms else 0):.2f} / {max(ms, default=0):.2f} | {100*statistics.median(g('slow')):.1f} % | "
                           f"{100*statistics.median(g('all')):.1f} % | {100*statistics.median(g('stalls')):.0f} % | {statistics.median(g('first')):.0f} |")
    for p in order:
        seen = collections.Counter(w for r in by_peer[p] if r["round"] > 1 for w in r.get("first_what", []))
        if seen:
            out += ["", f"{p}: compilations and deoptimisations in the first second of its loads after the first "
                    f"(count over those loads; {len(seen)} methods):", ""]
            out += [f"- {n}× {w}" for w, n in seen.most_common(25)]
    out += ["", "Threads of each gateway during the loads (CPU and run-queue wait, ms per second of load, medians of the rounds; "
            "preempted: involuntary context switches per second):", "",
            "| peer | thread group | threads | CPU ms/s | run-queue wait ms/s | preempted /s |", "|---|---|---|---|---|---|"]
    for p in order:
        groups = sorted({k for t in threads[p] for k in t}, key=lambda k: -statistics.median([t.get(k, {}).get("cpu_ms_per_s", 0) for t in threads[p]]))
        for k in groups:
            g = lambda f: statistics.median([t.get(k, {}).get(f, 0) for t in threads[p]])
            if g("cpu_ms_per_s") < 0.5 and g("wait_ms_per_s") < 0.5:
                continue
            out.append(f"| {p} | {k} | {max(t.get(k, {}).get('threads', 0) for t in threads[p])} | {g('cpu_ms_per_s'):.1f} | "
                       f"{g('wait_ms_per_s'):.1f} | {g('preempted_per_s'):.0f} |")
    if scheds:
        out += ["", "Core 0 during the first round's loads (perf sched), run time per task, ms:", ""]
        for p, top in scheds.items():
            out.append(f"- {p}: " + ", ".join(f"{t} {ms:.0f}" for t, ms in top))
    out += ["", "Raw loads (round, peer, rps, p50, p99, p99.9, max ms):", "", "```"]
    for p in order:
        for r in by_peer[p]:
            out.append(f"{r['round']}\t{p}\t{r['rps']:.0f}\t{r['p50']:.2f}\t{r['p99']:.2f}\t{r['p999']:.2f}\t{r['max']:.2f}")
    out.append("```")
    print("\n".join(out))


if __name__ == "__main__":
    main()
