#!/bin/sh
# report.html and index.html (issue 12), opened in a real headless browser (Debian's chromium), and --list and
# --compare. Run from the repo root:
#
#   RUNNER=./build/runner sh tests/html_test.sh     (RUNNER defaults to ./runner)
#
# A small sweep, a single run and an experiment on other data are trained into a temporary results root; the
# pages are checked as text (escaping, links, unique ids, no network; a batch size x learning rate study with a
# target has report.md's study rows and its plots inline), then loaded by chromium: no console
# error, every plot drawn at a non-zero size, the tables sortable, and a screenshot that is a real picture. Two
# broken pages prove those checks can fail. chromium is installed with experiments/deps.sh browser when it is
# missing; only when that fails or it cannot start are the browser cases skipped, saying so. Ends with one line
# "N passed, M failed"; exits non-zero when a case failed.

. "$(dirname "$0")/lib.sh"
need_runner html_test "build it with make runner, or set RUNNER"
make_tmp
r=$tmp/r

# expect CASE CONDITION... : passes when the command succeeds, else fails with the command as the reason.
expect() {
    c=$1
    shift
    if "$@"; then pass; else fail "$c" "$*"; fi
}

# ---- a sweep, a single run and an experiment on other data (a path with <, & and > in it) ----------------
capture "$RUNNER" --quiet --results "$r" --set train.epochs=3 --set sweep.train.learning_rate=0.1,1,10 configs/lr_sweep.ini
expect "train lr_sweep" [ "$status" = 0 ]
capture "$RUNNER" --quiet --results "$r" --set train.epochs=3 configs/digits.ini
expect "train digits" [ "$status" = 0 ]
odd="$tmp/a<b&c>.h5"
cp data/digits.h5 "$odd"
capture "$RUNNER" --quiet --results "$r" --set experiment.name=other --set "data.file=$odd" --set train.epochs=2 configs/digits.ini
expect "train other" [ "$status" = 0 ]
# two experiments (a root of their own) on one path whose contents changed between them
cp data/digits.h5 "$tmp/changing.h5"
capture "$RUNNER" --quiet --results "$tmp/c" --set experiment.name=before --set "data.file=$tmp/changing.h5" \
    --set train.epochs=1 configs/digits.ini
expect "train before" [ "$status" = 0 ]
cp tests/bad_data/good.h5 "$tmp/changing.h5"
capture "$RUNNER" --quiet --results "$tmp/c" --set experiment.name=after --set "data.file=$tmp/changing.h5" \
    --set train.epochs=1 configs/digits.ini
expect "train after" [ "$status" = 0 ]
# the same file as the test set, and a split of it: both record the file's checksum for their test data
capture "$RUNNER" --quiet --results "$tmp/c" --set experiment.name=split --set train.epochs=1 configs/digits.ini
expect "train split" [ "$status" = 0 ]
capture "$RUNNER" --quiet --results "$tmp/c" --set experiment.name=testfile --set data.test_file=data/digits.h5 \
    --set train.epochs=1 configs/digits.ini
expect "train testfile" [ "$status" = 0 ]
capture "$RUNNER" --quiet --no-plots --results "$tmp/c" configs/article_xor.ini
expect "train article_xor" [ "$status" = 0 ]
have_gnuplot=0
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=1

# ---- the pages as text ------------------------------------------------------------------------------------
for f in lr_sweep/report.html digits/report.html other/report.html index.html; do
    expect "$f written" [ -s "$r/$f" ]
done
# one inline SVG per plot, gnuplot's XML prolog stripped, nothing fetched from anywhere
svgs=$(grep -c '^<svg' "$r/lr_sweep/report.html")
if [ "$have_gnuplot" = 1 ]; then
    # as many as gnuplot drew for it (loss curves, accuracy against lr, time, the confusion matrix, ...)
    drawn=$(ls "$r/plots/lr_sweep/"*.svg | wc -l)
    expect "lr_sweep: one inline plot per SVG drawn ($svgs of $drawn)" [ "$svgs" = "$drawn" ] && [ "$drawn" -ge 3 ]
