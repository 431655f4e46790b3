# Builds ./runner and the Check tests; runs experiments and benchmarks. See README.md.
#
# Compiling never installs anything: when a library or header is missing, the build says so in one line and
# stops (make deps installs the Debian packages). make experiments, make test, make data and the reliability
# targets install what they need first (experiments/deps.sh) and then build in a second make, which reads
# pkg-config after the installation, so a fresh Debian 12 machine with only make and git needs nothing else.
#
# Variables, as GNU make's conventions have them: CC, CFLAGS (optimisation and warnings; yours replace the
# defaults), CPPFLAGS, LDFLAGS, LDLIBS (yours go before the build's own), PREFIX and DESTDIR for make install.
# Knobs used by the defaults: OPT (-O3), ARCH (-march=native; empty for a portable binary) and SAN
# (sanitizer flags, compile and link). A clang build goes to build/clang, so the two never mix.

ifeq ($(origin CC),default)
CC = gcc
endif
# clang by its name (so that make CC=clang deps installs it) or by what the compiler says it is
CC_IS_CLANG := $(if $(findstring clang,$(CC)),yes,$(shell $(CC) --version 2>/dev/null | grep -qi clang && echo yes))
BUILD   ?= $(if $(CC_IS_CLANG),build/clang,build)
ARCH    ?= -march=native
OPT     ?= -O3
SAN     ?=
PREFIX  ?= /usr/local
bindir  ?= $(PREFIX)/bin
INSTALL ?= install

# Never -Ofast or -ffast-math: divergence detection relies on NaN and Inf behaving as IEEE says.
CFLAGS  ?= $(OPT) $(ARCH) -g -Wall -Wextra -Wshadow -Wno-unused-parameter

# pkg-config runs once, when a compile or link first needs its answer (not for make clean, not per file).
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags hdf5 inih 2>/dev/null))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs hdf5 inih 2>/dev/null))$(PKG_LIBS)
CHECK_LIBS = $(eval CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null))$(CHECK_LIBS)

# What the build needs whatever the user passes: C11, OpenMP, dependency files, the sanitizers asked for, and
# -ffp-contract=off: a multiply-add is fused only where the code says so (MADD), as GCC does in ISO C mode
# anyway; clang would fuse others by default, and its results would differ from GCC's in the last bits.
# -fno-math-errno: sqrtf in a loop compiles to the vector square root (Adam's update, one loop instead of three);
# no value changes (the vector square root rounds correctly too), only whether math functions set errno, which no
# code reads after one.
override CPPFLAGS += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I$(BUILD) $(PKG_CFLAGS)
override CFLAGS   += -std=c11 -ffp-contract=off -fno-math-errno -fopenmp -MMD -MP $(SAN)
override LDFLAGS  += -fopenmp $(SAN)
override LDLIBS   += $(LINK_LIBS) -lm
# HDF5 from its static archive where one is installed (HDF5_STATIC=0: the shared library): Debian's shared libhdf5
# loads libcurl and some 30 libraries behind it (its S3 driver), ~5 ms of every process's start-up.
HDF5_STATIC ?= 1
# The archive's own dependencies are those pkg-config --static names (its Libs.private, with their -L folders);
# Debian's hdf5.pc names none, and its archive needs libsz and libz.
HDF5_A    = $(if $(filter 1,$(HDF5_STATIC)),$(firstword $(wildcard $(patsubst -L%,%/libhdf5.a,$(filter -L%,$(PKG_LIBS))))))
HDF5_PRIV = $(eval HDF5_PRIV := $(filter-out -lhdf5,$(shell pkg-config --static --libs hdf5 2>/dev/null)))$(HDF5_PRIV)
HDF5_DEPS = $(filter-out $(PKG_LIBS),$(filter -L%,$(HDF5_PRIV))) $(or $(filter-out -L%,$(HDF5_PRIV)),-lsz -lz)
HDF5_LIBS = $(if $(HDF5_A),$(patsubst -lhdf5,$(HDF5_A) $(HDF5_DEPS),$(PKG_LIBS)),$(PKG_LIBS))
# The small libraries behind them (zlib, libsz and the libaec it needs, inih) from their archives too, where the
# linker would find them: in the link line's -L folders first, then the compiler's (STATIC_LIBS=0: shared).
# Loading a shared library costs every process its own openat, mmaps, relocations and page faults, ~0.4 ms each on
# the third host (experiments/performance-log.md). An archive is a copy: a security update of zlib reaches the
# runner when it is built again.
STATIC_LIBS ?= 1
STATIC_NAMES = z sz aec inih
LINK_DIRS  = $(patsubst -L%,%,$(filter -L%,$(HDF5_LIBS)))
archive_of = $(or $(firstword $(wildcard $(addsuffix /lib$(1:-l%=%).a,$(LINK_DIRS)))),$(abspath $(filter /%,$(shell \
               $(CC) -print-file-name=lib$(1:-l%=%).a 2>/dev/null))),$1)
