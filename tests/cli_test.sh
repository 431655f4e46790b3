#!/bin/sh
# Golden tests of the runner's answers to bad input: broken configs, usage errors, broken data and an unwritable
# results root (the cases are in tests/cli_cases.sh). Run from the repo root:
#
#   RUNNER=./build/runner sh tests/cli_test.sh     (RUNNER defaults to ./runner)
#
# Each case runs the runner once with --results "$tmp/results" and checks
#   (a) the exit status,
#   (b) stderr equals the golden file tests/bad_configs/NAME.expected or tests/bad_data/NAME.expected exactly
#       (the temporary folder's path is written as $TMP),
#   (c) nothing was created under "$tmp/results" (for the accepted cases, status 0: that results were written),
#   (d) stdout is empty.
# This test only compares: make golden rewrites the golden files (tests/cli_golden.sh). A golden is a promise
# about a message: read every changed .expected file before committing it (it must name the file and line, the
# section.key, what is wrong and what is allowed). Ends with one line "N passed, M failed".

. "$(dirname "$0")/lib.sh"
need_runner cli_test "build it with make runner, or set RUNNER"
make_tmp
dir=

# on_case [runner args...]: the answer of run_case (tests/cli_cases.sh) checked against its golden file.
on_case() {
    why=
    if [ "$status" != "$want" ]; then
        why="$why; exit status $status, expected $want"
    fi
    if [ ! -f "$golden" ]; then
        why="$why; no golden file $golden (make golden writes it)"
    elif ! cmp -s "$tmp/stderr" "$golden"; then
        why="$why; stderr differs from $golden"
    fi
    created=
    if [ -e "$tmp/results" ] && { [ ! -d "$tmp/results" ] || [ -n "$(ls -A "$tmp/results")" ]; }; then
        created=1
    fi
    if [ "$want" = 0 ]; then
        [ -n "$created" ] || why="$why; no results were written"
    elif [ -n "$created" ]; then
        why="$why; files were created under the results root"
    fi
    if [ -s "$tmp/stdout" ]; then
        why="$why; stdout is not empty"
    fi

    [ -z "$why" ]
    check "$dir/$name" $? "${why#; }"
    [ -z "$why" ] && return
    printf "  command: %s --results \$TMP/results %s\n" "$RUNNER" "$*"
    if [ -f "$golden" ] && ! cmp -s "$tmp/stderr" "$golden"; then
        diff -u "$golden" "$tmp/stderr" | sed 's/^/  /'
    elif [ ! -f "$golden" ]; then
        sed 's/^/  stderr: /' "$tmp/stderr"
    fi
    if [ -n "$created" ] && [ "$want" != 0 ]; then
        (cd "$tmp" && find results) | sed 's/^/  created: /'
    fi
    if [ -s "$tmp/stdout" ]; then
        sed 's/^/  stdout: /' "$tmp/stdout"
    fi
}

. "$(dirname "$0")/cli_cases.sh"
finish
