#!/usr/bin/env bash
# tests/fuzz/build.sh: builds every libFuzzer harness tests/fuzz/fuzz_*.c into
# tests/fuzz/build/fuzz_* (`make fuzz-build`; `make test` and `make fuzz` run it).
#
# Harnesses are linked with all of parsers/*.c, compiled by clang with
# -fsanitize=fuzzer,address,undefined (the parser objects with fuzzer-no-link, so that
# only the harness supplies main's entry point LLVMFuzzerTestOneInput). A harness is
# rebuilt only when it or anything in parsers/ is newer than its binary.
#
# clang and its libFuzzer runtime (Debian: clang, libclang-rt-14-dev) are dependencies of
# the project, installed by scripts/install-deps.sh: if they are missing this fails.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
OUT=tests/fuzz/build
CC=${FUZZ_CC:-clang}

die() {
    echo "tests/fuzz/build.sh: $*" >&2
    exit 1
}

command -v "$CC" >/dev/null 2>&1 ||
    die "$CC not found; run scripts/install-deps.sh (Debian packages clang, libclang-rt-14-dev)"

mkdir -p "$OUT/obj"

# Same language level and warnings as the Makefile's build; -O1 -g keeps the fuzzer fast
# and its crash reports readable.
CFLAGS=(-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
    -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
    -g -O1 -fno-omit-frame-pointer -Iparsers)
read -r -a PKG_CFLAGS <<< "$(pkg-config --cflags libxml-2.0 jansson)"
read -r -a PKG_LIBS <<< "$(pkg-config --libs libxml-2.0 jansson)"
SAN=address,undefined

# libFuzzer present? One tiny program says so better than a confusing link error later.
probe="$OUT/obj/probe"
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
    > "$probe.c"
"$CC" -fsanitize=fuzzer,$SAN -o "$probe" "$probe.c" 2> "$probe.log" ||
    die "$CC cannot link with -fsanitize=fuzzer,$SAN (libFuzzer runtime missing?); see $probe.log; run scripts/install-deps.sh"

shopt -s nullglob
harnesses=(tests/fuzz/fuzz_*.c)
[ "${#harnesses[@]}" -gt 0 ] || die "no harnesses tests/fuzz/fuzz_*.c"
parser_src=(parsers/*.c)
[ "${#parser_src[@]}" -gt 0 ] || die "no parser sources parsers/*.c"

# Up to date: the binary is newer than its harness and everything in parsers/.
up_to_date() {
    local bin=$1 h=$2 f
    [ -x "$bin" ] && [ "$bin" -nt "$h" ] || return 1
    for f in parsers/*.c parsers/*.h; do
        [ "$bin" -nt "$f" ] || return 1
    done
}

objs=()
compile_parsers() {
    for src in "${parser_src[@]}"; do
        obj="$OUT/obj/$(basename "${src%.c}").o"
        "$CC" "${CFLAGS[@]}" "${PKG_CFLAGS[@]}" -fsanitize=fuzzer-no-link,$SAN -c -o "$obj" "$src"
        objs+=("$obj")
    done
}

built=0
for h in "${harnesses[@]}"; do
    name=$(basename "${h%.c}")
    bin="$OUT/$name"
    if up_to_date "$bin" "$h"; then
        continue
    fi
    if [ "${#objs[@]}" -eq 0 ]; then
        compile_parsers
    fi
    "$CC" "${CFLAGS[@]}" "${PKG_CFLAGS[@]}" -fsanitize=fuzzer,$SAN -o "$bin" "$h" "${objs[@]}" \
        "${PKG_LIBS[@]}"
    built=$((built + 1))
done
echo "fuzz: ${#harnesses[@]} fuzzer(s) in $OUT ($built rebuilt)"
