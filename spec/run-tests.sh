#!/usr/bin/env bash
# Runs the test suites, one log each under $BUILD/test-logs/, and ends with the one
# summary line "N passed, M failed" summed over every suite. Exit status is non-zero on
# any failure, or when a suite ends without its own summary line (a crash counts as a
# failure, never as zero tests).
#
#   spec/run-tests.sh all        C tests (libtommath and GMP math), C tests under
#                                ASan+UBSan and valgrind, Lua specs
#   spec/run-tests.sh asan       C tests under ASan+UBSan only
#   spec/run-tests.sh valgrind   C tests under valgrind only
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LUA=${LUA:-lua5.4}
mode=${1:-all}
logs=$BUILD/test-logs
mkdir -p "$logs"
total_pass=0
total_fail=0
status=0

# run_suite NAME COMMAND...: run, parse the closing counts, add them up.
run_suite() {
    local name=$1; shift
    local log="$logs/$name.log"
    mkdir -p "$(dirname "$log")"
    local t0=$SECONDS
    "$@" >"$log" 2>&1
    local rc=$?
    local p f line
    line=$(grep -E '^[A-Za-z]*:? *[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(sed -E 's/^[^0-9]*([0-9]+) passed.*/\1/' <<<"$line")
        f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
    else
        line=$(grep -E '[0-9]+ success(es)? / [0-9]+ failures? / [0-9]+ errors?' "$log" | tail -n 1)
        if [ -n "$line" ]; then
            p=$(sed -E 's/^([0-9]+) success.*/\1/' <<<"$line")
            f=$(sed -E 's/.* ([0-9]+) failures? \/ ([0-9]+) errors?.*/\1+\2/' <<<"$line")
            f=$((f))
        else
            p=0; f=1
            echo "  (no summary line; exit $rc)" >>"$log"
        fi
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    local verdict=ok
    if [ "$f" -ne 0 ]; then verdict=FAIL; status=1; fi
    printf '%-5s %-34s %5d passed, %d failed  (%ds)\n' "$verdict" "$name" "$p" "$f" $((SECONDS - t0))
    if [ "$f" -ne 0 ]; then sed -e 's/^/      | /' "$log" | tail -n 40; fi
}

ctests() {
    for t in "$BUILD"/test/test_*; do run_suite "c/$(basename "$t")" "$t"; done
}
gmp_tests() {
    # The same C tests over libtomcrypt's GMP math descriptor (make MATH=gmp).
    for t in "$BUILD"/gmp/test/test_*; do
        [ -x "$t" ] || continue
        run_suite "gmp/$(basename "$t")" "$t"
    done
}
asan_tests() {
    for t in "$BUILD"/asan/test/test_*; do
        ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
            run_suite "asan/$(basename "$t")" "$t"
    done
}
valgrind_tests() {
    if ! command -v valgrind >/dev/null; then echo "valgrind missing"; status=1; return; fi
    for t in "$BUILD"/test/test_*; do
        MT_TEST_QUICK=1 run_suite "valgrind/$(basename "$t")" \
            valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
            --errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t"
    done
}
busted_specs() {
    run_suite "lua/busted" "$LUA" /usr/bin/busted -o plainTerminal spec
}

case "$mode" in
    all) ctests; gmp_tests; asan_tests; valgrind_tests; busted_specs ;;
    asan) asan_tests ;;
    valgrind) valgrind_tests ;;
    *) echo "unknown mode $mode"; exit 2 ;;
esac
echo "$total_pass passed, $total_fail failed"
exit $status
