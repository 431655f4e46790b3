# The cases of the runner's answers to bad input, shared by tests/cli_test.sh (which compares each answer with
# its golden file) and tests/cli_golden.sh (which rewrites the golden files). Each of them sources lib.sh,
# calls make_tmp, defines on_case [runner args...] (what to do with one case's answer) and then sources this
# file, which runs every case in turn. The broken HDF5 files come from tests/reference/make_bad_data.py.

# run_case NAME EXPECTED_STATUS [runner args...]: runs "$RUNNER" --results "$tmp/results" ARGS into $tmp/stdout
# and $tmp/stderr (the temporary folder's path written as $TMP), sets name, want, status and golden (the golden
# file $dir/NAME.expected), then calls on_case ARGS. (A shell function cannot be called "case": a reserved word.)
# A runner that hangs (a FIFO read forever, once) is stopped after 20 s: status 124, never a stuck test.
run_case() {
    name=$1
    want=$2
    shift 2
    golden=$dir/$name.expected
    rm -rf "$tmp/results" "$tmp/stdout" "$tmp/stderr"
    status=0
    timeout 20 "$RUNNER" --results "$tmp/results" --plots "$tmp/plots" "$@" >"$tmp/stdout" 2>"$tmp/stderr.raw" </dev/null ||
        status=$?
    sed "s|$tmp|\$TMP|g" "$tmp/stderr.raw" >"$tmp/stderr"
    on_case "$@"
}

# ---- config errors: exit 2, one file each ----------------------------------------------------------------------
dir=tests/bad_configs
for name in \
    malformed_line malformed_section unknown_section unknown_key_suggestion unknown_key duplicate_key \
    key_outside_section not_integer trailing_garbage empty_value nan inf overflow underflow \
    range_test_fraction range_batch_size range_threads bad_choice bad_boolean \
    layers_empty_width layers_negative layers_zero layers_words seeds_duplicate seeds_empty_item seeds_negative \
    name_parent name_absolute name_slash name_dot long_line several_errors \
    sweep_empty_item sweep_unknown_key sweep_logspace_zero sweep_name sweep_whole_experiment sweep_same_id \
    sweep_extra_argument string_comment string_too_long seeds_too_long sweep_long_id \
    range_validation_fraction range_early_stopping validation_no_rows validation_class_lost test_fraction_no_rows \
    early_stopping_no_validation several_rules \
    step_every_zero weight_decay_negative warmup_not_below_epochs min_lr_above_lr min_lr_above_swept_lr \
    warmup_swept_epochs schedule_unknown range_target_accuracy stop_at_target_no_target \
    noise_big_batch_below_batch noise_big_batch_one_batch noise_big_batch_above_rows comments_only \
    section_case sweep_linspace_count
do
    run_case "$name" 2 "$dir/$name.ini"
done

# an empty file: no section, no key (refused, not a run on every default)
: >"$tmp/empty.ini"
run_case empty_config 2 "$tmp/empty.ini"

# a NUL byte inside the value on line 7
{
    printf '[experiment]\nname = bad_config\n[data]\nfile = data/digits.h5\nscale = 0.0625\n[model]\n'
    printf '%s\000%s\n' 'hidden = 1' '6'
    printf '[train]\nepochs = 1\n'
} >"$tmp/nul_byte.ini"
run_case nul_byte 2 "$tmp/nul_byte.ini"

# 300 bytes of binary garbage from a fixed pattern (byte i is (37 i + 11) mod 256), so the golden is stable
fmt=
i=0
while [ $i -lt 300 ]; do
    fmt="$fmt\\$(printf %03o $(((i * 37 + 11) % 256)))"
    i=$((i + 1))
done
# shellcheck disable=SC2059 # the format is the data: octal escapes only, built above
printf "$fmt" >"$tmp/binary_garbage.ini"
run_case binary_garbage 2 "$tmp/binary_garbage.ini"

run_case missing_config 2 "$dir/no_such_config.ini"
run_case directory_config 2 "$dir"
# a FIFO or a device as the config blocked in open or read forever (/dev/zero spun at 100 % CPU): refused by kind
mkfifo "$tmp/fifo_config.ini"
run_case fifo_config 2 "$tmp/fifo_config.ini"
run_case device_config 2 /dev/zero
# a config beyond CONFIG_MAX_BYTES (1 MiB) is refused before it is read: 1100 lines of 1000 characters
awk 'BEGIN { s = "; "; while (length(s) < 1000) s = s "x"; for (i = 0; i < 1100; i++) print s }' \
    >"$tmp/too_large_config.ini"