static_of  = $(if $(filter $(STATIC_NAMES:%=-l%),$1),$(call after_sz,$(call archive_of,$1)),$1)
after_sz   = $1$(if $(filter %/libsz.a,$1), $(call archive_of,-laec))
LINK_LIBS  = $(eval LINK_LIBS := $(if $(filter 1,$(STATIC_LIBS)),$(foreach w,$(HDF5_LIBS),$(call static_of,$w)),$(HDF5_LIBS)))$(LINK_LIBS)

# The runner linked statically (-static: the C library, libm and libgomp from their archives too) where the compiler
# is gcc and has the C library's and libgomp's archives, every other library is linked from its archive already
# (HDF5_STATIC, STATIC_LIBS; libm aside) and nothing is sanitised (STATIC_RUNNER=0: against the shared ones). A
# static process runs no dynamic loader: on the Zen 5 VM of 2026-12-03, where each page a process first touches
# costs 4-10 us, the like-for-like digits process took some 3 ms less (experiments/performance-log.md, "Fixed
# cost of a process"). LD_PRELOAD needs the dynamic loader, so the tests that inject faults that way run
# $(BUILD)/runner-shared: the same objects and archives with the C library, libm and libgomp shared. HDF5's plugin
# loader (dlopen, for filters HDF5 does not have built in) works in a static binary only with this machine's glibc;
# the linker warns so, and that warning is kept out of the build's output. A security update of the C library
# reaches the runner when it is built again.
STATIC_RUNNER ?= $(if $(CC_IS_CLANG)$(findstring -fsanitize,$(SAN) $(CFLAGS) $(LDFLAGS)),0,1)
archive_found = $(filter /%,$(shell $(CC) -print-file-name=$1 2>/dev/null))
RUNNER_STATIC = $(eval RUNNER_STATIC := $(if $(filter 1,$(STATIC_RUNNER)),$(if $(and $(call archive_found,libc.a),\
                  $(call archive_found,libgomp.a)),$(if $(filter-out -lm,$(filter -l%,$(LINK_LIBS))),,-static))))$(RUNNER_STATIC)
STATIC_DLOPEN_WARNING = in function .H5PL__open.:\|Using .dlopen. in statically linked