else
    expect "lr_sweep: no plots without gnuplot" grep -q 'gnuplot not found' "$r/lr_sweep/report.html"
fi
expect "no XML prolog inside the page" [ "$(grep -c '<?xml' "$r/lr_sweep/report.html")" = 0 ]
for f in lr_sweep/report.html index.html; do
    expect "$f: nothing from the network" [ "$(grep -Eci ' src=|<link|@import|https?://[^"]*\.(js|css)' "$r/$f")" = 0 ]
done
# ids unique in the page although every gnuplot SVG names its markers alike
dups=$(grep -o " id=[\"'][^\"']*[\"']" "$r/lr_sweep/report.html" | sort | uniq -d | head -3)
expect "unique ids ($dups)" [ -z "$dups" ]
# escaping: the odd data path appears escaped in the config and never raw
expect "escaped text" grep -q 'a&lt;b&amp;c&gt;\.h5' "$r/other/report.html"
expect "no raw text" [ "$(grep -c 'a<b&c>' "$r/other/report.html")" = 0 ]
# links: the index links every report, each report links back, and every relative link resolves
expect "index links lr_sweep" grep -q 'href="lr_sweep/report.html"' "$r/index.html"
expect "report links back" grep -q 'href="../index.html"' "$r/lr_sweep/report.html"
for f in index.html lr_sweep/report.html; do
    dir=$(dirname "$r/$f")
    grep -o 'href="[^"#]*"' "$r/$f" | sed 's/^href="//; s/"$//' | grep -v '^[a-z]*:' | sort -u >"$tmp/links"
    while read -r l; do
        [ -e "$dir/$l" ] || echo "$l"
    done <"$tmp/links" >"$tmp/broken"
    expect "$f: $(wc -l <"$tmp/links") links resolve ($(head -3 "$tmp/broken" | tr '\n' ' '))" [ ! -s "$tmp/broken" ]
done
# the best row is marked and the numbers are report.md's
expect "best row marked, validation then test accuracy" \
    grep -q '<tr class="best"><td class="text">1</td><td data-v="90.0463">90.05 &plusmn; 0.40</td><td data-v="89.2' \
    "$r/lr_sweep/report.html"
expect "report.md agrees" grep -q '| \*\*1\*\* | \*\*90.05 ± 0.40\*\* | \*\*89.23 ± 3.48\*\*' "$r/lr_sweep/report.md"
# report.md's other sections are in the page too: the per-class table, the diverged runs; the index says which set
# chose each best point
expect "per-class table in the page" grep -q '<h2>Per-class results</h2>' "$r/lr_sweep/report.html"
rows_html=$(grep -c '^<tr><td>[0-9]*</td><td class="text">' "$r/lr_sweep/report.html")
rows_md=$(sed -n '/^## Per-class results/,/^## /p' "$r/lr_sweep/report.md" | grep -c '^| [0-9]')
expect "per-class rows as report.md's: 10 ($rows_html, $rows_md)" [ "$rows_html $rows_md" = "10 10" ]
expect "diverged runs in the page" grep -q '<h2>Diverged runs</h2>' "$r/lr_sweep/report.html"
expect "index.html: selected on" grep -q '<code>learning_rate=1</code></td><td class="text">validation</td>' "$r/index.html"

