#!/usr/bin/python3
"""Turns the tables of experiments/bench.sh into results/bench/report.md (Markdown tables, the targets of the
performance issue met or missed, embedded plots) and the plots under plots/bench/ (gnuplot, pngcairo); prints
the tables to stdout as well. Usage: bench_report.py RESULTS_DIR PLOTS_DIR
"""
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys



def step_why(hidden, whole=False):
    """Why a 2-thread step of 64-hidden-10 misses 1.7x here (whole: in a whole run, where one team takes all of an
    epoch's full batches); the profile behind it is in experiments/performance-log.md."""
    per_thread = int(hidden) // 64 // 2
    fork = ("the team (one for all of an epoch's full batches) meets at 5 barriers a step" if whole else
            "per step the team forks, meets at 3 barriers")
    return (f"chunked step: {per_thread} chunks of 64 hidden units per thread; {fork} and sums the chunks' logits "
            "(about 20 us of a 200 us step at hidden 512); a buffer the other core wrote costs this VM about twice "
            "as much to read")


# digits' training rows: 1,797 less the 20 % test split (359); the bench trains the runner without a validation
# split (data.validation_fraction=0), on the same rows as the peers
TRAIN_ROWS = 1438
# workloads of several runs: their training s is the sum of the runs' own clocks, so their GFLOP/s are per core
MULTI_RUN = set()


def sample_flop(sizes):
    """Training FLOP per sample of a model of these layer sizes: 2 flop per multiply-add forward and 2 for the
    weight gradient of every layer, 2 more for the input gradient of every layer but the first (training never
    computes the gradient of the inputs)."""
    macs = [a * b for a, b in zip(sizes, sizes[1:])]
    return 4 * macs[0] + 6 * sum(macs[1:])


def workload_flop(rows):
    """workload -> training FLOP: runs x epochs x training rows x sample_flop of its layers."""
    flop = {}
    for r in rows:
        if int(r["runs"]) > 1:
            MULTI_RUN.add(r["workload"])
        sizes = [int(n) for n in r["layers"].split("-")]
        flop[r["workload"]] = flop.get(r["workload"], 0) + \
            int(r["runs"]) * int(r["epochs"]) * int(r.get("rows") or TRAIN_ROWS) * sample_flop(sizes)
    return flop


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
            train=med([num(r["train_s"]) for r in rs]), train_hi=max(num(r["train_s"]) for r in rs),
            train_lo=min(num(r["train_s"]) for r in rs))
    return stats


def like_for_like(rep, digits, prof, machine):
    """The digits targets: in-process training time first (like for like), whole processes after."""
    def tool(name):
        return next((v for (t, _), v in digits.items() if t == name), None)
    one, base = tool("runner-1thread"), tool("runner")
    sk = tool("scikit-learn-1thread") or tool("scikit-learn")
    torches = [(t, v) for (t, _), v in digits.items() if t.startswith("pytorch") and v["train"] > 0]
    if not one:
        return
    rows = []
    if sk:
        rows.append(("scikit-learn fit", f"{sk['train']:.4f}", f"{sk['wall']:.3f}",
                     f"{sk['train'] / one['train']:.1f}x", f"{sk['wall'] / one['wall']:.1f}x",
                     f"{sk['train'] / one['wall']:.1f}x"))
        r = sk["train"] / one["train"]
        rep.target("digits, 1 thread: runner train_seconds vs scikit-learn's fit (in-process, like for like)",
                   ">= 10x", f"{r:.1f}x ({one['train'] * 1000:.1f} ms vs {sk['train'] * 1000:.0f} ms)", r >= 10,
                   "" if r >= 10 else f"10x needs {sk['train'] * 100:.1f} ms: 50 epochs x 45 steps of "
                   "64-128-10 at batch 32, ~9 us a step; bench_kernels' step table and kernel rows show where: "
                   "the two 64x128 products near the single-core peak, the 32x128x10 output layer and the exact "
                   "sigmoid (an exp and a division a unit, which no reordering may change without changing the "
                   "bits) the rest")
        eo = tool("runner-1thread-evalonce")
        whole_process_target(rep, sk, one, eo, prof, machine)
    if torches:
        t, v = min(torches, key=lambda tv: tv[1]["train"])
        rows.append((f"PyTorch training loop ({t})", f"{v['train']:.4f}", f"{v['wall']:.3f}",
                     f"{v['train'] / one['train']:.1f}x", f"{v['wall'] / one['wall']:.1f}x",
                     f"{v['train'] / one['wall']:.1f}x"))
        r = v["train"] / one["train"]
        rep.target(f"digits, 1 thread: runner train_seconds vs PyTorch's loop ({t}, in-process)", ">= 10x",
                   f"{r:.1f}x", r >= 10, "" if r >= 10 else "as for scikit-learn")
    if rows:
        rep.add("### Like for like: training time inside each process\n")
        rep.add(f"The runner with 1 thread: training {one['train'] * 1000:.1f} ms (`train_seconds`, its own clock "
                f"around the training steps, evaluation excluded) in a process of {one['wall'] * 1000:.0f} ms. "
                "Each peer's training time is its own clock around `fit` or the training loop, in its process, "
                "after its imports. The first ratio is like for like; the whole-process ratio includes Python's "
                "start-up and imports.\n")
        rep.add(table(["peer (1 thread)", "peer training s", "peer whole process s", "training / training",
                       "process / process", "peer training / runner process"], rows) + "\n")


