#!/bin/sh
# Rewrites the golden files of tests/cli_test.sh (tests/bad_configs/*.expected, tests/bad_data/*.expected) from
# what the runner answers now; run by make golden. A golden is a promise about a message: read every changed
# file (git diff) before committing it. A case whose exit status is not the expected one is not written: the
# script names it and fails, since a golden must not record a wrong answer. Ends with "N written, M unchanged".

. "$(dirname "$0")/lib.sh"
need_runner cli_golden "build it with make runner, or set RUNNER"
make_tmp
dir=
written=0

# on_case: writes the golden file of run_case's answer (tests/cli_cases.sh) from its stderr.
on_case() {
    [ "$status" = "$want" ]
    check "$dir/$name" $? "exit status $status, expected $want: not written"
    [ "$status" = "$want" ] || return
    if ! cmp -s "$tmp/stderr" "$golden" 2>/dev/null; then
        cp "$tmp/stderr" "$golden"
        echo "wrote $golden"
        written=$((written + 1))
    fi
}

. "$(dirname "$0")/cli_cases.sh"
echo "$written written, $((passed - written)) unchanged"
[ "$failed" = 0 ]
