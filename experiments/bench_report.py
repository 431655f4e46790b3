"""Turns the tables of experiments/bench.sh into results/bench/report.md (Markdown tables, the targets of the
performance issue met or missed, embedded plots) and the plots under plots/bench/ (gnuplot, pngcairo); prints
the tables to stdout as well. Usage: bench_report.py RESULTS_DIR PLOTS_DIR
"""
import csv
import os
import shutil
import statistics
import subprocess
import sys



def step_why(hidden):
    """Why a 2-thread step of 64-hidden-10 misses 1.7x here; the profile behind it is in README, Performance."""
    per_thread = int(hidden) // 64 // 2
    return (f"chunked step: {per_thread} chunks of 64 hidden units per thread; per step the team forks, meets at "
            "3 barriers and sums the chunks' logits (about 20 us of a 200 us step at hidden 512); a buffer the "
            "other core wrote costs this VM about twice as much to read")


# the 75-run grid's training arithmetic: 50 epochs x 45 batches of 32 x 6 flop per multiply-add of 64-H-10,
# summed over H = 16..256 and 15 runs per H
GRID_FLOP = 50 * 45 * 6 * 32 * 74 * (16 + 32 + 64 + 128 + 256) * 15


def read(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def num(x, default=0.0):
    try:
        return float(x)
    except (TypeError, ValueError):
        return default


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def f1(x):
    return f"{x:.1f}"


def f2(x):
    return f"{x:.2f}"


class Report:
    def __init__(self, out, plots):
        self.out, self.plots = out, plots
        self.md = []
        self.targets = []
        self.gnuplot = shutil.which("gnuplot")
        self.rel = os.path.relpath(plots, out)

    def add(self, text=""):
        self.md.append(text)

    def plot(self, name, script, data, caption):
        """Renders plots/bench/NAME.png from a gnuplot script; its data go to RESULTS_DIR/plots/NAME.dat."""
        if not self.gnuplot:
            self.add(f"*(plot {name} not drawn: gnuplot is not installed)*\n")
            return
        os.makedirs(os.path.join(self.out, "plots"), exist_ok=True)
        dat = os.path.join(self.out, "plots", name + ".dat")
        gp = os.path.join(self.out, "plots", name + ".gp")
        png = os.path.join(self.plots, name + ".png")
        with open(dat, "w") as f:
            f.write(data)
        with open(gp, "w") as f:
            f.write("set terminal pngcairo size 900,540 enhanced font 'Sans,11'\n")
            f.write(f"set output '{png}'\nset datafile separator '\\t'\nset key outside right top\n")
            f.write("set grid ytics\n")
            f.write(script.replace("DATA", f"'{dat}'"))
        r = subprocess.run([self.gnuplot, gp], capture_output=True, text=True)
        if r.returncode != 0:
            self.add(f"*(plot {name} failed: {r.stderr.strip()[:200]})*\n")
            return
        self.add(f"![{caption}]({self.rel}/{name}.png)\n")

    def target(self, what, goal, measured, met, note=""):  # note: for a missed target, why
        self.targets.append((what, goal, measured, "met" if met else "**missed**", note))


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def e2e_stats(rows, workload):
    """tool -> dict of medians over the repetitions of one workload."""
    tools = {}
    for r in rows:
        if r["workload"] == workload and r["status"] == "ok":
            tools.setdefault((r["tool"], r["threads"]), []).append(r)
    stats = {}
    for (tool, thr), rs in tools.items():
        wall = [num(r["wall_s"]) for r in rs]
        stats[(tool, thr)] = dict(
            n=len(rs), wall=med(wall), lo=min(wall), hi=max(wall),
            cpu=med([num(r["user_s"]) + num(r["sys_s"]) for r in rs]),
            rss=max(num(r["maxrss_kb"]) for r in rs) / 1024, acc=med([num(r["acc"]) for r in rs]),
            train=med([num(r["train_s"]) for r in rs]))
    return stats


def main(out, plots):
    rep = Report(out, plots)
    machine = {r["key"]: r["value"] for r in read(os.path.join(out, "machine.tsv"))}
    e2e = read(os.path.join(out, "e2e.tsv"))
    ncpu = machine.get("cores", "?")

    rep.add("# Benchmarks\n")
    rep.add("Written by `make bench` (experiments/bench.sh, experiments/bench_report.py). Whole processes are timed "
            "by /usr/bin/time; the contenders of a table run interleaved, each repetition running every one in "
            "turn, and the tables give medians over the repetitions with the min-max range. Ratios are ratios of "
            "those medians.\n")
    rep.add(table(["machine", ""], [(k, v) for k, v in machine.items()]) + "\n")

    skipped = read(os.path.join(out, "skipped.tsv"))
    if skipped:
        rep.add("**Not run:** " + "; ".join(f"{s['what']} ({s['why']})" for s in skipped) + "\n")

    # ---- OpenBLAS core ------------------------------------------------------------------------------------
    core = read(os.path.join(out, "coretype.tsv"))
    if core:
        rep.add("## OpenBLAS core type\n")
        rep.add("Single-thread sgemm at 256 x 1024 x 1024 under each `OPENBLAS_CORETYPE` (`unset` = OpenBLAS's own "
                "detection). Every peer runs with `OPENBLAS_CORETYPE=" + machine.get("openblas_coretype", "?") +
                "`.\n")
        rep.add(table(["OPENBLAS_CORETYPE", "core OpenBLAS reports", "sgemm GFLOP/s"],
                      [(c["setting"], c["core"], c["gflops"]) for c in core]) + "\n")

    # ---- kernels ------------------------------------------------------------------------------------------
    kern = read(os.path.join(out, "kernels.tsv"))
    if kern:
        rep.add("## Kernels\n")
        rep.add("GFLOP/s from the FLOP count (forward 2·B·IN·OUT, backward 4·B·IN·OUT: weight and input "
                "gradients) against OpenBLAS sgemm doing the same products (the bias excluded), median of the "
                "repetitions with the min-max range of ours.\n")
        rows = []
        for k in kern:
            rows.append((f"{k['batch']}×{k['in']}×{k['out']}", k["threads"],
                         f"{f1(num(k['fwd_gflops']))} ({f1(num(k['fwd_lo']))}-{f1(num(k['fwd_hi']))})",
                         f1(num(k["fwd_sgemm_gflops"])), f2(num(k["fwd_ratio"])),
                         f"{f1(num(k['bwd_gflops']))} ({f1(num(k['bwd_lo']))}-{f1(num(k['bwd_hi']))})",
                         f1(num(k["bwd_sgemm_gflops"])), f2(num(k["bwd_ratio"]))))
        rep.add(table(["B×IN×OUT", "threads", "forward", "sgemm", "ratio", "backward", "sgemm", "ratio"], rows)
                + "\n")
        for thr in sorted({k["threads"] for k in kern}, key=int):
            data = "".join(f"{k['batch']}x{k['in']}x{k['out']}\t{k['fwd_gflops']}\t{k['fwd_sgemm_gflops']}\t"
                           f"{k['bwd_gflops']}\t{k['bwd_sgemm_gflops']}\n" for k in kern if k["threads"] == thr)
            rep.plot(f"kernels_{thr}thread", f"""set title 'Kernel throughput, {thr} thread(s)'
set ylabel 'GFLOP/s'
set xlabel 'batch x in x out'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics rotate by -25
plot DATA using 2:xtic(1) title 'forward (this project)', '' using 3 title 'forward (OpenBLAS sgemm)', \\
     '' using 4 title 'backward (this project)', '' using 5 title 'backward (OpenBLAS sgemm)'
""", data, f"kernel GFLOP/s, {thr} thread(s)")

    step = read(os.path.join(out, "step.tsv"))
    if step:
        rep.add("### Training step against sgemm\n")
        rep.add("A whole step of 64-H-10 (zero the gradients, forward, loss, backward, SGD update) against the same "
                "GEMMs alone in sgemm; GFLOP/s from the GEMMs' FLOP count for both.\n")
        rep.add(table(["batch", "hidden", "threads", "step µs", "GFLOP/s", "sgemm µs", "sgemm GFLOP/s",
                       "ratio"],
                      [(s["batch"], s["hidden"], s["threads"], f1(num(s["step_us"])), f1(num(s["step_gflops"])),
                        f1(num(s["sgemm_us"])), f1(num(s["sgemm_gflops"])), f2(num(s["ratio"]))) for s in step])
                + "\n")
        for s in step:
            if s["hidden"] == "1024" and s["batch"] == "256" and not core:
                rep.target(f"training step, hidden 1024, batch 256, {s['threads']} thread(s)", ">= 0.50 of sgemm",
                           "not measured: no OpenBLAS", False)
            elif s["hidden"] == "1024" and s["batch"] == "256":
                r = num(s["ratio"])
                rep.target(f"training step, hidden 1024, batch 256, {s['threads']} thread(s)", ">= 0.50 of sgemm",
                           f"{r:.2f} ({f1(num(s['step_gflops']))} vs {f1(num(s['sgemm_gflops']))} GFLOP/s)",
                           r >= 0.5)

    scal = read(os.path.join(out, "scaling.tsv"))
    if scal:
        rep.add("### Thread scaling of a training step\n")
        rep.add(table(["batch", "hidden", "threads", "step µs (range)", "speedup", "efficiency"],
                      [(s["batch"], s["hidden"], s["threads"],
                        f"{f1(num(s['step_us']))} ({f1(num(s['lo_us']))}-{f1(num(s['hi_us']))})",
                        f2(num(s["speedup"])), f2(num(s["efficiency"]))) for s in scal]) + "\n")
        for s in scal:
            if s["threads"] == "2" and int(s["hidden"]) >= 512:
                sp = num(s["speedup"])
                rep.target(f"2 threads, step of hidden {s['hidden']} (batch {s['batch']})", ">= 1.7x",
                           f"{sp:.2f}x", sp >= 1.7, "" if sp >= 1.7 else step_why(s["hidden"]))

    thr = read(os.path.join(out, "threshold.tsv"))
    if thr:
        rep.add("### Serial threshold\n")
        rep.add(f"Forward + loss + backward with 1 thread against {ncpu}, in a build where every pass takes its "
                "parallel path (`-DMLP_PARALLEL_MIN_WORK=1`); work = multiply-adds of one pass. Below the "
                "threshold the kernels run on the calling thread without a parallel region.\n")
        rep.add(table(["batch", "hidden", "work", "1 thread µs", f"{ncpu} threads µs", "speedup"],
                      [(t["batch"], t["hidden"], t["work"], f2(num(t["serial_us"])), f2(num(t["parallel_us"])),
                        f2(num(t["speedup"]))) for t in thr]) + "\n")
        data = "".join(f"{t['work']}\t{t['speedup']}\n" for t in sorted(thr, key=lambda t: int(t["work"])))
        rep.plot("threshold", f"""set title 'Does a second thread pay? (forward + backward pass)'
set xlabel 'multiply-adds per pass'
set ylabel 'speedup of {ncpu} threads over 1'
set logscale x
set yrange [0:*]
plot DATA using 1:2 with linespoints lw 2 title 'measured', 1 with lines dt 2 lc rgb 'gray' title 'break-even'
""", data, "serial threshold")

    checks = read(os.path.join(out, "checks.tsv"))
    for c in checks:
        rep.target("determinism and correctness (bench_kernels)", "ok", c["result"], c["result"] == "ok", c["check"])

    # ---- end to end ---------------------------------------------------------------------------------------
    def e2e_table(workload, title, text, base_tool):
        st = e2e_stats(e2e, workload)
        if not st:
            return st
        rep.add(f"## {title}\n")
        rep.add(text + "\n")
        base = next((v for (t, _), v in st.items() if t == base_tool), None)
        rows = []
        for (tool, thr_), v in sorted(st.items(), key=lambda kv: kv[1]["wall"]):
            ratio = f"{v['wall'] / base['wall']:.1f}x" if base else ""
            rows.append((tool, thr_, f"{v['wall']:.3f} ({v['lo']:.3f}-{v['hi']:.3f})", f"{v['cpu']:.3f}",
                         f"{v['train']:.3f}", f"{v['acc']:.4f}", f"{v['rss']:.1f}", ratio, v["n"]))
        rep.add(table(["tool", "threads", "wall s (range)", "CPU s", "training s", "test accuracy",
                       "max RSS MiB", "wall / this project", "runs"], rows) + "\n")
        data = "".join(f"{t}\t{v['wall']}\t{v['lo']}\t{v['hi']}\n"
                       for (t, _), v in sorted(st.items(), key=lambda kv: kv[1]["wall"]))
        rep.plot(f"e2e_{workload}", f"""set title '{title}: whole process, median of the repetitions'
set ylabel 'wall seconds (log scale)'
set logscale y
set style fill solid 0.7 border -1
set boxwidth 0.6
set xtics rotate by -25
unset key
plot DATA using 0:2:xtic(1) with boxes, '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0
""", data, title)
        return st

    digits = e2e_table("digits", "Digits, one run",
                       "64-128-10, sigmoid, softmax, SGD lr 0.1, batch 32, 50 epochs: `./runner configs/digits.ini` "
                       "(with `--force --quiet --no-plots --results TMP`), scikit-learn's MLPClassifier, PyTorch with "
                       "1 and all threads, FANN in its closest mode (sigmoid outputs, MSE, incremental SGD: it has "
                       "neither softmax nor mini-batches). Training s is each tool's own clock around its training "
                       "loop (the runner's excludes its per-epoch evaluation).", "runner")
    base = next((v for (t, _), v in digits.items() if t == "runner"), None)
    if base:
        sk = next((v for (t, _), v in digits.items() if t == "scikit-learn"), None)
        if sk:
            r = sk["wall"] / base["wall"]
            rep.target("digits run vs scikit-learn (whole process)", ">= 8x", f"{r:.1f}x", r >= 8,
                       f"accuracy {base['acc']:.4f} vs {sk['acc']:.4f}")
        torches = [(t, v) for (t, _), v in digits.items() if t.startswith("pytorch")]
        if torches:
            t, v = min(torches, key=lambda tv: tv[1]["wall"])
            r = v["wall"] / base["wall"]
            rep.target("digits run vs PyTorch (whole process, its faster thread count)", ">= 10x",
                       f"{r:.1f}x ({t})", r >= 10, f"accuracy {base['acc']:.4f} vs {v['acc']:.4f}")

    grid = e2e_table("grid", "The 75-run sweep",
                     "configs/grid.ini (5 learning rates x 5 hidden sizes x 3 seeds, 50 epochs each) in the runner, "
                     f"and the same 75 fits in scikit-learn through joblib with {ncpu} jobs. `runner` evaluates the "
                     "whole train and test sets after every epoch (its default, for the curves); scikit-learn "
                     "scores each fit once, after training, and so does `runner-eval-at-end` "
                     "(`--set train.eval_every=1000`): the same work. Accuracy is the best run's.", "runner")
    sk = next((v for (t, _), v in grid.items() if t.startswith("scikit-learn")), None)
    for tool, what in (("runner-eval-at-end", "evaluating once at the end, as scikit-learn"),
                       ("runner", "evaluating every epoch (the default)")):
        base = next((v for (t, _), v in grid.items() if t == tool), None)
        if base and sk:
            r = sk["wall"] / base["wall"]
            why = "" if r >= 10 else (
                f"training steps are {base['train']:.2f} of its {base['cpu']:.2f} CPU s: 168,750 steps of "
                f"64-{{16..256}}-10 at batch 32, {GRID_FLOP / base['train'] / 1e9:.0f} GFLOP/s per core on "
                "these 32-row tiles (README, Performance)" +
                ("; the rest is the evaluation after every epoch" if tool == "runner" else ""))
            rep.target(f"75-run sweep vs scikit-learn + joblib, {what}", ">= 10x", f"{r:.1f}x", r >= 10, why)

    # ---- whole-run thread scaling -------------------------------------------------------------------------
    scale_rows, scale_data = [], {}
    for w, label in (("scale-small", "digits (hidden 128, batch 32)"), ("scale-512", "hidden 512, batch 256"),
                     ("scale-2048", "hidden 2048, batch 256")):
        st = e2e_stats(e2e, w)
        if not st:
            continue
        one = st.get(("runner", "1"))
        for (tool, t), v in sorted(st.items(), key=lambda kv: int(kv[0][1])):
            sp = one["train"] / v["train"] if one and v["train"] > 0 else float("nan")
            spw = one["wall"] / v["wall"] if one else float("nan")
            scale_rows.append((label, t, f"{v['wall']:.3f}", f"{v['train']:.3f}", f2(sp), f2(sp / int(t)),
                               f2(spw), f"{v['rss']:.1f}"))
            scale_data.setdefault(label, []).append((int(t), sp))
            if t == "2" and w != "scale-small":
                rep.target(f"2 threads, whole run of {label} (training time)", ">= 1.7x", f"{sp:.2f}x", sp >= 1.7,
                           "" if sp >= 1.7 else step_why(label.split()[1].rstrip(",")) +
                           "; per batch, every thread gathers the shuffled rows")
    if scale_rows:
        rep.add("## Thread scaling of whole runs\n")
        rep.add("`./runner --threads N` on the digits config and on wider models (150 epochs); speedup of the "
                "training time (the runner's clock, evaluation excluded) and of the wall time over 1 thread.\n")
        rep.add(table(["model", "threads", "wall s", "training s", "speedup", "efficiency", "wall speedup",
                       "max RSS MiB"], scale_rows) + "\n")
        lines, data = [], ""
        for i, (label, pts) in enumerate(scale_data.items()):
            data += "".join(f"{t}\t{s}\n" for t, s in pts) + "\n\n"
            lines.append(f"DATA index {i} using 1:2 with linespoints lw 2 title '{label}'")
        steps = {}
        for s in scal:
            steps.setdefault(s["hidden"], []).append((int(s["threads"]), num(s["speedup"])))
        for j, (h, pts) in enumerate(steps.items()):
            data += "".join(f"{t}\t{s}\n" for t, s in pts) + "\n\n"
            lines.append(f"DATA index {len(scale_data) + j} using 1:2 with linespoints dt 2 "
                         f"title 'step, hidden {h}'")
        rep.plot("scaling", f"""set title 'Thread scaling'
set xlabel 'threads'
set ylabel 'speedup over 1 thread'
set xtics 1
set yrange [0:*]
plot {', '.join(lines)}, x with lines lc rgb 'gray' title 'ideal'
""", data, "thread scaling")

    # ---- scheduler crossover ------------------------------------------------------------------------------
    cross_rows, cross_data = [], ""
    nruns = int(ncpu) + 1 if ncpu.isdigit() else "?"
    for h in (64, 256, 512, 1024, 2048):
        st = e2e_stats(e2e, f"cross-{h}")
        sbs = next((v for (t, _), v in st.items() if t == "side-by-side"), None)
        ins = next((v for (t, _), v in st.items() if t == "threads-inside"), None)
        auto = next((v for (t, _), v in st.items() if t == "scheduler-auto"), None)
        if sbs and ins:
            best = min(sbs["wall"], ins["wall"])
            cross_rows.append((h, f"{sbs['wall']:.3f}", f"{ins['wall']:.3f}", f2(ins["wall"] / sbs["wall"]),
                               "side by side" if sbs["wall"] <= ins["wall"] else "threads inside",
                               f"{auto['wall']:.3f}" if auto else "", f2(auto["wall"] / best) if auto else ""))
            cross_data += f"{h}\t{sbs['wall']}\t{ins['wall']}\n"
    if cross_rows:
        rep.add("## Scheduler: runs side by side or threads inside\n")
        rep.add(f"{nruns} runs (seeds) of 64-H-10, batch 256, 10 epochs: side by side with 1 thread each ({ncpu} at a "
                f"time, so two rounds), or one after the other with {ncpu} threads each; whole process. The last "
                "columns are the runner's own choice (src/schedule.c, `experiment.parallel_runs = auto`) against the "
                "faster of the two.\n")
        rep.add(table(["hidden", "side by side s", "threads inside s", "inside / side by side", "faster",
                       "auto s", "auto / faster"], cross_rows) + "\n")
        rep.plot("crossover", f"""set title '{nruns} runs on {ncpu} cores: side by side or threads inside'
set xlabel 'hidden units (batch 256)'
set ylabel 'wall seconds'
set logscale x 2
set logscale y
plot DATA using 1:2 with linespoints lw 2 title 'side by side, 1 thread each', \\
     DATA using 1:3 with linespoints lw 2 title 'one run at a time, {ncpu} threads'
""", cross_data, "scheduler crossover")

    # ---- targets ------------------------------------------------------------------------------------------
    summary = ["## Targets\n", table(["target", "goal", "measured", "", "note"], rep.targets) + "\n"]
    rep.md[3:3] = summary
    text = "\n".join(rep.md)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    print(text)
    print(f"\nbench: report in {os.path.join(out, 'report.md')}, plots in {plots}/")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
