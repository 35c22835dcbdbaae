#!/usr/bin/env python3
"""Draws docs/benchmarks.svg from bench/run.sh's rounds (no plotting library: plain SVG).

    python3 bench/plot.py RESULTS.tsv OUT.svg [TITLE] [--c1 C1.tsv]

RESULTS.tsv has one line per round, peer and path: round, peer, path, rps, p50 ms, p99 ms,
p99.9 ms, errors, gateway CPU share (bench/run.sh's raw rounds). Two panels: requests per second
per gateway core (the median of the rounds, a whisker from min to max), and the latency percentiles
p50 / p99 / p99.9 (medians, log scale), one group per path, one colour per peer. With --c1 (the
rounds at one connection, same columns) a second row: the latency each gateway adds at one
connection (its p50 minus direct's, in the same round; median, min–max), and the percentiles
p50 / p99 / p99.9 at one connection.
"""
import math
import statistics
import sys
from xml.sax.saxutils import escape

PEERS = ["direct", "nginx", "haproxy", "gatehouse", "gatehouse-log", "gatehouse-epoll"]
COLOURS = {"direct": "#9e9e9e", "nginx": "#2e7d32", "haproxy": "#1565c0", "gatehouse": "#e65100", "gatehouse-log": "#ffb74d",
           "gatehouse-epoll": "#6a1b9a"}


def load(path):
    table = {}
    for line in open(path):
        if not line.strip():
            continue
        _, peer, p, rps, p50, p99, p999, _, share = line.rstrip("\n").split("\t")
        t = table.setdefault((peer, p), {"rpc": [], "p50": [], "p99": [], "p999": []})
        share = float(share)
        t["rpc"].append(float(rps) if peer == "direct" else float(rps) / min(max(share, 0.05), 1.0))
        t["p50"].append(float(p50))
        t["p99"].append(float(p99))
        t["p999"].append(float(p999))
    return table


def nice_max(v):
    if v <= 0:
        return 1
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if m * e >= v:
            return m * e
    return 10 * e


def added_us(path):
    """(path, peer) -> [p50 - direct's p50 in the same round, in µs] from a --c1 file."""
    rows = [l.rstrip("\n").split("\t") for l in open(path) if l.strip()]
    direct = {(r[0], r[2]): float(r[4]) for r in rows if r[1] == "direct"}
    added = {}
    for r in rows:
        if r[1] != "direct" and (r[0], r[2]) in direct:
            added.setdefault((r[2], r[1]), []).append((float(r[4]) - direct[(r[0], r[2])]) * 1000)
    return added