def os_costs_note(machine):
    """What the kernel charges a process on this machine (machine.tsv's os_costs, read before the runs, and
    os_costs_after), as a clause from the quieter reading (the cheaper bare process), or ""."""
    readings = []
    for key in ("os_costs", "os_costs_after"):
        m = re.match(r"page fault ([0-9.]+) us, system call ([0-9.]+) us, bare process \S+ \S+ ([0-9.]+) ms",
                     machine.get(key, ""))
        if m:
            readings.append(m.groups())
    if not readings:
        return ""
    fault, call, bare = min(readings, key=lambda r: float(r[2]))
    return (f"; on this machine a page fault costs {fault} us, a system call {call} us and a bare process (/bin/true) "
            f"{bare} ms (bench_kernels --os-costs, the quieter of {len(readings)} reading(s))")


def whole_process_target(rep, sk, one, eo, prof, machine):
    """The target "runner whole process vs scikit-learn's fit alone": the runner evaluating once at the end, as
    scikit-learn's fit does (no per-epoch evaluation), with the default process (evaluating every epoch) beside it.
    prof: {process: {part: median ms}}."""
    main, name = (eo, "evalonce") if eo else (one, "default")
    p = prof.get(name, {})
    # the process alone, interleaved with the peers (the e2e row: bench_kernels --time, nothing around it); the
    # profile section's processes run with --profile, whose clocks and lines cost about 1 ms
    wall = main["wall"]
    r = sk["train"] / wall
    profiled = f"; {p['wall']:.1f} ms with --profile" if p.get("wall") else ""
    around = f"{wall * 1000:.1f} ms, the process alone{profiled}"
    shown = (f"{r:.1f}x evaluating once at the end ({around})" if eo else f"{r:.1f}x ({around})")
    shown += (f"; default evaluation (every epoch) {sk['train'] / one['wall']:.1f}x ({one['wall'] * 1000:.1f} ms)"
              if eo else " (default evaluation, every epoch: no eval-once row)")
    why = ""
    if r < 6:
        why = (f"6x needs a process of {sk['train'] * 1000 / 6:.1f} ms; the runner's is {wall * 1000:.1f} "
               "ms: " + (f"training {p.get('training', 0):.1f} ms and evaluation {p.get('evaluation', 0):.1f} ms in "
                         f"the profiled processes (whole {p.get('wall', 0):.1f} ms), the rest "
                         f"{p.get('wall', 0) - p.get('training', 0) - p.get('evaluation', 0):.1f} ms there (see the "
                         "part-by-part tables below)" if p else
                         f"{main['train'] * 1000:.0f} ms training, the rest start-up, load and writes"))
        why += os_costs_note(machine)
    rep.target("digits: runner whole process vs scikit-learn's fit alone", ">= 6x", shown, r >= 6, why)


def profile_parts(out, process="default"):
    """The digits process's --profile over the repetitions: (parts {name: dict(ms, n, fs: lists, what)}, walls
    {rep: ms measured around the process}, inside {rep: ms the profile saw}, faults {rep: the page faults that
    trapped, the heap mapped ahead in one call left out}, huge {rep: KiB in transparent huge pages}: the last two
    only where the profile gives them)."""
    lines = read(os.path.join(out, "profile.tsv"))
    parts, walls, inside, faults, huge = {}, {}, {}, {}, {}
    for r in lines:
        if r.get("process", "default") != process:  # a profile.tsv without the column: the default process's
            continue
        m = re.match(r"profile: ([0-9.]+) ms wall(?:, (\d+) page faults)?", r["line"])
        if m:
            inside[r["rep"]] = float(m.group(1))
            walls[r["rep"]] = num(r["wall_s"]) * 1000
            if m.group(2):
                faults[r["rep"]] = int(m.group(2))
            h = re.search(r", (\d+) KiB in huge pages", r["line"])
            if h:
                huge[r["rep"]] = int(h.group(1))
            continue
        m = re.match(r"profile: (\S.*?) +([0-9.]+)  (?:(\d+) fsyncs ([0-9.]+) ms)? *(.*)$", r["line"])
        if m:
            p = parts.setdefault(m.group(1), dict(ms=[], n=[], fs=[], what=m.group(5).strip()))
            p["ms"].append(float(m.group(2)))
            p["n"].append(int(m.group(3) or 0))
            p["fs"].append(float(m.group(4) or 0))
    return parts, walls, inside, faults, huge


PROFILED = (("default", "evaluating every epoch (the default)", ""),
            ("evalonce", "evaluating once at the end, as scikit-learn's fit", " --set train.eval_every=1000"))


def profile_medians(out):
    """{process: {part: median ms, "wall": the median whole process}} of the digits processes' --profile."""
    out_m = {}
    for process, _, _ in PROFILED:
        parts, walls, _, _, _ = profile_parts(out, process)
        if parts:
            out_m[process] = {name: med(p["ms"]) for name, p in parts.items()}
            out_m[process]["wall"] = med(list(walls.values()))
    return out_m


def process_profile(rep, out):
    """The digits processes part by part: medians of their --profile over the repetitions."""
    for process, what, extra in PROFILED:
        process_profile_one(rep, out, process, what, extra)