# ---- without rendering, and without gnuplot: the page says why there is no plot ---------------------------
# an image left by an earlier render would show beside the new numbers: a report that draws none removes them
mkdir -p "$tmp/np/plots/digits" "$tmp/ng/plots/digits"
: >"$tmp/np/plots/digits/loss_curves.png"
: >"$tmp/ng/plots/digits/acc_curves.svg"
capture "$RUNNER" --quiet --no-plots --results "$tmp/np" --set train.epochs=2 configs/digits.ini
expect "--no-plots: no image left from before" [ ! -e "$tmp/np/plots/digits/loss_curves.png" ]
expect "--no-plots: says so" grep -q 'plots were not rendered (--no-plots)' "$tmp/np/digits/report.html"
expect "--no-plots: says how to show them" grep -q 'run the config again where gnuplot is installed and without' \
    "$tmp/np/digits/report.html"
expect "--no-plots: no inline plot" [ "$(grep -c '<svg' "$tmp/np/digits/report.html")" = 0 ]
capture env PATH=/nonexistent "$RUNNER" --quiet --results "$tmp/ng" --set train.epochs=2 configs/digits.ini
expect "no gnuplot: exit 0" [ "$status" = 0 ]
expect "no gnuplot: no image left from before" [ ! -e "$tmp/ng/plots/digits/acc_curves.svg" ]
expect "no gnuplot: the page says so" grep -q 'No plot is drawn in this page: gnuplot not found' "$tmp/ng/digits/report.html"
expect "no gnuplot: report.md says so, and how to draw them" grep -q '^Not drawn yet: gnuplot not found.*make plots' \
    "$tmp/ng/digits/report.md"
expect "--no-plots: report.md says so" grep -q '^Not drawn yet: the plots were not rendered (--no-plots)' \
    "$tmp/np/digits/report.md"
expect "--no-plots: report.md says the note stays until a run with plots" \
    grep -q 'this note stays until the config runs again with its plots' "$tmp/np/digits/report.md"
# a run from before confusion.tsv (its curve.dat without the lr column, which came with the file): the per-class
# sums say how many runs they hold
capture "$RUNNER" --quiet --no-plots --results "$tmp/cf" --set train.epochs=1 --set "experiment.seeds=1, 2" \
    configs/digits.ini
rm -f "$tmp/cf/digits/runs/seed=2/confusion.tsv"
awk '{ NF = NR == 1 ? 9 : 8; print }' "$tmp/cf/digits/runs/seed=2/curve.dat" >"$tmp/curve" &&
    mv "$tmp/curve" "$tmp/cf/digits/runs/seed=2/curve.dat"
capture "$RUNNER" --quiet --no-plots --results "$tmp/cf" --set train.epochs=1 --set "experiment.seeds=1, 2" \
    configs/digits.ini
expect "a missing confusion.tsv: the per-class table counts 1 of 2 runs" \
    grep -q 'at the best point (1 of its 2 runs, the others without confusion.tsv)' "$tmp/cf/digits/report.md"
# make plots draws another root's plots with PLOTS=ROOT
expect "no gnuplot: the command for this root" grep -qF "then make plots PLOTS=$tmp/ng/plots)" "$tmp/ng/digits/report.md"
expect "--no-plots: the command for this root" grep -qF "(or \`make plots PLOTS=$tmp/np/plots\` for every experiment)" \
    "$tmp/np/digits/report.md"

# ---- the study: a batch size x learning rate sweep with a target gets its section and plots in the page ----
cat >"$tmp/study.ini" <<'INI'
[experiment]
name = study
seeds = 1
[sweep]
train.batch_size = 32, 128
train.learning_rate = 0.5, 2
INI
capture "$RUNNER" --quiet --results "$tmp/st" --set data.scale=0.0625 --set model.hidden=16 --set train.epochs=8 \
    --set train.target_accuracy=0.8 --set train.stop_at_target=true "$tmp/study.ini"
expect "study: exit 0" [ "$status" = 0 ]
h=$tmp/st/study/report.html
expect "study: the section" grep -q '<h2>Study: steps to the target</h2>' "$h"
expect "study: a fit of two batch sizes says its errors need 3 points, never nan" \
    sh -c "grep -q '<td>– (needs 3 points)</td>' '$h' && ! sed -n '/id=\"study-fit\"/,/<\/table>/p' '$h' | grep -q nan"
