# Reliability checks (README, "Reliability"): the test suite under AddressSanitizer + UndefinedBehaviorSanitizer,
# valgrind's memcheck on short runs, the config fuzzer, a full disk and a read-only results directory.
# Included by the Makefile; on its own: make -f Makefile -f experiments/reliability.mk TARGET.
#
#   make asan        build/asan: make test (the Check tests and every shell suite) under ASan + UBSan + LSan
#   make valgrind    build/valgrind (no -march=native: valgrind cannot decode AVX-512; linked against the shared
#                    C library, whose malloc valgrind replaces), tests/valgrind_test.sh
#   make fuzz        libFuzzer on the config layer for FUZZ_TIME seconds (default 60) from tests/fuzz_corpus
#   make fuzz-long   the same for an hour
#   make disk-full   tests/disk_full_test.sh: ENOSPC mid-sweep, then resume; a read-only results directory
#   make stress      tests/stress_kill.sh: ROUNDS (200) SIGKILLs at random moments, each followed by --verify

# Packages beyond the build's come from experiments/deps.sh reliability: clang with libFuzzer's runtime, valgrind.
FUZZ_CC     ?= clang
FUZZ_BUILD  ?= build/fuzz
FUZZ_TIME   ?= 60
# The fuzzer links the config files and sweep.c only: the config layer has no HDF5 and no OpenMP.
FUZZ_CFLAGS  = -std=c11 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter -D_POSIX_C_SOURCE=200809L \
               -D_DEFAULT_SOURCE -Isrc $(shell pkg-config --cflags inih)
# New inputs go to $(FUZZ_BUILD)/corpus (the first folder), never into the committed seeds; a crashing input is
# written to $(FUZZ_BUILD)/crash-<sha1> and the target fails.
FUZZ_ARGS    = -max_len=4096 -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ \
               $(FUZZ_BUILD)/corpus tests/fuzz_corpus

# UB stops the run (-fno-sanitize-recover) instead of printing and going on; leaks fail it at exit.
ASAN_SAN     = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ASAN_ENV     = ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
               UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
               RESUME_EPOCHS=10 PREEMPT_EPOCHS=160 CLUSTER_EPOCHS=40 FUSED_ONE_EPOCHS=1000 FUSED_TEAM_EPOCHS=15 \
               HTML_STOP_EPOCHS=40
# (the sanitized runner is tens of times slower: resume_test's 12-run sweep takes 29 s at 40 epochs, and its kills
# come later each time until runs are committed, so 10 epochs (about 7 s) keep the test near half a minute; 40
# epochs still outlast cluster_test's kills, in a fraction of the time 1000 take; preempt_test kills once a
# checkpoint exists, 0.1 s into training, and times its SIGTERM from its sweep's own length: 160 epochs, about 11 s
# sanitized, still run past both; fused_test's cases (4) and (5) at a tenth of their length train about as long
# sanitized as whole ones do plain)

.PHONY: asan valgrind fuzz fuzz-long disk-full stress reliability-deps

reliability-deps: deps
	@sh experiments/deps.sh reliability

asan: reliability-deps
	$(ASAN_ENV) $(MAKE) BUILD=build/asan OPT=-O1 SAN="$(ASAN_SAN)" run-tests

valgrind: reliability-deps
	$(MAKE) BUILD=build/valgrind ARCH= STATIC_RUNNER=0 build/valgrind/runner
	RUNNER=./build/valgrind/runner sh tests/valgrind_test.sh

FUZZ_SRC     = src/config.c src/config_value.c src/config_load.c src/sweep.c src/fileio.c src/timing.c
$(FUZZ_BUILD)/fuzz_config: tests/fuzz_config.c $(FUZZ_SRC) src/config.h src/config_key.h src/sweep.h src/mlp.h \
                           | reliability-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz_config.c $(FUZZ_SRC) \
	  $(shell pkg-config --libs inih) -lm

fuzz: $(FUZZ_BUILD)/fuzz_config
	@mkdir -p $(FUZZ_BUILD)/corpus
	./$(FUZZ_BUILD)/fuzz_config -max_total_time=$(FUZZ_TIME) $(FUZZ_ARGS)

fuzz-long: $(FUZZ_BUILD)/fuzz_config
	@mkdir -p $(FUZZ_BUILD)/corpus
	./$(FUZZ_BUILD)/fuzz_config -max_total_time=3600 $(FUZZ_ARGS)

disk-full: $(BUILD)/runner
	RUNNER=./$(BUILD)/runner sh tests/disk_full_test.sh

stress: $(BUILD)/runner
	RUNNER=./$(BUILD)/runner sh tests/stress_kill.sh