# every module in src/ but main.c, which the tests replace with their own
SRC     = $(filter-out main.c,$(notdir $(wildcard src/*.c)))
OBJ     = $(SRC:%.c=$(BUILD)/%.o)
TESTSRC = $(wildcard tests/test_*.c)
TESTOBJ = $(TESTSRC:tests/%.c=$(BUILD)/tests/%.o)
CONFIGS = configs/digits.ini configs/article_xor.ini configs/article_digits.ini configs/lr_sweep.ini \
          configs/hidden_sweep.ini configs/grid.ini configs/batch_sweep.ini configs/threads.ini \
          configs/optimizer_schedule.ini configs/batch_scaling.ini

.DELETE_ON_ERROR:
.PHONY: all deps test-deps python-deps have-deps have-check test check run-tests portable experiments plots data \
        data-check install uninstall golden clean FORCE

all: runner

# deps.sh's package sets: the build's, plus clang's OpenMP runtime when clang compiles
deps:
	@sh experiments/deps.sh build $(if $(CC_IS_CLANG),clang)
python-deps:
	@sh experiments/deps.sh python

# One line and a stop when the compiler, a library or OpenMP's header is missing: compiling installs nothing.
# (Each check runs when its target is first needed, once per make.)
have-deps:
	$(if $(shell command -v $(firstword $(CC))),,$(error $(CC) not found: make deps installs it))
	$(if $(shell pkg-config --exists hdf5 inih 2>/dev/null && echo y),,\
	  $(error HDF5 or inih missing (pkg-config hdf5 inih): make deps installs them))
	$(if $(shell echo '#include <omp.h>' | $(CC) -fopenmp -E -x c - >/dev/null 2>&1 && echo y),,\
	  $(error omp.h missing for $(CC): make deps installs it))
have-check: have-deps
	$(if $(shell pkg-config --exists check 2>/dev/null && echo y),,\
	  $(error Check missing (pkg-config check): make deps installs it))

runner: $(BUILD)/runner
	cp $< $@

$(BUILD)/runner: $(OBJ) $(BUILD)/main.o
	$(CC) $(LDFLAGS) $(RUNNER_STATIC) -o $@ $^ $(LDLIBS) 2>$@.ld; s=$$?; \
	  grep -v "$(STATIC_DLOPEN_WARNING)" $@.ld >&2; rm -f $@.ld; exit $$s
$(BUILD)/runner-shared: $(OBJ) $(BUILD)/main.o
	$(CC) $(filter-out -static%,$(LDFLAGS)) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: src/%.c | have-deps $(BUILD)/buildinfo.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%.o: tests/%.c | have-check $(BUILD)/buildinfo.h
	@mkdir -p $(@D)
	$(CC) -Isrc $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Git revision, code-generating flags (-ffp-contract=off and -fno-math-errno among them: they decide the numbers)
# and the compiler, for --version and the manifest beside every run;
# rewritten only when they change. BUILD_COMPILER comes from the compiler that includes the header, so it
# names the one that really built the binary.
$(BUILD)/buildinfo.h: FORCE
	@mkdir -p $(@D)
	@{ printf '#define BUILD_GIT_REV "%s"\n#define BUILD_CFLAGS "%s"\n' \
	    "$$(git describe --always --dirty 2>/dev/null || echo unknown)" \
	    "$(strip $(filter-out -W% -g -std=% -MMD -MP -fopenmp $(SAN),$(CFLAGS)) -fopenmp $(SAN))"; \
	  printf '#if defined(__clang__)\n#define BUILD_COMPILER __VERSION__\n'; \
	  printf '#else\n#define BUILD_COMPILER "gcc " __VERSION__\n#endif\n'; } > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/check_tests: $(TESTOBJ) $(OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

# make test installs what the tests need (the build, pandas for the README snippet, chromium for the pages, Slurm
# and Open MPI for the cluster test when they can be installed), then builds and runs them in a second make
# (run-tests).
test check: test-deps
	@$(MAKE) --no-print-directory run-tests
test-deps:
	@sh experiments/deps.sh build python browser $(if $(CC_IS_CLANG),clang)
	@sh experiments/deps.sh cluster || echo "SKIP: the cluster packages could not be installed (tests/cluster_test.sh skips what needs them)"

# The shell tests, in the order make test runs them (each ends with "N passed, M failed" and fails the target).
SHELL_TESTS = cli resume disk_full process input store html validation pandas study cluster preempt wait_policy profile \
              fused build

# CK_FORK=no: libgomp can hang in a child forked after the parent used OpenMP.
run-tests: $(BUILD)/check_tests $(BUILD)/runner $(BUILD)/runner-shared
	CK_FORK=no ./$(BUILD)/check_tests
	@for t in $(SHELL_TESTS); do echo "RUNNER=./$(BUILD)/runner sh tests/$${t}_test.sh"; \
	  RUNNER=./$(BUILD)/runner RUNNER_SHARED=./$(BUILD)/runner-shared sh tests/$${t}_test.sh || exit 1; done

portable:
	$(MAKE) BUILD=build/portable ARCH= runner

install: $(BUILD)/runner
	$(INSTALL) -d $(DESTDIR)$(bindir)
	$(INSTALL) -m 755 $(BUILD)/runner $(DESTDIR)$(bindir)/runner
uninstall:
	rm -f $(DESTDIR)$(bindir)/runner

# Exit 5 means every run diverged: a result, and what configs/article_digits.ini is there to show.
experiments: deps
	@$(MAKE) --no-print-directory runner
	@for c in $(CONFIGS); do ./runner $$c; rc=$$?; [ $$rc = 0 ] || [ $$rc = 5 ] || exit $$rc; done

# Re-renders every plot from its script (edit a script, then make plots); PLOTS=DIR for another plots root
# (the runner's --results DIR puts them in DIR/plots).
PLOTS = plots
plots: deps
	@for f in "$(PLOTS)"/*/*.gp; do [ -f "$$f" ] || continue; echo "gnuplot $$f"; gnuplot "$$f" || exit $$?; done

data: python-deps
	/usr/bin/python3 experiments/export_digits.py data/digits.h5
	/usr/bin/python3 experiments/csv_to_h5.py data/xor.csv data/xor.h5
data-check: python-deps
	/usr/bin/python3 experiments/data_check.py

# ---- golden files -------------------------------------------------------------------------------------------
# Rewrites the expected outputs the tests compare against, from the current build; the tests themselves only
# compare. Review the diff before committing it. Each generator is one line of this recipe: the CLI's messages, then
# the report test's files (the test leaves what the code wrote in build/report-got; a failing comparison there is
# expected, hence the '-').
golden: $(BUILD)/runner $(BUILD)/check_tests
	RUNNER=./$(BUILD)/runner sh tests/cli_golden.sh
	-CK_FORK=no CK_RUN_SUITE=report ./$(BUILD)/check_tests
	cp build/report-got/* tests/fixtures/report/
# ---- end of golden files ------------------------------------------------------------------------------------

clean:
	rm -rf build runner

include experiments/reliability.mk
include experiments/bench.mk

-include $(wildcard $(BUILD)/*.d $(BUILD)/tests/*.d)