run_case too_large_config 2 "$tmp/too_large_config.ini"

# ---- accepted: exit 0, nothing on stderr but a warning, results written ----------------------------------------
for name in accept_crlf accept_bom accept_inline_comments accept_indented accept_set_and_swept; do
    run_case "$name" 0 --set train.epochs=1 --quiet "$dir/$name.ini"
done
# one value by --set, then a list by a later --set sweep.: accepted as the same key set and swept in a file is,
# with a warning (the script's defaults, then its sweep)
run_case accept_set_then_sweep 0 --set train.epochs=1 --quiet --set model.hidden=8 --set "sweep.model.hidden=8, 4" \
    "$dir/valid.ini"

# ---- usage errors: exit 2 --------------------------------------------------------------------------------------
run_case usage_no_config 2
run_case usage_two_configs 2 "$dir/valid.ini" "$dir/valid.ini"
run_case usage_unknown_option 2 --bogus "$dir/valid.ini"
run_case usage_threads_not_integer 2 --threads abc "$dir/valid.ini"
run_case usage_shard_twice 2 --shard auto --shard 1/2 "$dir/valid.ini"
run_case usage_set_without_equals 2 --set train.epochs "$dir/valid.ini"
run_case usage_set_missing_value 2 --set "$dir/valid.ini"
run_case usage_threads_missing_value 2 --threads "$dir/valid.ini"
run_case usage_results_missing_value 2 --results "$dir/valid.ini"
run_case usage_collect_status 2 --collect --status "$dir/valid.ini"
run_case usage_collect_shard 2 --collect --shard 0/2 "$dir/valid.ini"
run_case usage_force_shard 2 --force --shard 0/2 "$dir/valid.ini"
run_case usage_set_unknown_key 2 --set train.nokey=1 "$dir/valid.ini"
# --threads N when experiment.threads is swept would change nothing: refused, as --set KEY=V for a swept key is
run_case usage_threads_swept 2 --threads 1 --set "sweep.experiment.threads=1, 2" "$dir/valid.ini"
# --verify reads the experiment's plan: a config or --set given with it would be ignored
run_case usage_verify_with_config 2 --verify x "$dir/valid.ini"
run_case usage_verify_config 2 --verify "$dir/valid.ini"
run_case usage_threads_empty 2 --threads '' "$dir/valid.ini"
run_case usage_verify_with_set 2 --verify x --set train.epochs=2
run_case usage_verify_force 2 --verify x --force
# a path to an experiment's folder where its name belongs: how to name it
mkdir -p "$tmp/exp/e" && : >"$tmp/exp/e/experiment.ini"
run_case usage_verify_path 2 --verify "$tmp/exp/e"
run_case usage_verify_path_slash 2 --verify "$tmp/exp/e//"
# a newline in a --set value would have split the run's config.ini line in two
run_case usage_set_newline 2 --set "data.features=X
[train]" "$dir/valid.ini"
run_case too_many_runs 2 --max-runs 5 --set "sweep.train.learning_rate=0.1, 0.2, 0.3" --set "experiment.seeds=1, 2" "$dir/valid.ini"
run_case too_much_memory 2 --max-memory 1G --set model.hidden=20000-20000 "$dir/valid.ini"

# ---- output error: exit 4 --------------------------------------------------------------------------------------
: >"$tmp/file"
run_case output_results_under_file 4 --results "$tmp/file/sub" "$dir/valid.ini"

# ---- data errors: exit 3, each config points at a file from tests/reference/make_bad_data.py -------------------
dir=tests/bad_data
for name in \
    not_hdf5 truncated directory missing_file no_features no_labels features_rank1 labels_rank2 \
    rows_mismatch zero_rows negative_label float_labels nan_feature inf_feature single_class \
    test_file_features init_wrong_shape init_missing_bias1 init_extra_layer features_key features_swept \
    stale_fnv1a64 features_path
do
    run_case "$name" 3 "$dir/$name.ini"
done
# a --set value's error says it came from --set
run_case set_data_file 3 --set data.file=tests/bad_data/none.h5 "$dir/no_features.ini"
run_case set_sweep_unknown_key 2 --set sweep.train.bogus=1,2 "$dir/no_features.ini"
run_case set_sweep_rule 2 --set sweep.train.warmup_epochs=0,1 "$dir/no_features.ini"
run_case set_sweep_same_id 2 --set "sweep.data.file=a/b.h5, a-b.h5" "$dir/no_features.ini"
# a swept value's error names the sweep that gave it, here over the file's own line
run_case set_sweep_features 3 --set sweep.data.features=X,Z "$dir/features_key.ini"