def process_profile_one(rep, out, process, what, extra):
    parts, walls, inside, faults, huge = profile_parts(out, process)
    if not parts:
        return
    faulted = (f", {med(list(faults.values())):.0f} page faults that trapped (--profile: heap mapped ahead in one "
               "call, where it is, left out)" if faults else "")
    if huge:
        faulted += f", {med(list(huge.values())):.0f} KiB in transparent huge pages (the heap: main.c, huge_heap)"
    wall, seen = med(list(walls.values())), med(list(inside.values()))
    rows = [(name, f2(med(p["ms"])), f"{100 * med(p['ms']) / wall:.0f} %", f"{med(p['n']):.0f}",
             f2(med(p["fs"])), p["what"]) for name, p in parts.items()]
    rows.append(("outside the profile", f2(wall - seen), f"{100 * (wall - seen) / wall:.0f} %", "", "",
                 "fork and exec before the clock, the kernel's teardown, the shell's clock"))
    rep.add(f"### The digits process, part by part: {what}\n")
    rep.add(f"`runner --threads 1 --force --quiet --no-plots --set data.validation_fraction=0{extra} --profile "
            f"configs/digits.ini` (the like-for-like row, with `--profile`), {len(walls)} repetitions: medians per "
            f"part in ms, of a whole process of {wall:.1f} ms measured around it ({seen:.1f} ms seen inside"
            f"{faulted}). "
            "Start-up is the main thread's CPU time and its waits for a CPU from the fork to main (its CPU clock "
            "and /proc/self/schedstat); "
            "evaluation is train_evaluate's time, taken out of training's.\n")
    rep.add(table(["part", "ms", "of the process", "fsyncs", "fsync ms", "what"], rows) + "\n")


# a cross-core round trip (bench_kernels --round-trip) under this many ns: the two cores near each other (the
# development VM read 50-90 ns in such minutes and 340-360 ns in the others)
NEAR_NS = 150


def round_trips(trips, workload, tool, e2e):
    """(round trip ns, 2-thread training s) for each repetition of a workload's 2-thread runs by tool, in order."""
    ns = {r["rep"]: num(r["ns"], -1) for r in trips if r["workload"] == workload and r["tool"] == tool}
    return [(ns[r["rep"]], num(r["train_s"])) for r in e2e
            if r["workload"] == workload and r["tool"] == tool and r["threads"] == "2" and r["status"] == "ok"
            and ns.get(r["rep"], -1) >= 0]


def placement_note(trip, one_train):
    """What the round trips before a workload's 2-thread runs read, for the note of a missed 2-thread target: how
    many found the cores far apart, and the speedup of those that found them near (one_train: the 1-thread median)."""
    if not trip:
        return ""
    near = [t for ns, t in trip if ns < NEAR_NS]
    far = len(trip) - len(near)
    read = ", ".join(f"{ns:.0f}" for ns, _ in trip)
    how = f"{far} of {len(trip)} over {NEAR_NS} ns (far apart, by that reading)" if far else f"none over {NEAR_NS} ns"
    fast = (f", and the {len(near)} with the cores near ran {f2(one_train / med(near))}x (median)" if near else
            ", and the cores were never near")
    return f"; the cross-core round trip before the 2-thread runs read {read} ns: {how}{fast}"


def phase_tables(phases):
    """phases.tsv's rows by model, as "MODEL, batch B", in file order."""
    by = {}
    for r in phases:
        by.setdefault(f"{r['model']}, batch {r['batch']}", []).append(r)
    return by


def phase_note(phases, label, trips):
    """For a deeper model's missed 2-thread target: what bench_phases measured of its step, or nothing; trips: the
    round trips of round_trip.tsv (the one before bench_phases says where the cores were)."""
    rows = {r["phase"]: r for r in phase_tables(phases).get(label, [])}
    if not {"sum of the phases", "step", "one thread"} <= rows.keys():
        return ""
    s, st, one = rows["sum of the phases"], rows["step"], num(rows["one thread"]["t0_us"])
    ns = [num(r["ns"], -1) for r in trips if r["workload"] == "phases"]
    where = (f", the cores {'near' if ns[0] < NEAR_NS else 'far apart'} ({ns[0]:.0f} ns)"
             if ns and ns[0] >= 0 else "")
    return (f"; bench_phases (\"The multi-layer step phase by phase\"{where}): thread 0's share alone "
            f"{f1(num(s['alone_us']))} µs of phases, {f1(num(s['t0_us']))} / {f1(num(s['t1_us']))} µs on the two "
            f"threads of the team, whose step took {f1(num(st['t0_us']))} µs where 1.8x of one thread's "
            f"{f1(one)} needs {f1(one / 1.8)}")


