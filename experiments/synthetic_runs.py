#!/usr/bin/python3
"""Writes a synthetic committed experiment of N runs (1,000, 10,000 or 100,000) for timing --collect, --status and
the plan at scale: one real tiny run (digits, 1 epoch, 4 hidden units) trained by the runner itself (--shard 0/N
owns exactly one run), then every other run of the plan as a folder whose config.ini says its own batch size,
evaluation interval, epochs and seed, its other files hard links to the real run's (identical numbers are fine for
timing; every run passes the store's checks), its curve.dat and result.tsv to copies with the rows of its own
evaluation interval and epochs.
Then times --dry-run, --status and --collect with /usr/bin/time -v.

usage: experiments/synthetic_runs.py N [DIR] [RUNNER]   (DIR default /tmp/synthetic-N, RUNNER default ./runner)
"""
import os
import re
import shutil
import subprocess
import sys
import time

# batch sizes x evaluation intervals x epoch counts x seeds (a swept key has at most 64 values, an INI line 199
# characters)
SIZES = {1000: (50, 1, 1, 20), 10000: (50, 20, 1, 10), 100000: (50, 20, 5, 20)}


def config_text(n):
    batches, evals, epochs, seeds = SIZES[n]
    data = os.path.abspath("data/digits.h5")
    return f"""[experiment]
name = synthetic
seeds = {", ".join(str(s) for s in range(1, seeds + 1))}
threads = 1
[data]
file = {data}
scale = 0.0625
[model]
hidden = 4
""" + ("" if epochs > 1 else "[train]\nepochs = 1\n") + f"""[sweep]
train.batch_size = linspace(1, {batches}, {batches})
""" + (f"train.eval_every = linspace(1, {evals}, {evals})\n" if evals > 1 else "") + (
        f"train.epochs = linspace(1, {epochs}, {epochs})\n" if epochs > 1 else "")


CURVES = {}
RESULTS = {}


def curve_for(root, real, every, epochs):
    """A curve.dat with the rows a run of train.eval_every = every and train.epochs = epochs keeps (0, every every-th
    epoch, and epochs), each a copy of the real run's row of that epoch or its last, written once per pair under
    root."""
    if (every, epochs) not in CURVES:
        with open(os.path.join(real, "curve.dat")) as f:
            header, *rows = f.read().splitlines(True)
        keep = [str(e) + rows[min(e, len(rows) - 1)][len(rows[min(e, len(rows) - 1)].split()[0]):]
                for e in range(epochs + 1) if e % every == 0 or e == epochs]
        path = os.path.join(root, f"curve-{every}-{epochs}.dat")
        with open(path, "w") as f:
            f.write(header + "".join(keep))
        CURVES[every, epochs] = path
    return CURVES[every, epochs]


def result_for(root, real, epochs):
    """The real run's result.tsv with epochs_done = epochs (a run that trained to its end) and its best epoch no later,
    written once per epoch count under root."""
    if epochs not in RESULTS:
        with open(os.path.join(real, "result.tsv")) as f:
            header, row = f.read().splitlines(True)
        cells = row.split("\t")
        cells[1] = str(epochs)
        cells[7] = str(min(int(cells[7]), epochs))  # best_epoch: an evaluated epoch
        path = os.path.join(root, f"result-{epochs}.tsv")
        with open(path, "w") as f:
            f.write(header + "\t".join(cells))
        RESULTS[epochs] = path
    return RESULTS[epochs]


def timed(label, cmd):
    """Runs cmd under /usr/bin/time -v; prints the wall time and the peak memory."""
    t = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    wall = time.monotonic() - t
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    print(f"{label}: exit {p.returncode}, {wall:.2f} s, peak memory {int(rss.group(1)) / 1024 if rss else -1:.1f} MiB")
    return p


def main():
    n = int(sys.argv[1])
    if n not in SIZES:
        sys.exit(f"N must be one of {sorted(SIZES)}")
    root = sys.argv[2] if len(sys.argv) > 2 else f"/tmp/synthetic-{n}"
    runner = sys.argv[3] if len(sys.argv) > 3 else "./runner"
    os.makedirs(root, exist_ok=True)
    cfg = os.path.join(root, "synthetic.ini")
    with open(cfg, "w") as f:
        f.write(config_text(n))
    common = ["--quiet", "--no-plots", "--max-runs", str(n), "--results", os.path.join(root, "results"), cfg]
    subprocess.run([runner, "--shard", f"0/{n}"] + common, check=True)
    plan = subprocess.run([runner, "--dry-run"] + common, check=True, capture_output=True, text=True).stdout
    ids = [line.split("\t")[3] for line in plan.splitlines() if not line.startswith("#")]
    runs = os.path.join(root, "results", "synthetic", "runs")
    real = next(i for i in ids if os.path.isdir(os.path.join(runs, i)))
    with open(os.path.join(runs, real, "config.ini")) as f:
        template = f.read()
    t = time.monotonic()
    source = os.path.join(runs, real)
    for k, run_id in enumerate(ids):
        if k % 50000 == 49999:  # a file has at most 65,000 links on ext4: link from a fresh copy
            source = os.path.join(root, f"source-{k}")
            shutil.copytree(os.path.join(runs, real), source, dirs_exist_ok=True)
        d = os.path.join(runs, run_id)
        if os.path.isdir(d):
            continue
        values = {k.lstrip("_"): v for k, v in re.findall(r"([a-z_]+)=([^_]+)", run_id)}
        text = re.sub(r"(?m)^batch_size = .*$", f"batch_size = {values['batch_size']}", template)
        text = re.sub(r"(?m)^eval_every = .*$", f"eval_every = {values.get('eval_every', '1')}", text)
        text = re.sub(r"(?m)^epochs = .*$", f"epochs = {values.get('epochs', '1')}", text)
        text = re.sub(r"seed \d+$", f"seed {values['seed']}", text, count=1, flags=re.M)
        os.mkdir(d + ".part")
        for name in ("weights.h5", "manifest.txt", "confusion.tsv"):
            os.link(os.path.join(source, name), os.path.join(d + ".part", name))
        every, epochs = int(values.get("eval_every", "1")), int(values.get("epochs", "1"))
        os.link(curve_for(root, os.path.join(runs, real), every, epochs), os.path.join(d + ".part", "curve.dat"))
        os.link(result_for(root, os.path.join(runs, real), epochs), os.path.join(d + ".part", "result.tsv"))
        with open(os.path.join(d + ".part", "config.ini"), "w") as f:
            f.write(text)
        os.rename(d + ".part", d)
    print(f"{n} runs written in {time.monotonic() - t:.1f} s under {root}")
    timed("--dry-run (plan, cost and shard selection of 1000 shards)",
          [runner, "--dry-run", "--shard", "0/1000"] + common[2:])
    timed("--status", [runner, "--status"] + common[2:])
    p = timed("--collect", [runner, "--collect"] + common)
    if p.returncode:
        print(p.stderr[-2000:])
    h5 = os.path.join(root, "results", "synthetic", "results.h5")
    if os.path.exists(h5):
        print(f"results.h5: {os.path.getsize(h5) / 1048576:.1f} MiB")


if __name__ == "__main__":
    main()