def draw(table, title, c1=None, c1_path=None):
    paths = [p for p in ["/", "/profile"] if any((peer, p) in table for peer in PEERS)]
    peers = [peer for peer in PEERS if any((peer, p) in table for p in paths)]
    w, h = 900, 420 if c1 is None else 780
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="15">{escape(title)}</text>']

    def panel(x0, label, values, log, y0=0, ph=420, labels=None, whiskers=None, unit=None):
        """values: (path, peer) -> list of bar heights (one, or p50 / p99 / p99.9); whiskers: (lo, hi)."""
        labels, whiskers = labels or {}, whiskers or {}
        top, bottom, left, right = y0 + 60, y0 + ph - 70, x0 + 55, x0 + 420
        out.append(f'<text x="{(left + right) / 2}" y="{top - 18}" text-anchor="middle" font-size="13">{escape(label)}</text>')
        out.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="black"/>')
        out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="black"/>')
        flat = [v for vs in values.values() for v in vs]
        if log:
            lo_e = math.floor(math.log10(max(min(flat), 1e-3)))
            hi_e = math.ceil(math.log10(max(flat)))
            hi_e = max(hi_e, lo_e + 1)
            ticks = [10 ** e for e in range(lo_e, hi_e + 1)]
            y = lambda v: bottom - (math.log10(max(v, 10 ** lo_e)) - lo_e) / (hi_e - lo_e) * (bottom - top)
            fmt = lambda v: f"{v:g}"
        else:
            vmax = nice_max(max(flat + [hi for _, hi in whiskers.values()]))
            ticks = [vmax * i / 5 for i in range(6)]
            y = lambda v: bottom - max(v, 0) / vmax * (bottom - top)
            fmt = unit or (lambda v: f"{v / 1000:g}k")
        for t in ticks:
            out.append(f'<line x1="{left - 4}" y1="{y(t):.1f}" x2="{right}" y2="{y(t):.1f}" stroke="#e0e0e0"/>')
            out.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">{fmt(t)}</text>')
        groups = [(p, peer) for p in paths for peer in peers if (p, peer) in values]
        n_per = max(len(values[g]) for g in groups) if groups else 1
        gw = (right - left) / max(len(paths), 1)
        for i, p in enumerate(paths):
            in_path = [g for g in groups if g[0] == p]
            bw = (gw - 20) / max(len(in_path) * n_per, 1)
            x = left + i * gw + 10
            out.append(f'<text x="{left + i * gw + gw / 2:.1f}" y="{bottom + 18}" text-anchor="middle">{escape(p)}</text>')
            for g in in_path:
                for k, v in enumerate(values[g]):
                    opacity = [1.0, 0.7, 0.45][k % 3] if n_per > 1 else 1.0
                    out.append(f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bw - 1:.1f}" height="{bottom - y(v):.1f}" '
                               f'fill="{COLOURS.get(g[1], "#607d8b")}" fill-opacity="{opacity}"><title>{escape(g[1])} {escape(p)}: {v:.3g}</title></rect>')
                    x += bw
                if g in labels and not log:
                    out.append(f'<text x="{x - bw / 2:.1f}" y="{top - 4 if y(values[g][0]) - 18 < top else y(values[g][0]) - 6:.1f}" '
                               f'text-anchor="middle" font-size="11">{escape(labels[g])}</text>')
                if g in whiskers and not log:
                    lo, hi = whiskers[g]
                    cx = x - bw / 2
                    out.append(f'<line x1="{cx:.1f}" y1="{y(lo):.1f}" x2="{cx:.1f}" y2="{y(hi):.1f}" stroke="black"/>')

    whiskers, rpc = {}, {}
    for (peer, p), t in table.items():
        if peer == "direct":
            continue
        rpc[(p, peer)] = [statistics.median(t["rpc"])]
        whiskers[(p, peer)] = (min(t["rpc"]), max(t["rpc"]))
    # each bar's multiple of nginx's figure on the same path: the answer the page is about
    labels = {(p, peer): f"{v[0] / rpc[(p, 'nginx')][0]:.2f}×" for (p, peer), v in rpc.items() if (p, "nginx") in rpc}
    panel(0, "requests/s per gateway core (median, min–max; × nginx)", rpc, False, labels=labels, whiskers=whiskers)
    lat = {(p, peer): [statistics.median(t["p50"]), statistics.median(t["p99"]), statistics.median(t["p999"])]
           for (peer, p), t in table.items()}
    panel(450, "latency ms at p50 / p99 / p99.9, 32 connections (median, log)", lat, True)
    if c1 is not None:
        added = added_us(c1_path)
        med = {g: [statistics.median(v)] for g, v in added.items()}
        spread = {g: (min(v), max(v)) for g, v in added.items()}
        over = {(p, peer): f"{v[0]:.0f} µs" for (p, peer), v in med.items()}
        panel(0, "latency added at 1 connection: p50 − direct's p50, µs", med, False, y0=360, labels=over,
              whiskers=spread, unit=lambda v: f"{v:g}")
        lat1 = {(p, peer): [statistics.median(t["p50"]), statistics.median(t["p99"]), statistics.median(t["p999"])]
                for (peer, p), t in c1.items()}
        panel(450, "latency ms at p50 / p99 / p99.9, 1 connection (median, log)", lat1, True, y0=360)
    lx = 60
    for peer in peers:
        out.append(f'<rect x="{lx}" y="{h - 30}" width="12" height="12" fill="{COLOURS.get(peer, "#607d8b")}"/>')
        out.append(f'<text x="{lx + 16}" y="{h - 20}">{escape(peer)}</text>')
        lx += 30 + 8 * len(peer)
    out.append(f'<text x="{w - 10}" y="{h - 20}" text-anchor="end" fill="#616161">latency bars: p50, p99, p99.9 (darker to lighter)</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    args = sys.argv[1:]
    c1_path = None
    if "--c1" in args:
        i = args.index("--c1")
        c1_path = args[i + 1]
        del args[i:i + 2]
    table = load(args[0])
    title = args[2] if len(args) > 2 else "Gatehouse, nginx and HAProxy on the same replicas"
    with open(args[1], "w") as f:
        f.write(draw(table, title, load(c1_path) if c1_path else None, c1_path))


if __name__ == "__main__":
    main()
