#!/bin/sh
# The link line of the runner (make -n, a pkg-config stand-in in PATH naming a made-up HDF5 install), run from the
# repository root: sh tests/build_test.sh (RUNNER is not used). With libhdf5.a beside the library, the runner links
# the archive and the dependencies `pkg-config --static --libs hdf5` names (their -L folders too), so another
# distribution's archive gets its own (was: -lsz -lz, Debian's, whatever the .pc file said); a .pc file that names
# none (Debian's) gets -lsz -lz; without the archive, or with HDF5_STATIC=0, the shared library (-lhdf5). The small
# libraries (z, sz with the aec it needs, inih) come from their archives where the compiler finds them (a compiler
# stand-in answers -print-file-name from the made-up folder) or in a -L folder of the link line, as -lNAME where
# neither has one or with STATIC_LIBS=0. The runner is linked with -static where the compiler has libc.a and
# libgomp.a and every other library is an archive, unless STATIC_RUNNER=0 or a sanitizer; its twin never.
# Ends with one line "N passed, M failed".

. "$(dirname "$0")/lib.sh"
make_tmp
unset MAKEFLAGS MAKELEVEL MFLAGS
# and the knobs a calling make exports (make asan passes SAN, OPT and BUILD on its sub-make's command line)
unset SAN OPT ARCH BUILD CFLAGS LDFLAGS LDLIBS STATIC_RUNNER STATIC_LIBS HDF5_STATIC
mkdir -p "$tmp/bin" "$tmp/lib"
cat >"$tmp/bin/pkg-config" <<EOF2
#!/bin/sh
case "\$*" in
*--exists*) exit 0 ;;
*--cflags*) echo ;;
"--static --libs hdf5") echo "-L$tmp/lib -lhdf5 \$FAKE_PRIVATE" ;;
*--libs*) echo "-L$tmp/lib -lhdf5 -linih" ;;
esac
EOF2
chmod +x "$tmp/bin/pkg-config"
cat >"$tmp/bin/cc-stand-in" <<EOF2
#!/bin/sh
case "\$1" in
-print-file-name=*) f=\${1#-print-file-name=}; if [ -e "$tmp/lib/\$f" ]; then echo "$tmp/lib/\$f"; else echo "\$f"; fi ;;
*) exec gcc "\$@" ;;
esac
EOF2
chmod +x "$tmp/bin/cc-stand-in"

# link [MAKE ARGS...]: the line of make -n that links the runner, in $link
link() {
    link=$(PATH="$tmp/bin:$PATH" make -n CC="$tmp/bin/cc-stand-in" BUILD="$tmp/build" "$@" "$tmp/build/runner" 2>"$tmp/err" |
        grep -- "-o $tmp/build/runner ")
}

: >"$tmp/lib/libhdf5.a"
FAKE_PRIVATE="-L/opt/aec/lib -laec -lz -lm" link
case "$link" in
*" $tmp/lib/libhdf5.a -L/opt/aec/lib -laec -lz -lm "*) ! echo "$link" | grep -q -- "-lsz\|-lhdf5" ;;
*) false ;;
esac
check "the archive with the dependencies pkg-config --static names" $? "$link $(head -3 "$tmp/err")"

FAKE_PRIVATE="" link
case "$link" in *" $tmp/lib/libhdf5.a "*"-lsz -lz "*) true ;; *) false ;; esac
check "the archive, and -lsz -lz where the .pc file names no dependency (Debian's)" $? "$link"

: >"$tmp/lib/libsz.a"
: >"$tmp/lib/libaec.a"
: >"$tmp/lib/libz.a"
FAKE_PRIVATE="" link
case "$link" in
*" $tmp/lib/libhdf5.a $tmp/lib/libsz.a $tmp/lib/libaec.a $tmp/lib/libz.a -linih "*) ! echo "$link" | grep -q -- "-lsz\|-lz " ;;
*) false ;;
esac
check "the archives of libsz (libaec's after it) and zlib where found, -linih where not" $? "$link"

FAKE_PRIVATE="" link STATIC_LIBS=0
case "$link" in *" $tmp/lib/libhdf5.a "*"-lsz -lz -linih "*) ! echo "$link" | grep -q "libsz.a\|libz.a" ;; *) false ;; esac
check "STATIC_LIBS=0: -lsz -lz -linih beside the archives" $? "$link"

mkdir -p "$tmp/opt"
: >"$tmp/opt/libinih.a"
FAKE_PRIVATE="-L$tmp/opt -lsz -laec -lz" link
case "$link" in
*" $tmp/lib/libsz.a $tmp/lib/libaec.a $tmp/lib/libaec.a $tmp/lib/libz.a $tmp/opt/libinih.a "*)
    ! echo "$link" | grep -q -- "-laec\|-linih" ;;
*) false ;;
esac
check "archives in the -L folders pkg-config names too, libaec's where it is named" $? "$link"
rm -r "$tmp/opt"

rm "$tmp/lib/libaec.a"
FAKE_PRIVATE="" link
case "$link" in *" $tmp/lib/libsz.a -laec $tmp/lib/libz.a "*) true ;; *) false ;; esac
check "libsz's archive without libaec's: -laec after it" $? "$link"
rm "$tmp/lib/libsz.a" "$tmp/lib/libz.a"

FAKE_PRIVATE="-laec" link HDF5_STATIC=0
case "$link" in *" -lhdf5 -linih "*) ! echo "$link" | grep -q "libhdf5.a\|-laec" ;; *) false ;; esac
check "HDF5_STATIC=0: the shared library" $? "$link"

rm "$tmp/lib/libhdf5.a"
FAKE_PRIVATE="-laec" link
case "$link" in *" -lhdf5 -linih "*) ! echo "$link" | grep -q "libhdf5.a\|-laec" ;; *) false ;; esac
check "no archive: the shared library" $? "$link"

# the runner itself linked statically (-static) where the compiler finds the C library's and libgomp's archives,
# unless STATIC_RUNNER=0 or a sanitizer is linked in; its twin for the LD_PRELOAD tests never
static_link() {
    link "$@"
    case "$link" in *" -static "*) echo static ;; *) echo shared ;; esac
}
for a in hdf5 sz aec z inih; do : >"$tmp/lib/lib$a.a"; done
got=$(static_link)
: >"$tmp/lib/libc.a"
got="$got $(static_link)"
: >"$tmp/lib/libgomp.a"
got="$got $(static_link) $(static_link STATIC_RUNNER=0) $(static_link SAN=-fsanitize=address)"
got="$got $(static_link LDFLAGS=-fsanitize=undefined) $(static_link HDF5_STATIC=0) $(static_link STATIC_LIBS=0)"
twin=$(PATH="$tmp/bin:$PATH" make -n CC="$tmp/bin/cc-stand-in" BUILD="$tmp/build" LDFLAGS=-static \
    "$tmp/build/runner-shared" 2>"$tmp/err" | grep -- "-o $tmp/build/runner-shared ")
case "$twin" in *" -static "* | "") got="$got static" ;; *) got="$got shared" ;; esac
[ "$got" = "shared shared static shared shared shared shared shared shared" ]
check "-static with libc.a and libgomp.a found, not without either, with STATIC_RUNNER=0, a sanitizer (SAN or \
LDFLAGS), a shared HDF5 or small library, nor for the twin (not even with LDFLAGS=-static)" $? "$got"

finish build_test
