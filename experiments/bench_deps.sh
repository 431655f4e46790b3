#!/bin/sh
# make bench-deps: installs the optional peers of `make bench` and the tools it uses, when any is missing
# (apt-get update first; through sudo when not root). Prints nothing and exits 0 when all are there.
set -eu
pkgs="python3 python3-numpy python3-h5py python3-sklearn python3-joblib python3-threadpoolctl python3-torch
      libopenblas-dev libfann-dev gnuplot-nox time"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "bench-deps: installing$missing" >&2
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
$sudo apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing >&2
