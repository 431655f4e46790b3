#!/usr/bin/python3
"""Turns the tables of experiments/bench_threads.sh (thread scaling on a machine with many cores) into
DIR/report.md and DIR/threads.png: medians per thread count, speedups against 1 thread, the range of the
repetitions where they spread. Optional DIR/spin.tsv (the wait policy at 1, 8 and 16 threads, quiet and loaded)
adds a section, and optional DIR/pairs (experiments/bench_pairs.sh: the deeper models on two chosen CPUs) another.
Usage: bench_threads_report.py DIR LABEL (LABEL names the machine in every title).
"""
import csv
import os
import statistics
import subprocess
import sys


def read(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def grouped(rows, keys, value):
    """{tuple of keys: [values]} over the rows whose status is ok (or that have none)."""
    out = {}
    for r in rows:
        if r.get("status", "ok") != "ok":
            continue
        out.setdefault(tuple(r[k] for k in keys), []).append(float(r[value]))
    return out


def spread(values):
    return f"{min(values):.3f}-{max(values):.3f}" if len(values) > 1 else ""


NAMES = {"run-512": "64-512-10 b256", "run-2048": "64-2048-10 b256", "deep-2x256": "64-256-256-10 b64",
         "deep-3x256": "64-256-256-256-10 b128", "syn-1024": "784-1024-10 b256, 100,000 rows"}


def runs_table(e2e, lines):
    """Whole runs at 1..N threads: median train_seconds, its range, the speedup of the medians, and the wall."""
    train = grouped(e2e, ["workload", "tool", "threads"], "train_s")
    wall = grouped(e2e, ["workload", "tool", "threads"], "wall_s")
    lines += ["| workload | threads | training s (median) | range | speedup | whole process s |",
              "|---|---|---|---|---|---|"]
    series = {}
    for (w, tool, t) in sorted(train, key=lambda k: (k[0], k[1], int(k[2]))):
        if w.startswith("grid") or w.startswith("loaded"):
            continue
        m = statistics.median(train[(w, tool, t)])
        one = train.get((w, tool, "1"))
        sp = statistics.median(one) / m if one and m > 0 else 0
        name = NAMES.get(w, w) + ("" if tool == "runner" else f" ({tool})")
        series.setdefault(name, []).append((int(t), sp))
        lines.append(f"| {name} | {t} | {m:.3f} | {spread(train[(w, tool, t)])} | {sp:.2f}x | "
                     f"{statistics.median(wall[(w, tool, t)]):.3f} |")
    return series


def grid_table(e2e, lines):
    wall = grouped(e2e, ["workload", "tool", "threads"], "wall_s")
    one = wall.get(("grid", "side-by-side", "1"))
    lines += ["| 75-run grid (configs/grid.ini) | cores | whole process s (median) | range | speedup |",
              "|---|---|---|---|---|"]
    points = []
    for (w, tool, t) in sorted(wall, key=lambda k: (k[1], int(k[2]))):
        if w != "grid":
            continue
        m = statistics.median(wall[(w, tool, t)])
        sp = statistics.median(one) / m if one else 0
        if tool == "side-by-side":
            points.append((int(t), sp))
        label = f"{t} run{'s' if t != '1' else ''} side by side, 1 thread each" if tool == "side-by-side" else "the scheduler's choice"
        lines.append(f"| {label} | {t} | {m:.3f} | {spread(wall[(w, tool, t)])} | {sp:.2f}x |")
    return points


def kernel_table(rows, lines, key, label, shown):
    by = {}
    for r in rows:
        by.setdefault((r["batch"], r[key]), []).append(r)
    lines += [f"| batch | {label} | " + " | ".join(f"{t} thr" for t in sorted(shown)) + " |",
              "|---|---|" + "---|" * len(shown)]
    for (b, m), rs in by.items():
        cells = {int(r["threads"]): f"{float(r['step_us']):.0f} us ({float(r['speedup']):.2f}x)" for r in rs}
        lines.append(f"| {b} | {m} | " + " | ".join(cells.get(t, "") for t in sorted(shown)) + " |")


def spin_table(rows, lines):
    train = grouped(rows, ["load", "spin", "threads"], "train_s")
    lines += ["| machine | GOMP_SPINCOUNT | threads | training s (median) | range | speedup over 1 thread, same spin |",
              "|---|---|---|---|---|---|"]
    for (load, spin, t) in sorted(train, key=lambda k: (k[0] != "quiet", k[1], int(k[2]))):
        m = statistics.median(train[(load, spin, t)])
        one = train.get((load, spin, "1"))
        ratio = f"{statistics.median(one) / m:.2f}x" if one and t != "1" and m > 0 else ""
        name = "the runner's (10000)" if spin == "runner" else spin
        lines.append(f"| {load} | {name} | {t} | {m:.3f} | {spread(train[(load, spin, t)])} | {ratio} |")


def pairs_section(d, lines):
    """The deeper models on pairs of CPUs (bench_pairs.sh): the round trips, the step tables and the whole runs."""
    rt = [r for r in read(os.path.join(d, "round_trip.tsv")) if r["ns"] != "none"]
    steps = read(os.path.join(d, "deep.tsv"))
    runs = read(os.path.join(d, "runs.tsv"))
    if not runs:
        return
    ns = [float(r["ns"]) for r in rt]
    if ns:
        lines += [f"Cross-core round trip (bench_kernels --round-trip) over {len(ns)} readings of pairs of CPUs: "
                  f"{min(ns):.0f}-{max(ns):.0f} ns, median {statistics.median(ns):.0f}.", ""]
    if steps:
        lines += ["| CPUs | round trip ns | batch | model (sigmoid/softmax step) | 1 thr | 2 thr | speedup |",
                  "|---|---|---|---|---|---|---|"]
        by = {}
        for r in steps:
            if r.get("threads"):
                by.setdefault((r["pair"], r["round_trip_ns"], r["batch"], r["model"]), {})[r["threads"]] = r
        for (p, n, b, m), t in by.items():
            if "1" in t and "2" in t:
                lines.append(f"| {p} | {n} | {b} | {m} | {float(t['1']['step_us']):.0f} us | "
                             f"{float(t['2']['step_us']):.0f} us | {float(t['2']['speedup']):.2f}x |")
        lines.append("")
    train = grouped(runs, ["tool", "workload", "threads"], "train_s")  # the tool is the pair
    trips = grouped([r for r in read(os.path.join(d, "trips.tsv")) if r["ns"] != "none"], ["pair", "workload"],
                    "ns")
    lines += ["| CPUs | workload | runs | 1 thread s (median) | 2 threads s (median) | speedup | 2 threads, "
              "fastest | round trips before the 2-thread runs, ns |", "|---|---|---|---|---|---|---|---|"]
    for (p, w, t) in sorted(train):
        two = train.get((p, w, "2"))
        if t != "1" or not two:
            continue
        one = train[(p, w, t)]
        sp = statistics.median(one) / statistics.median(two)
        r = trips.get((p, w), [])
        lines.append(f"| {p} | {NAMES.get(w, w)} | {len(one)} | {statistics.median(one):.3f} | "
                     f"{statistics.median(two):.3f} | {sp:.2f}x | {min(two):.3f} | "
                     f"{f'{min(r):.0f}-{max(r):.0f}' if r else '?'} |")


def plot(path, series, grid, label):
    dat = path + ".dat"
    names = sorted(series)
    with open(dat, "w") as f:
        for name in names:
            f.write(f"# {name}\n" + "".join(f"{t}\t{sp:.4f}\n" for t, sp in sorted(series[name])) + "\n\n")
        f.write("# grid\n" + "".join(f"{t}\t{sp:.4f}\n" for t, sp in sorted(grid)) + "\n\n")
    curves = [f"'{dat}' index {i} with linespoints lw 2 title '{n} (training)'" for i, n in enumerate(names)]
    curves.append(f"'{dat}' index {len(names)} with linespoints lw 2 dt 2 title '75-run grid, runs side by side "
                  "(whole process)'")
    script = (f"set terminal pngcairo size 900,540 enhanced font 'Sans,11'\nset output '{path}.png'\n"
              f"set title 'Thread scaling, {label}: speedup over 1 thread (medians)'\n"
              "set xlabel 'threads (cores)'\nset ylabel 'speedup'\nset logscale x 2\nset xrange [0.8:18]\n"
              "set yrange [0:17]\nset grid\nset key left top\n"
              "plot x with lines lc rgb '#aaaaaa' title 'linear', " + ", ".join(curves) + "\n")
    r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True)
    os.remove(dat)
    return r.returncode == 0


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench_threads_report.py DIR LABEL")
    d, label = sys.argv[1], sys.argv[2]
    machine = {r["key"]: r["value"] for r in read(os.path.join(d, "machine.tsv")) if r["key"] != "skipped"}
    skipped = [r["value"] for r in read(os.path.join(d, "machine.tsv")) if r["key"] == "skipped"]
    e2e = read(os.path.join(d, "e2e.tsv"))
    shown = {int(t) for t in machine.get("threads", "1 2 4 8 16").split()}
    lines = [f"# Thread scaling on {label}", "",
             f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, {machine.get('kernel', '?')}, "
             f"{int(machine.get('memory_kb', 0)) // 2**20} GiB; {machine.get('runner', '')}; "
             f"{machine.get('date', '')}; load {machine.get('load_before', '?')} before, "
             f"{machine.get('load_after', '?')} after; {machine.get('seconds', '?')} s "
             "(experiments/bench_threads.sh). Medians of the repetitions; speedups are of the medians.", ""]
    sgemm = [ln.split("\t") for ln in open(os.path.join(d, "sgemm.tsv")).read().split("\n") if "\t" in ln] \
        if os.path.exists(os.path.join(d, "sgemm.tsv")) else []
    if sgemm:
        lines += ["OpenBLAS sgemm on one core: " + ", ".join(f"{c} kernel {g} GFLOP/s" for c, g in sgemm), ""]
    lines += ["## Whole runs, one run on 1..N threads (digits unless said)", ""]
    series = runs_table(e2e, lines)
    lines += ["", "## A sweep on N cores", ""]
    grid = grid_table(e2e, lines)
    for name, key, label2 in (("scaling.tsv", "hidden", "hidden (64-H-10 relu/softmax step)"),
                              ("deep.tsv", "model", "model (sigmoid/softmax step)")):
        rows = read(os.path.join(d, name))
        if rows:
            lines += ["", f"## Training steps alone (bench_kernels, {name})", ""]
            kernel_table(rows, lines, key, label2, shown)
    spin = read(os.path.join(d, "spin.tsv"))
    if spin:
        most = max(int(r["threads"]) for r in spin)
        lines += ["", f"## The wait policy up to {most} threads (hidden 2048, batch 256, 40 epochs), quiet and with "
                  "every core busy with other processes", ""]
        spin_table(spin, lines)
    pairs = os.path.join(d, "pairs")
    if os.path.isdir(pairs):
        lines += ["", "## The deeper models on two chosen CPUs (experiments/bench_pairs.sh: each process held to the "
                  "pair with taskset, 1 and 2 threads interleaved)", ""]
        pairs_section(pairs, lines)
    if skipped:
        lines += ["", "Left out: " + "; ".join(skipped) + "."]
    if machine.get("note"):
        lines += ["", machine["note"]]
    drawn = plot(os.path.join(d, "threads"), series, grid, label)
    if drawn:
        lines += ["", f"![Thread scaling on {label}](threads.png)"]
    with open(os.path.join(d, "report.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
