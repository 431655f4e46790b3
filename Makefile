# Builds ./runner and the Check tests; runs experiments and benchmarks. Every target that compiles or runs
# first makes sure the Debian packages it needs are installed (experiments/deps.sh), so a fresh Debian 12
# machine with only make and git needs nothing else.  See README.md.

CC      ?= gcc
BUILD   ?= build
ARCH    ?= -march=native
OPT     ?= -O3
SAN     ?=
# Never -Ofast or -ffast-math: divergence detection relies on NaN and Inf behaving as IEEE says.
CFLAGS  = -std=c11 $(OPT) $(ARCH) -fopenmp -g -Wall -Wextra -Wshadow -Wno-unused-parameter -MMD -MP \
          -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(SAN) $(shell pkg-config --cflags hdf5 inih)
LDLIBS  = -fopenmp $(SAN) $(shell pkg-config --libs hdf5 inih) -lm
TESTLIBS = $(shell pkg-config --libs check)

# every module in src/ but main.c, which the tests replace with their own
SRC     = $(filter-out main.c,$(notdir $(wildcard src/*.c)))
OBJ     = $(SRC:%.c=$(BUILD)/%.o)
TESTSRC = $(wildcard tests/test_*.c)
TESTOBJ = $(TESTSRC:tests/%.c=$(BUILD)/tests/%.o)
CONFIGS = configs/digits.ini configs/article_xor.ini configs/article_digits.ini configs/lr_sweep.ini \
          configs/hidden_sweep.ini configs/grid.ini configs/batch_sweep.ini configs/threads.ini

.DELETE_ON_ERROR:
.PHONY: all deps python-deps test check portable experiments plots data data-check clean FORCE

all: runner

deps:
	@sh experiments/deps.sh build
python-deps:
	@sh experiments/deps.sh python

runner: $(BUILD)/runner
	cp $< $@

$(BUILD)/runner: $(OBJ) $(BUILD)/main.o
	$(CC) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c | deps $(BUILD)/buildinfo.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -I$(BUILD) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c | deps $(BUILD)/buildinfo.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Isrc -I$(BUILD) -c -o $@ $<

# Compiler, flags and git revision, for the manifest beside every run; rewritten only when they change.
$(BUILD)/buildinfo.h: FORCE
	@mkdir -p $(@D)
	@printf '#define BUILD_GIT_REV "%s"\n#define BUILD_CFLAGS "%s"\n' \
	  "$$(git describe --always --dirty 2>/dev/null || echo unknown)" \
	  "$(OPT) $(ARCH) -fopenmp $(SAN)" > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/check_tests: $(TESTOBJ) $(OBJ)
	$(CC) -o $@ $^ $(LDLIBS) $(TESTLIBS)

# CK_FORK=no: libgomp can hang in a child forked after the parent used OpenMP.
test check: $(BUILD)/check_tests $(BUILD)/runner
	CK_FORK=no ./$(BUILD)/check_tests
	RUNNER=./$(BUILD)/runner sh tests/cli_test.sh
	RUNNER=./$(BUILD)/runner sh tests/resume_test.sh
	RUNNER=./$(BUILD)/runner sh tests/disk_full_test.sh

portable:
	$(MAKE) BUILD=build/portable ARCH= runner

# Exit 5 means every run diverged: a result, and what configs/article_digits.ini is there to show.
experiments: runner
	@for c in $(CONFIGS); do ./runner $$c; rc=$$?; [ $$rc = 0 ] || [ $$rc = 5 ] || exit $$rc; done

# Re-renders every plot from its script (edit a script, then make plots).
plots: deps
	@for f in plots/*/*.gp; do [ -f "$$f" ] || continue; echo "gnuplot $$f"; gnuplot "$$f" || exit $$?; done

data: python-deps
	/usr/bin/python3 experiments/export_digits.py data/digits.h5
	/usr/bin/python3 experiments/csv_to_h5.py data/xor.csv data/xor.h5
data-check: python-deps
	/usr/bin/python3 experiments/data_check.py

clean:
	rm -rf build runner

include experiments/reliability.mk
include experiments/bench.mk

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)

# Golden files of the report test: the test only compares, and leaves what the code wrote in build/report-got;
# this copies that over tests/fixtures/report. Read `git diff tests/fixtures/report` before committing.
.PHONY: golden
golden: $(BUILD)/check_tests
	-CK_FORK=no CK_RUN_SUITE=report ./$(BUILD)/check_tests
	cp build/report-got/* tests/fixtures/report/