def optimizers_and_depth(rep, e2e, rate, trips, phases):
    """Adam and momentum against SGD at 1 thread; the deeper models' 2-thread speedup."""
    st = e2e_stats(e2e, "optimizers")
    sgd = st.get(("sgd", "1"))
    if sgd:
        rep.add("## Optimizers and deeper models\n")
        rows = []
        for name in ("sgd", "momentum", "adam"):
            v = st.get((name, "1"))
            if v:
                r = v["train"] / sgd["train"]
                rows.append((name, f"{v['train'] * 1000:.1f}", f"{r:.2f}x", f"{v['acc']:.4f}"))
                if name != "sgd":
                    rep.target(f"digits, 1 thread: {name} training time vs SGD", "<= 1.25x", f"{r:.2f}x",
                               r <= 1.25, "" if r <= 1.25 else f"{(v['train'] - sgd['train']) * 1000:.1f} ms over SGD; "
                               "its update does 1 division and 1 square root per parameter, which the bits forbid "
                               "replacing (its divisions by c1 and c2 are multiplies in double, the same bits, and "
                               "the one by c1 is left out once c1 rounds to 1), and reads and writes the moment "
                               "arrays besides the weights")
        rep.add("digits 64-128-10, batch 32, 50 epochs, 1 thread (Adam at lr 0.001); training time medians.\n")
        rep.add(table(["optimizer", "training ms", "vs SGD", "test accuracy"], rows) + "\n")
    rows = []
    for w, label in (("deep-2x256", "64-256-256-10, batch 64"), ("deep-3x256", "64-256-256-256-10, batch 128")):
        st = e2e_stats(e2e, w)
        one, two = st.get(("runner", "1")), st.get(("runner", "2"))
        free = st.get(("runner-unpinned", "2"))
        if one and two:
            sp = one["train"] / two["train"]
            trip = round_trips(trips, w, "runner", e2e)
            rows.append((label, f"{one['train']:.3f}", rate(w, one["train"], 1)[0],
                         f"{two['train']:.3f} ({two['train_lo']:.3f}-{two['train_hi']:.3f})",
                         rate(w, two["train"], 2)[0], f2(sp),
                         ", ".join(f"{ns:.0f}: {t:.3f}" for ns, t in trip) or "-",
                         f"{free['train']:.3f} ({free['train_lo']:.3f}-{free['train_hi']:.3f}), "
                         f"{f2(one['train'] / free['train'])}" if free else "-"))
            rep.target(f"{label}: 2 threads vs 1 (training time)", ">= 1.8x", f"{sp:.2f}x", sp >= 1.8,
                       "" if sp >= 1.8 else f"2-thread repetitions {two['train_lo']:.3f}-{two['train_hi']:.3f} s, "
                       f"best {one['train'] / two['train_lo']:.2f}x (1 thread {one['train_lo']:.3f}-"
                       f"{one['train_hi']:.3f} s): the units step (each thread owns a share of every hidden layer "
                       "from the forward pass to the update; bench_kernels' multi-layer step table): what remains "
                       "is what crosses between the cores, the activations and gradients the other core wrote and "
                       "the weights it updates (asked for ahead of the tiles; with the cores far apart about 6.4 "
                       "GB/s, and some 144 KiB each way a step for 64-256-256-10), six barriers a step (one team "
                       "for all of an epoch's full batches: no fork per step), the epoch's serial shuffle and its "
                       "short last step" + placement_note(trip, one["train"]) +
                       phase_note(phases, label, trips))
    if rows:
        rep.add("Deeper models (20 epochs), training time with 1 and 2 threads (medians, the range in brackets); "
                "the cross-core round trip (`bench_kernels --round-trip`, ns) taken just before each 2-thread run, "
                "with that run's training time (a 2-thread step waits on the other core at every barrier and for "
                "every line of activations it wrote; on the development VM the round trip read 50-90 ns in some "
                f"minutes and 340-360 ns in others, and under {NEAR_NS} ns this report calls the cores near); the "
                "last column: the same 2-thread runs with the threads left to the kernel (`OMP_PROC_BIND=false`: "
                "the runner pins nothing), and their speedup:\n")
        rep.add(table(["model", "1 thread s", "GFLOP/s", "2 threads s", "GFLOP/s", "speedup",
                       "round trip ns: 2-thread s", "2 threads unpinned s"], rows) + "\n")


