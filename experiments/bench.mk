# make bench: the benchmark programs and their run (experiments/bench.sh writes results/bench/report.md and
# plots/bench/*.png). Included from the Makefile, so CC, CPPFLAGS, CFLAGS, LDFLAGS, LDLIBS, BUILD and OBJ are the
# project's.
# The peers are optional (make bench-deps installs them); a program whose library is missing is not built and
# the bench says what it skipped. OpenBLAS is linked into the kernel benchmark only, never into the runner.
.PHONY: bench bench-quick bench-deps bench-programs bench-threads

BENCH_DIR      = $(BUILD)/bench
BENCH_OPENBLAS = $(shell pkg-config --exists openblas 2>/dev/null && echo yes)
BENCH_FANN     = $(shell pkg-config --exists fann 2>/dev/null && echo yes)
BENCH_BLASFLAGS = $(if $(BENCH_OPENBLAS),-DBENCH_OPENBLAS $(shell pkg-config --cflags openblas))
BENCH_BLASLIBS  = $(if $(BENCH_OPENBLAS),$(shell pkg-config --libs openblas))
BENCH_PROGRAMS = $(BENCH_DIR)/bench_kernels $(BENCH_DIR)/bench_kernels_par $(BENCH_DIR)/bench_phases \
                 $(BENCH_DIR)/bench_fused \
                 $(if $(BENCH_FANN),$(BENCH_DIR)/bench_fann)

bench-deps:
	@sh experiments/deps.sh bench

bench-programs: $(BENCH_PROGRAMS)

bench: $(BUILD)/runner bench-programs
	RUNNER=$(BUILD)/runner BENCH_BIN=$(BENCH_DIR) BENCH_CFLAGS="$(OPT) $(ARCH) -fopenmp" sh experiments/bench.sh

# a smoke run of the whole pipeline in about a minute: 2 repetitions, short trainings
bench-quick: $(BUILD)/runner bench-programs
	RUNNER=$(BUILD)/runner BENCH_BIN=$(BENCH_DIR) BENCH_CFLAGS="$(OPT) $(ARCH) -fopenmp" BENCH_QUICK=1 \
	  BENCH_OUT=$(BENCH_DIR)/quick BENCH_PLOTS=$(BENCH_DIR)/quick/plots sh experiments/bench.sh

# thread scaling on a machine with many cores (README, "Thread scaling to 16 cores"): results/bench/threads
bench-threads: $(BUILD)/runner $(BENCH_DIR)/bench_kernels
	RUNNER=$(BUILD)/runner BENCH_BIN=$(BENCH_DIR) BENCH_OUT=results/bench/threads/pairs sh experiments/bench_pairs.sh
	RUNNER=$(BUILD)/runner BENCH_BIN=$(BENCH_DIR) BENCH_OUT=results/bench/threads PY=/usr/bin/python3 \
	  sh experiments/bench_threads.sh
	/usr/bin/python3 experiments/bench_threads_report.py results/bench/threads "$$(hostname), $$(nproc) cores"

$(BENCH_DIR)/bench_kernels: experiments/bench_kernels.c $(BUILD)/mlp.o $(BUILD)/mlp_kernels.o $(BUILD)/mlp_update.o \
                             $(BUILD)/rng.o $(BUILD)/team.o
	@mkdir -p $(@D)
	$(CC) -Isrc $(CPPFLAGS) $(CFLAGS) $(BENCH_BLASFLAGS) $(LDFLAGS) -o $@ $^ $(BENCH_BLASLIBS) $(LDLIBS)

# the same kernels with no serial threshold: every pass takes its parallel path (where does a team pay?)
$(BENCH_DIR)/%_par.o: src/%.c | have-deps $(BUILD)/buildinfo.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DMLP_PARALLEL_MIN_WORK=1 $(CFLAGS) -c -o $@ $<

$(BENCH_DIR)/bench_kernels_par: experiments/bench_kernels.c $(BENCH_DIR)/mlp_par.o $(BENCH_DIR)/mlp_kernels_par.o \
                                $(BENCH_DIR)/mlp_update_par.o \
                                $(BUILD)/rng.o $(BUILD)/team.o
	@mkdir -p $(@D)
	$(CC) -Isrc $(CPPFLAGS) $(CFLAGS) $(BENCH_BLASFLAGS) $(LDFLAGS) -o $@ $^ $(BENCH_BLASLIBS) $(LDLIBS)

# the units step phase by phase: mlp.c with a clock read at the end of each phase (mlp.h: MLP_PHASES)
$(BENCH_DIR)/mlp_phases.o: src/mlp.c | have-deps $(BUILD)/buildinfo.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -DMLP_PHASES $(CFLAGS) -c -o $@ $<

$(BENCH_DIR)/bench_phases: experiments/bench_phases.c $(BENCH_DIR)/mlp_phases.o $(BUILD)/mlp_kernels.o \
                           $(BUILD)/mlp_update.o $(BUILD)/rng.o $(BUILD)/team.o
	@mkdir -p $(@D)
	$(CC) -Isrc $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# a fused group's first layers stacked, and its evaluation chunk by chunk, against the runs apart (issue #13)
$(BENCH_DIR)/bench_fused: experiments/bench_fused.c $(BUILD)/mlp.o $(BUILD)/mlp_kernels.o $(BUILD)/mlp_update.o \
                          $(BUILD)/rng.o $(BUILD)/team.o
	@mkdir -p $(@D)
	$(CC) -Isrc $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_DIR)/bench_fann: experiments/bench_fann.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(shell pkg-config --cflags fann) $(LDFLAGS) -o $@ $< $(shell pkg-config --libs fann) \
	  $(LDLIBS)

-include $(wildcard $(BENCH_DIR)/*.d)