# the table holds report.md's rows: batch size, best learning rate, seeds reached, median steps
grep '^| [0-9]* | [0-9.]* | [0-9]* of [0-9]* | [0-9]* |' "$tmp/st/study/report.md" |
    awk -F' [|] ' '{ sub(/^[|] /, ""); split($3, r, " of "); printf "<tr><td>%s</td><td>%s</td><td data-v=\"%s\">%s</td><td>%s</td>\n", $1, $2, r[1], $3, $4 }' >"$tmp/rows"
expect "study: two batch sizes in report.md" [ "$(wc -l <"$tmp/rows")" = 2 ]
while read -r row; do
    expect "study: row $row" grep -qF "$row" "$h"
done <"$tmp/rows"
for p in study_steps study_time study_lr; do
    expect "study: figure $p" grep -q "<figure id=\"$p\">" "$h"
    [ "$have_gnuplot" = 0 ] || expect "study: $p inline" [ "$(sed -n "/<figure id=\"$p\">/,/<\/figure>/p" "$h" | grep -c '^<svg')" = 1 ]
done
dups=$(grep -o " id=[\"'][^\"']*[\"']" "$h" | sort | uniq -d | head -3)
expect "study: unique ids ($dups)" [ -z "$dups" ]
expect "study: no section without a target" [ "$(grep -c 'Study:' "$r/lr_sweep/report.html")" = 0 ]

# ---- --list ----------------------------------------------------------------------------------------------
capture "$RUNNER" --results "$r" --list
expect "--list: exit 0" [ "$status" = 0 ]
expect "--list: header and three lines" [ "$(wc -l <"$tmp/out")" = 4 ]
expect "--list: lr_sweep line" grep -Eq '^lr_sweep +9/9 +89\.23 ± 3\.48 +learning_rate=1 +20[0-9-]+ [0-9:]+$' "$tmp/out"
expect "--list: digits line (one seed: no spread shown)" grep -Eq '^digits +1/1 +[0-9.]+ +all +20' "$tmp/out"
# aligned: the runs column starts at the same place on every line
cols=$(awk '{ print index($0, $2) }' "$tmp/out" | sort -u | wc -l)
expect "--list: aligned" [ "$cols" = 1 ]
# a sweep stopped by SIGINT after its first run: the runs planned are known though not all were trained
"$RUNNER" --quiet --no-plots --results "$tmp/p" --set experiment.name=part --set experiment.seeds=1 \
    --set experiment.parallel_runs=1 --threads 1 --set train.epochs="${HTML_STOP_EPOCHS:-600}" \
    --set sweep.train.learning_rate=0.1,0.2,0.3,0.4 \
    configs/lr_sweep.ini >/dev/null 2>&1 </dev/null &
pid=$!
i=0
# (up to 5 minutes, leaving as soon as the first run commits: 600 epochs took over a minute under make asan's
# sanitizers, which sets HTML_STOP_EPOCHS lower)
while [ "$i" -lt 6000 ] && [ -z "$(ls "$tmp/p/part/runs" 2>/dev/null)" ]; do
    sleep 0.05
    i=$((i + 1))
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
capture "$RUNNER" --results "$tmp/p" --list
expect "--list: a stopped sweep shows committed of planned ($(tail -1 "$tmp/out"))" \
    grep -Eq '^part +[123]/4 ' "$tmp/out"
# a sweep of shards before --collect has no tables: --list shows it with its committed runs, --compare says why
capture "$RUNNER" --quiet --no-plots --results "$tmp/sh" --shard 0/2 --set train.epochs=1 --set experiment.seeds=1 \
    configs/lr_sweep.ini
