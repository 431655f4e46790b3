#!/bin/sh
# Installs the Debian packages the given sets need when any is missing; prints nothing and exits 0 when all are
# there. Usage: experiments/deps.sh SET... (build, clang, python, reliability, bench, browser, cluster;
# default build).
# apt-get runs through sudo when not root.
set -eu
pkgs=""
for set in "${@:-build}"; do
  case "$set" in
    build)  pkgs="$pkgs build-essential pkg-config libhdf5-dev libinih-dev check gnuplot-nox" ;;
    # clang's OpenMP: omp.h and libomp, which gcc's build-essential does not bring
    clang)  pkgs="$pkgs clang libomp-14-dev" ;;
    python) pkgs="$pkgs python3 python3-numpy python3-h5py python3-sklearn python3-pandas" ;;
    reliability) pkgs="$pkgs clang libclang-rt-14-dev valgrind util-linux" ;;
    # the optional peers of make bench and the tools it uses
    bench) pkgs="$pkgs python3 python3-numpy python3-h5py python3-sklearn python3-joblib python3-threadpoolctl
                 python3-torch libopenblas-dev libfann-dev gnuplot-nox time" ;;
    # the headless browser that tests/html_test.sh opens report.html and index.html in
    browser) pkgs="$pkgs chromium" ;;
    # tests/cluster_test.sh: a single-node Slurm, Open MPI's mpirun, h5diff
    cluster) pkgs="$pkgs openmpi-bin slurmctld slurmd slurm-client munge hdf5-tools" ;;
    *) echo "deps.sh: unknown set '$set' (build, clang, python, reliability, bench, browser, cluster)" >&2; exit 2 ;;
  esac
done
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >&2