def wait_policy(rep, e2e):
    """Hidden 2048 at 2 threads on a quiet and on a loaded machine, under each wait policy."""
    rows, quiet_runner, quiet_gomp = [], None, None
    for load in ("quiet", "loaded"):
        st = e2e_stats(e2e, f"{load}-2048")
        one = st.get(("runner", "1"))
        if not one:
            continue
        for (tool, t), v in sorted(st.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            rows.append((load, tool, t, f"{v['train']:.3f}", f"{v['train_hi']:.3f}", f"{v['wall']:.3f}",
                         f2(v["train_hi"] / one["train"])))
        two = st.get(("runner", "2"))
        if load == "quiet":
            quiet_runner, quiet_gomp = two, st.get(("libgomp-default", "2"))
        elif two:
            r = two["train_hi"] / one["train"]
            rep.target("hidden 2048, batch 256, both cores busy: slowest 2-thread run vs median 1-thread",
                       "<= 2x", f"{r:.2f}x", r <= 2,
                       "" if r <= 2 else "the other processes take the cores for whole time slices; a thread "
                       "that waits at a barrier sleeps after the runner's short spin, but the step still waits "
                       "for the descheduled thread")
    if quiet_runner and quiet_gomp:
        r = quiet_runner["train"] / quiet_gomp["train"]
        rep.target("hidden 2048, 2 threads, quiet machine: the runner's wait policy vs libgomp's default (the price of "
                   "the loaded target; this project's own goal, not one of the issue's targets)",
                   "no loss (<= 1.05x)", f"{r:.2f}x", r <= 1.05, "" if r <= 1.05 else "the runner's spin "
                   "(GOMP_SPINCOUNT=10000) is the loaded machine's compromise: a thread that waits longer sleeps "
                   "and wakes late; longer spins measured level with libgomp's default here but let loaded runs "
                   "collapse (README, Waiting for the other thread)")
    if rows:
        rep.add("## Waiting for the other thread\n")
        rep.add("64-2048-10, batch 256, 20 epochs; `loaded`: one busy loop per core in other processes. "
                "`runner` uses its own default wait policy (src/main.c), `libgomp-default` sets "
                "GOMP_SPINCOUNT=300000 (what libgomp spins when nothing is set), `passive` sets "
                "OMP_WAIT_POLICY=passive; all three pin the run's two threads to a core each (src/placement.c), "
                "`unpinned` is the runner's default with OMP_PROC_BIND=false, which leaves them to the kernel. "
                "Training time median and slowest; the last column is the slowest "
                "run against the median 1-thread run of the same machine state.\n")
        rep.add(table(["machine", "wait", "threads", "training s", "slowest s", "wall s", "slowest / 1 thread"],
                      rows) + "\n")


def scaling(rep, e2e, synthetic, workloads, flop, peak):
    """Time, throughput and memory as rows, features and width grow (one thread, synthetic data)."""
    epochs = {w["workload"]: (int(w["epochs"]), int(w["rows"])) for w in workloads}
    pts = []
    for s in synthetic:
        st = e2e_stats(e2e, s["workload"]).get(("runner", "1"))
        if not st or st["train"] <= 0 or s["workload"] not in epochs:
            continue
        e, ntrain = epochs[s["workload"]]
        f, h = int(s["features"]), int(s["hidden"])
        work = sample_flop([f, h, 10])
        outside = max(st["wall"] - st["train"], 1e-6)
        pts.append(dict(rows=int(s["rows"]), f=f, h=h, e=e, work=work, train=st["train"],
                        ns=st["train"] / (ntrain * e) * 1e9, gf=flop[s["workload"]] / st["train"] / 1e9,
                        rss=st["rss"], outside=outside, mb=int(s["bytes"]) / 1e6))
    if not pts:
        return
    rep.add("## Scaling with work (synthetic data)\n")
    rep.add("scikit-learn's make_classification data (experiments/make_classification.py, 10 classes) of "
            "10^3..10^6 rows x 64 and 10^3..10^5 x 784 features, hidden 16..4096, batch 128, 1 thread, one "
            "run each (the points of a curve check each other), evaluating once at the end. Time per "
            "sample-epoch is the training time over training rows x epochs. *Outside training* is the "
            "process's wall time less its training time: start-up, the HDF5 load, the split, one evaluation and "
            "the writes; for hidden 16 that is mostly the load, so file MB over it bounds the load throughput "
            "from below.\n")
    rows = [(p["rows"], p["f"], p["h"], p["e"], f"{p['train']:.3f}", f"{p['ns']:.0f}", f1(p["gf"]),
             f"{100 * p['gf'] / peak:.0f} %" if peak > 0 else "", f"{p['rss']:.0f}", f"{p['outside']:.3f}",
             f"{p['mb'] / p['outside']:.0f}" if p["h"] == min(q["h"] for q in pts) else "")
            for p in sorted(pts, key=lambda p: (p["f"], p["h"], p["rows"]))]
    rep.add(table(["rows", "features", "hidden", "epochs", "training s", "ns / sample-epoch", "GFLOP/s",
                   "% of sgemm peak (1 core)", "max RSS MiB", "outside training s", "file MB/s (hidden 16)"],
                  rows) + "\n")
    data = ""
    for f in sorted({p["f"] for p in pts}):
        for r in sorted({p["rows"] for p in pts}):
            line = sorted((p for p in pts if p["f"] == f and p["rows"] == r), key=lambda p: p["work"])
            if line:
                data += f"# {r} x {f}\n" + "".join(f"{p['work']}\t{p['ns']}\t{p['gf']}\n" for p in line) + "\n\n"
    keys = [(f, r) for f in sorted({p["f"] for p in pts}) for r in sorted({p["rows"] for p in pts})
            if any(p["f"] == f and p["rows"] == r for p in pts)]
    plots = ", ".join(f"DATA index {i} using 1:2 with linespoints title '{r} x {f}'" for i, (f, r) in enumerate(keys))
    rep.plot("scale_time", f"""set title 'Time per sample-epoch against the work per sample (1 thread)'
set xlabel 'training FLOP per sample'
set ylabel 'ns per sample-epoch'
set logscale xy
plot {plots}
""", data, "time per sample-epoch")
    plots = ", ".join(f"DATA index {i} using 1:3 with linespoints title '{r} x {f}'" for i, (f, r) in enumerate(keys))
    rep.plot("scale_gflops", f"""set title 'Throughput against work, with the measured sgemm peak (1 thread)'
set xlabel 'training FLOP per sample'
set ylabel 'GFLOP/s'
set logscale x
set yrange [0:*]
plot {plots}, {peak} with lines dt 2 lw 2 lc rgb 'black' title 'sgemm peak'
""", data, "GFLOP/s against work")
    mem = "".join(f"{p['rows']}\t{p['rss']}\t{p['f']}\t{p['mb'] / p['outside']}\n"
                  for p in sorted(pts, key=lambda p: p["rows"]) if p["h"] == min(q["h"] for q in pts))
    rep.plot("scale_memory", """set title 'Peak memory against rows (hidden 16, 1 thread)'
set xlabel 'rows'
set ylabel 'max RSS MiB'
set logscale xy
plot DATA using 1:($3 == 64 ? $2 : 1/0) with linespoints title '64 features', \\
     DATA using 1:($3 == 784 ? $2 : 1/0) with linespoints title '784 features'
""", mem, "peak memory against rows")
    rep.plot("scale_load", """set title 'Load throughput: file MB over the time outside training (hidden 16)'
set xlabel 'rows'
set ylabel 'MB/s (lower bound)'
set logscale x
set yrange [0:*]
plot DATA using 1:($3 == 64 ? $4 : 1/0) with linespoints title '64 features', \\
     DATA using 1:($3 == 784 ? $4 : 1/0) with linespoints title '784 features'
""", mem, "HDF5 load throughput")
    # where the cost per sample stops being flat in the rows, for each shape measured at 3 sizes or more
    notes = []
    for f in sorted({p["f"] for p in pts}):
        for h in sorted({p["h"] for p in pts}):
            line = sorted((p for p in pts if p["f"] == f and p["h"] == h), key=lambda p: p["rows"])
            if len(line) >= 3:
                base = min(p["ns"] for p in line)
                worst = max(line, key=lambda p: p["ns"])
                notes.append(f"{f}-{h}-10: {worst['ns'] / base:.2f}x the cheapest per sample-epoch at "
                             f"{worst['rows']} rows")
    shapes = ("Per sample-epoch time against rows, worst over best, by shape: " + "; ".join(notes) + ". " if notes
              else "No shape was measured at 3 row counts or more here, so no spread is given. ")
    rep.add("**Where cost stops being linear.** " + shapes + "At a fixed shape the work per sample is constant, so the cost per "
            "sample-epoch should be flat in the rows. It rises at the small end, where a run's fixed costs (first touch of the buffers, the first "
            "epoch's cold caches) are shared by few samples, and at the large end once the training set outgrows "
            "the last-level cache (10^5 x 784 floats is 314 MB), where each batch's gather reads its rows from "
            "memory; the smallest widths are bound by the per-step costs (gather, loss, update of 128 rows), not "
            "the GEMMs, and stay far below the peak. A spread much above 2x on one shape is the shared machine's "
            "noise: these runs are not repeated.\n")


def main(out, plots):
    rep = Report(out, plots)
    machine = {r["key"]: r["value"] for r in read(os.path.join(out, "machine.tsv"))}
    e2e = read(os.path.join(out, "e2e.tsv"))
    ncpu = machine.get("cores", "?")

    rep.add("# Benchmarks\n")
    rep.add("Written by `make bench` (experiments/bench.sh, experiments/bench_report.py). A whole process's wall time "
            "runs from a monotonic clock read just before its spawn to one just after its exit (bench_kernels --time), "
            "its CPU time and peak memory from wait4 (nothing runs around it: timeout(1) and /usr/bin/time, used "
            "before, added 15 ms to a digits process on the VM of 2026-12-03); the contenders of a table run "
            "interleaved, each repetition running every one in "
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
        rep.add("The kernel programs run with the runner's own wait policy (`GOMP_SPINCOUNT=10000` unless the "
                "environment sets one).\n")
        rep.add(table(["batch", "hidden", "threads", "step µs (range)", "speedup", "efficiency"],
                      [(s["batch"], s["hidden"], s["threads"],
                        f"{f1(num(s['step_us']))} ({f1(num(s['lo_us']))}-{f1(num(s['hi_us']))})",
                        f2(num(s["speedup"])), f2(num(s["efficiency"]))) for s in scal]) + "\n")
        for s in scal:
            if s["threads"] == "2" and int(s["hidden"]) >= 512:
                sp = num(s["speedup"])
                rep.target(f"2 threads, step of hidden {s['hidden']} (batch {s['batch']})", ">= 1.7x",
                           f"{sp:.2f}x", sp >= 1.7, "" if sp >= 1.7 else step_why(s["hidden"]))

    deep = read(os.path.join(out, "deep.tsv"))
    if deep:
        rep.add("### Thread scaling of a multi-layer step\n")
        rep.add("One training step (forward, loss, backward, SGD update) of the deeper models of the targets, "
                "alone in bench_kernels (no data gather, no evaluation), same bits on every thread count.\n")
        rep.add(table(["batch", "model", "threads", "step µs (range)", "speedup"],
                      [(d["batch"], d["model"], d["threads"],
                        f"{f1(num(d['step_us']))} ({f1(num(d['lo_us']))}-{f1(num(d['hi_us']))})",
                        f2(num(d["speedup"]))) for d in deep]) + "\n")

    phases = read(os.path.join(out, "phases.tsv"))
    if phases:
        trip = [num(r["ns"], -1) for r in read(os.path.join(out, "round_trip.tsv")) if r["workload"] == "phases"]
        where = ("the cross-core round trip was not measured" if not trip or trip[0] < 0 else
                 f"the cross-core round trip just before read {trip[0]:.0f} ns: the cores "
                 f"{'near' if trip[0] < NEAR_NS else 'far apart'} (near: under {NEAR_NS} ns)")
        rep.add("### The multi-layer step phase by phase\n")
        rep.add("`bench_phases`: the 2-thread units step of the same models, each phase's median time (µs) on each "
                "thread, beside thread 0's share of the same step taken alone (the other thread idle, no barrier: "
                "nothing crosses between the cores). A phase of the team over its share alone pays for the lines the "
                "other core wrote or read last (activations, their gradients, the weights whose columns the other "
                "core's input gradient reads); a wait is the other thread's lateness. Layers count the weight "
                f"layers from the input; {where}.\n")
        for key, rows in phase_tables(phases).items():
            body = []
            for r in rows:
                a, t0, t1, what = num(r["alone_us"]), num(r["t0_us"]), num(r["t1_us"]), r["phase"] or ""
                if what in ("step", "one thread"):
                    continue
                wait = what.startswith("wait")
                body.append((what, "-" if wait else f2(a), f2(t0), f2(t1), f2(t0) if wait else f2(t0 - a)))
            whole = {r["phase"]: r for r in rows}
            if "step" in whole and "one thread" in whole:
                one, step, alone = (num(whole["one thread"]["t0_us"]), num(whole["step"]["t0_us"]),
                                    num(whole["step"]["alone_us"]))
                body.append(("whole step (the region's fork included)", f2(alone), f2(step), "", f2(step - alone)))
                rep.add(f"{key}: one thread's whole step {f1(one)} µs; 1.8x needs {f1(one / 1.8)} µs.\n")
            rep.add(table(["phase", "alone", "thread 0", "thread 1", "thread 0 over alone"], body) + "\n")

    fused = read(os.path.join(out, "fused.tsv"))
    if fused:
        rep.add("### A fused group's runs as one wider model\n")
        rep.add("`bench_fused`, one thread: what a fused group would save beyond sharing its batches (issue #13). "
                "Stacked: the first layers of the group's runs (64 inputs, sigmoid) as one GEMM over their weights "
                "stacked, against each run's own; \"forward, transposed\" is the layout one thread's steps use "
                "(where `mlp_transposed_shape` allows it, alone or stacked). Chunked: the group's evaluation over "
                "1,797 rows with every run taking each 256-row chunk in turn, against one run after the other. Each "
                "way gave every run the bits of its own (checked before timing). Ratio: apart over together, above "
                "1 when together is faster; medians of interleaved rounds. Ratios near 1 are why the runner's groups "
                "share only their batches.\n")
        rep.add(table(["group's widths", "pass", "rows", "apart µs", "together µs", "ratio"],
                      [(f["group"], f["pass"], f["rows"], f2(num(f["apart_us"])), f2(num(f["together_us"])),
                        f2(num(f["ratio"]))) for f in fused]) + "\n")

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
    flop = workload_flop(read(os.path.join(out, "workloads.tsv")))
    chosen = machine.get("openblas_coretype")
    peak = next((num(c["gflops"]) for c in core if c["setting"] == chosen), 0.0)

    def rate(workload, seconds, threads):
        """(GFLOP/s of the training time, % of the sgemm peak of that many cores) as table cells."""
        if workload not in flop or seconds <= 0:
            return "", ""
        gf = flop[workload] / seconds / 1e9
        cores = min(int(threads), int(ncpu)) if str(threads).isdigit() and ncpu.isdigit() else 1
        if workload in MULTI_RUN:
            cores = 1
        return f1(gf), (f"{100 * gf / (peak * cores):.0f} %" if peak > 0 else "no OpenBLAS")

    if peak > 0:
        rep.add(f"The sgemm peak is OpenBLAS's single-thread sgemm at 256 x 1024 x 1024 with "
                f"`OPENBLAS_CORETYPE={chosen}`, measured in this run: {f1(peak)} GFLOP/s per core; a row's % is "
                "of that times its threads (at most the cores), except for a sweep of several runs, whose training "
                "s is the sum of its runs' own clocks (so its GFLOP/s are per core). Training GFLOP/s count, for every training row and "
                "epoch, 4 flop per multiply-add of the first layer (forward and weight gradient) and 6 of every "
                "other (its input gradient too; biases, activations and the loss not counted), over the tool's "
                "own training time.\n")

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
            gf, pct = rate(workload, v["train"], thr_)
            rows.append((tool, thr_, f"{v['wall']:.3f} ({v['lo']:.3f}-{v['hi']:.3f})", f"{v['cpu']:.3f}",
                         f"{v['train']:.3f}", gf, pct, f"{v['acc']:.4f}", f"{v['rss']:.1f}", ratio, v["n"]))
        rep.add(table(["tool", "threads", "wall s (range)", "CPU s", "training s", "training GFLOP/s",
                       "% of sgemm peak", "test accuracy", "max RSS MiB", "wall / this project", "runs"], rows)
                + "\n")
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
    like_for_like(rep, digits, profile_medians(out), machine)
    process_profile(rep, out)

    grid = e2e_table("grid", "The 75-run sweep",
                     "configs/grid.ini (5 learning rates x 5 hidden sizes x 3 seeds, 50 epochs each) in the runner, "
                     f"and the same 75 fits in scikit-learn through joblib with {ncpu} jobs. `runner` evaluates the "
                     "whole train and test sets after every epoch (its default, for the curves); scikit-learn "
                     "scores each fit once, after training, and so does `runner-eval-at-end` "
                     "(`--set train.eval_every=1000`): the same work. Accuracy is the best run's.", "runner")
    sk = next((v for (t, _), v in grid.items() if t.startswith("scikit-learn")), None)
    for tool, what, goal in (("runner-eval-at-end", "evaluating once at the end, as scikit-learn", 12),
                             ("runner", "evaluating every epoch (the default)", 8)):
        base = next((v for (t, _), v in grid.items() if t == tool), None)
        if base and sk:
            r = sk["wall"] / base["wall"]
            why = "" if r >= goal else (
                f"its runs' training clocks sum to {base['train']:.2f} s (the process used {base['cpu']:.2f} CPU s): "
                f"168,750 steps of 64-{{16..256}}-10 at batch 32, {rate('grid', base['train'], 1)[0]} GFLOP/s per "
                f"core ({rate('grid', base['train'], 1)[1]} of the sgemm peak) on these 32-row tiles; fused groups "
                "share each step's batch but not its arithmetic (each run's step is its own kernels' work)" +
                ("; the rest is the evaluation after every epoch" if tool == "runner" else ""))
            rep.target(f"75-run sweep vs scikit-learn + joblib, {what} (whole processes)", f">= {goal}x",
                       f"{r:.1f}x", r >= goal, why)
    for tool, alone in (("runner", "runner-no-fuse"), ("runner-eval-at-end", "runner-eval-at-end-no-fuse")):
        f = next((v for (t, _), v in grid.items() if t == tool), None)
        a = next((v for (t, _), v in grid.items() if t == alone), None)
        if f and a:
            rep.add(f"Fused groups: `{tool}` {f['wall']:.3f} s wall, {f['train']:.2f} s of summed training clocks; "
                    f"every run alone (`--no-fuse`) {a['wall']:.3f} s and {a['train']:.2f} s "
                    f"({a['wall'] / f['wall']:.2f}x the fused wall time).\n")
    eq = read(os.path.join(out, "fused_equal.tsv"))
    if eq:
        e = eq[0]
        rep.target("any run inside a sweep vs the same run alone", "bitwise equal",
                   "equal" if e["differing"] == "0" else f"{e['differing']} of {e['runs']} differ",
                   e["differing"] == "0", f"{e['what']}: {e['runs']} runs' weights.h5, curve.dat (seconds aside) "
                   "and summary.tsv (timing columns aside) compared")
    else:
        rep.target("any run inside a sweep vs the same run alone", "bitwise equal", "not measured", False,
                   "fused_equal.tsv is missing (bench.sh's grid_fused_equal did not run)")

    optimizers_and_depth(rep, e2e, rate, read(os.path.join(out, "round_trip.tsv")),
                         read(os.path.join(out, "phases.tsv")))
    wait_policy(rep, e2e)
    scaling(rep, e2e, read(os.path.join(out, "synthetic.tsv")), read(os.path.join(out, "workloads.tsv")), flop,
            peak)

    # ---- whole-run thread scaling -------------------------------------------------------------------------
    scale_rows, scale_data, trips = [], {}, read(os.path.join(out, "round_trip.tsv"))
    for w, label in (("scale-small", "digits (hidden 128, batch 32)"), ("scale-512", "hidden 512, batch 256"),
                     ("scale-2048", "hidden 2048, batch 256")):
        st = e2e_stats(e2e, w)
        if not st:
            continue
        one = st.get(("runner", "1"))
        for (tool, t), v in sorted(st.items(), key=lambda kv: int(kv[0][1])):
            sp = one["train"] / v["train"] if one and v["train"] > 0 else float("nan")
            spw = one["wall"] / v["wall"] if one else float("nan")
            trip = round_trips(trips, w, tool, e2e) if t == "2" else []
            scale_rows.append((label, t, f"{v['wall']:.3f}", f"{v['train']:.3f}", f2(sp), f2(sp / int(t)),
                               f2(spw), f"{v['rss']:.1f}", ", ".join(f"{ns:.0f}" for ns, _ in trip) or "-"))
            scale_data.setdefault(label, []).append((int(t), sp))
            if t == "2" and w != "scale-small":
                rep.target(f"2 threads, whole run of {label} (training time)", ">= 1.7x", f"{sp:.2f}x", sp >= 1.7,
                           "" if sp >= 1.7 else step_why(label.split()[1].rstrip(","), whole=True) +
                           "; per batch, every thread gathers the shuffled rows" +
                           (placement_note(trip, one["train"]) if one else ""))
    if scale_rows:
        rep.add("## Thread scaling of whole runs\n")
        rep.add("`./runner --threads N` on the digits config and on wider models (150 epochs); speedup of the "
                "training time (the runner's clock, evaluation excluded) and of the wall time over 1 thread; the "
                "cross-core round trips taken before the wider models' 2-thread runs (ns, in repetition order; "
                f"under {NEAR_NS} the cores are near, see \"Optimizers and deeper models\").\n")
        rep.add(table(["model", "threads", "wall s", "training s", "speedup", "efficiency", "wall speedup",
                       "max RSS MiB", "round trips ns"], scale_rows) + "\n")
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
    targets, smoke = rep.targets, machine.get("run", "").startswith("smoke")
    if smoke:
        # BENCH_QUICK=1: short trainings and 2 repetitions check that every part runs; they measure nothing
        targets = [(what, goal, measured, "(smoke run)", "") for what, goal, measured, _, _ in targets]
        rep.md[1:1] = ["**A smoke run (`BENCH_QUICK=1`, `make bench-quick`): every workload trains for a few epochs "
                       "(the grid 5, the others 2), 2 repetitions each; the text describes the full bench's workloads. "
                       "It checks that every part runs and draws; its numbers are not measurements and no target is "
                       "judged. `make bench` measures.**\n"]
    summary = ["## Targets\n", table(["target", "goal", "measured", "", "note"], targets) + "\n"]
    at = 4 if smoke else 3  # after the title, the opening (and the smoke run's banner) and the machine
    rep.md[at:at] = summary
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