capture "$RUNNER" --quiet --no-plots --results "$tmp/sh" --set train.epochs=1 configs/digits.ini
capture "$RUNNER" --results "$tmp/sh" --list
expect "--list: shards not collected yet ($(grep lr_sweep "$tmp/out"))" \
    grep -Eq '^lr_sweep +6/11 +- +\(no tables yet: --collect, or run its config\) +-$' "$tmp/out"
capture "$RUNNER" --results "$tmp/sh" --compare digits lr_sweep
expect "--compare: shards not collected: exit 2, says so ($(cat "$tmp/err"))" sh -c "[ $status = 2 ] &&
    grep -q \"experiment 'lr_sweep' has no tables yet\" '$tmp/err'"
capture "$RUNNER" --results "$tmp/none" --list
expect "--list: missing root exits 2" [ "$status" = 2 ]
expect "--list: one line" [ "$(wc -l <"$tmp/err")" = 1 ]
expect "--list: naming the root" grep -q "$tmp/none: no results folder" "$tmp/err"
expect "--list: nothing on stdout" [ ! -s "$tmp/out" ]
capture "$RUNNER" --list configs/digits.ini
expect "--list with a config: exit 2" [ "$status" = 2 ]

# ---- --compare -------------------------------------------------------------------------------------------
capture "$RUNNER" --results "$r" --compare digits lr_sweep
md=$r/compare-digits+lr_sweep.md
expect "--compare: exit 0" [ "$status" = 0 ]
expect "--compare: markdown" [ -s "$md" ]
expect "--compare: lr_sweep row" grep -q '^| \[lr_sweep\](lr_sweep/report.md) | `learning_rate=1` | validation | 89.23 ± 3.48 |' "$md"
expect "--compare: digits row" grep -q '^| \[digits\](digits/report.md) | `all` |' "$md"
expect "--compare: plot linked" grep -q '(plots/compare-digits+lr_sweep/loss_curves.png)' "$md"
expect "--compare: two curves in the data" [ "$(grep -c '^# index' "$r/plots/compare-digits+lr_sweep/loss_curves.dat")" = 2 ]
expect "--compare: 4 epochs each" [ "$(grep -c '^[0-9]' "$r/plots/compare-digits+lr_sweep/loss_curves.dat")" = 8 ]
[ "$have_gnuplot" = 0 ] || expect "--compare: plot rendered" [ -s "$r/plots/compare-digits+lr_sweep/loss_curves.svg" ]
# the same contents at another path compare (other: a copy of digits.h5)
capture "$RUNNER" --results "$r" --no-plots --compare digits other
expect "--compare: the same data at another path: exit 0 ($(head -c 200 "$tmp/err"))" [ "$status" = 0 ]
expect "--compare --no-plots: the table says the plot is not drawn" \
    grep -q '^Not drawn yet: plot not rendered (--no-plots)' "$r/compare-digits+other.md"
expect "--compare --no-plots: no image" [ ! -e "$r/plots/compare-digits+other/loss_curves.png" ]
# four names of 63 characters: a comparison's name past 200 characters keeps its start and ends in a hash (it was past
# a file name's 255 bytes: exit 4)
long=
for i in 1 2 3 4; do
    n=$(printf 'long%s_%057d' "$i" 0)
    capture "$RUNNER" --quiet --no-plots --results "$tmp/long" --set "experiment.name=$n" --set train.epochs=1 \
        configs/digits.ini
    long="$long $n"
done
# shellcheck disable=SC2086 # long is a list of names
capture "$RUNNER" --results "$tmp/long" --no-plots --compare $long
got=$(ls "$tmp/long" | grep '^compare-')
expect "--compare of four 63-character names: exit 0 ($(head -c 200 "$tmp/err"))" [ "$status" = 0 ]
expect "--compare of four 63-character names: a name of 200 characters and a hash ($got)" \
    sh -c "echo '$got' | grep -Eqx 'compare-long1_0+\+long2_0+\+long3_0+~[0-9a-f]{16}\.md' && [ ${#got} = 203 ]"
ls "$r" >"$tmp/before"
for c in "digits nosuch:'nosuch'" \
         "digits:1 experiment given" "digits digits:'digits' given twice" "digits ../r:'../r'"; do
    names=${c%%:*}
    # shellcheck disable=SC2086 # names is a list of words
    capture "$RUNNER" --results "$r" --compare $names
    if [ "$status" != 2 ] || [ "$(wc -l <"$tmp/err")" != 1 ] || ! grep -qF "${c#*:}" "$tmp/err"; then
        fail "--compare $names" "exit $status, stderr: $(head -c 300 "$tmp/err")"
    else
        pass
    fi
done
ls "$r" >"$tmp/after"
expect "--compare refused: nothing written" cmp -s "$tmp/before" "$tmp/after"
# the same path, other contents: refused on the checksums the runs' manifests record
ls "$tmp/c" >"$tmp/before"
capture "$RUNNER" --results "$tmp/c" --compare before after
expect "--compare: changed contents at one path: exit 2 ($status)" [ "$status" = 2 ]
expect "--compare: changed contents at one path: one line" [ "$(wc -l <"$tmp/err")" = 1 ]
expect "--compare: names the data ($(head -c 200 "$tmp/err"))" \
    grep -qF "'after' is not comparable with 'before': its training data differ (FNV-1a 64 " "$tmp/err"
capture "$RUNNER" --results "$tmp/c" --compare split testfile
expect "--compare: a test file against a split of the same file: exit 2 ($status)" [ "$status" = 2 ]
expect "--compare: names the test sets ($(head -c 200 "$tmp/err"))" grep -qF "'testfile' is not comparable with \
'split': its test set is data.test_file, that of 'split' a split of data.file" "$tmp/err"
# other training data and a test file against a split (digits against XOR): the training data is named first
capture "$RUNNER" --results "$tmp/c" --compare split article_xor
expect "--compare: another training file is named first ($(head -c 200 "$tmp/err"))" \
    grep -qF "'article_xor' is not comparable with 'split': its training data differ" "$tmp/err"
ls "$tmp/c" >"$tmp/after"
expect "--compare refused on the checksums: nothing written" cmp -s "$tmp/before" "$tmp/after"

# ---- the browser -----------------------------------------------------------------------------------------
command -v chromium >/dev/null 2>&1 || sh experiments/deps.sh browser >/dev/null 2>&1
browser() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$tmp/profile" --hide-scrollbars \
        --enable-logging=stderr --v=0 "$@" 2>"$tmp/log" </dev/null
}
if ! command -v chromium >/dev/null 2>&1; then
    skip "browser" "chromium not installed (and experiments/deps.sh browser could not install it)"
elif ! browser --dump-dom "about:blank" >"$tmp/dom" || ! grep -q '<body' "$tmp/dom"; then
    skip "browser" "chromium cannot run here: $(grep -v dbus "$tmp/log" | tail -1)"
else
    # load PAGE: the DOM after the page's own check (#check) in $tmp/dom, chromium's log in $tmp/log
    load() { browser --dump-dom "file://$1#check" >"$tmp/dom"; }
    attr() { sed -n "s/.*<body[^>]* $1=\"\([^\"]*\)\".*/\1/p" "$tmp/dom" | head -1; }
    console_errors() { grep -E 'Uncaught|CONSOLE' "$tmp/log" | head -3; }
    # page CASE PAGE IMAGES TOP: no error, IMAGES images all drawn at a non-zero size, TOP first after sorting
    page() {
        load "$2"
        e=$(console_errors)
        if [ -n "$e" ] || [ "$(attr data-errors)" != none ]; then
            fail "$1" "errors in the page: $e $(attr data-errors)"
        elif [ "$(attr data-images)" != "$3" ] || [ "$(attr data-empty-images)" != 0 ]; then
            fail "$1" "$(attr data-images) images ($3 expected), $(attr data-empty-images) of them drawn empty"
        elif [ "$(attr data-top)" != "$4" ]; then
            fail "$1" "sorted by accuracy, '$(attr data-top)' comes first, not '$4'"
        else
            pass
        fi
    }
    n=0
    [ "$have_gnuplot" = 1 ] && n=$(ls "$r/plots/lr_sweep/"*.svg | wc -l)
    page "browser: lr_sweep report" "$r/lr_sweep/report.html" "$n" 1
    [ "$have_gnuplot" = 1 ] && n=$(ls "$r/plots/digits/"*.svg | wc -l)
    page "browser: digits report" "$r/digits/report.html" "$n" all
    page "browser: index" "$r/index.html" 0 lr_sweep
    # the drawn plots are as wide as the page lets them be
    load "$r/lr_sweep/report.html"
    w=$(grep -o '<svg [^>]*data-w="[0-9]*"' "$tmp/dom" | sed 's/.*data-w="//; s/"//' | sort -un | head -1)
    [ "$have_gnuplot" = 0 ] || expect "browser: plots drawn at least 500 px wide ($w)" [ "${w:-0}" -ge 500 ]
    # the checks can fail: a page with a script error, and one with an image drawn empty
    sed 's|</body>|<script>no_such_function();</script></body>|' "$r/lr_sweep/report.html" >"$r/lr_sweep/bad1.html"
    load "$r/lr_sweep/bad1.html"
    expect "browser: a script error is seen in the log" [ -n "$(console_errors)" ]
    expect "browser: a script error is seen in the page" [ "$(attr data-errors)" != none ]
    sed 's|</body>|<figure><svg width="0" height="0"></svg></figure></body>|' "$r/lr_sweep/report.html" \
        >"$r/lr_sweep/bad2.html"
    load "$r/lr_sweep/bad2.html"
    expect "browser: an empty image is seen" [ "$(attr data-empty-images)" = 1 ]
    # a screenshot of the report: a PNG of the window's size, not one flat colour, with coloured curves in it
    rm -f "$tmp/shot.png"
    browser --window-size=1000,1400 --screenshot="$tmp/shot.png" "file://$r/lr_sweep/report.html" >/dev/null
    if [ ! -s "$tmp/shot.png" ]; then
        fail "browser: screenshot" "no PNG written: $(grep -v dbus "$tmp/log" | tail -1)"
    elif [ ! -x /usr/bin/python3 ]; then
        skip "browser: screenshot" "/usr/bin/python3 missing to read the PNG"
    else
        status=0
        /usr/bin/python3 - "$tmp/shot.png" "$have_gnuplot" >"$tmp/png" 2>&1 <<'EOF' || status=$?
# Decodes an 8-bit RGB(A) PNG with zlib alone; passes when it is 1000 x 1400, has many colours, between 2 % and
# 60 % of its pixels not white, and (with plots) saturated pixels: the coloured curves.
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, head = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        head = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
w, h, depth, ctype = head[:4]
assert (w, h) == (1000, 1400), "size %dx%d" % (w, h)
assert depth == 8 and ctype in (2, 6), "depth %d colour type %d" % (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw, stride, prev, rows = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(bytes(line))
    prev = line
colours, ink, vivid = set(), 0, 0
for line in rows:
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        colours.add((r, g, b))
        ink += (r, g, b) != (255, 255, 255)
        vivid += max(r, g, b) - min(r, g, b) > 80
share = ink / (w * h)
print("%d colours, %.1f %% ink, %d vivid pixels" % (len(colours), 100 * share, vivid))
assert len(colours) >= 50 and 0.02 <= share <= 0.6, "flat or empty"
assert sys.argv[2] == "0" or vivid >= 500, "no coloured curve"
EOF
        expect "browser: screenshot ($(tail -1 "$tmp/png"))" [ "$status" = 0 ]
    fi
fi

finish
