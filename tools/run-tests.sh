#!/usr/bin/env bash
# Run test programs and count test cases.
#   bash tools/run-tests.sh unit|integration|install|interop|all [BUILD_DIR]
#
# unit         every executable in BUILD_DIR/tests/unit/ (cmocka)
# integration  every executable in BUILD_DIR/tests/integration/ (cmocka)
# install      every tests/install/*.test.sh (TAP) with BUILD_DIR: the library
#              installed into a temporary prefix and used through pkg-config
# interop      node --test over tests/interop/*.test.mjs, tests/browser/*.test.mjs and
#              the documented example docs/examples/frontend/*.test.mjs, with
#              SIO_BUILD_DIR=<absolute BUILD_DIR> for the server binaries; the
#              stress tests (*stress*) in a second run of their own
#
# What it prints: one line per test program or test file as it finishes
# ("ok" or "FAIL", its cases, its time); after a failing one, its failures in
# full (a C program's whole output; a node file's failed cases with their
# errors, and what the file printed). The full output of everything (the
# cmocka output, node's TAP with its YAML blocks) goes to BUILD_DIR/tests.log
# (TEST_LOG overrides), started afresh by each run. The last line is always
#   tests: N passed, M failed, K skipped
# counted in test cases (cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N
# test(s)" / "[  SKIPPED ] N test(s)" lines, node's "# pass N" / "# fail N" /
# "# skipped N" / "# todo N"; todo tests count as skipped and are listed).
# Before it come the failed programs and every failed test case by name. A program that fails without
# reporting a failed case (crash, timeout, sanitizer or valgrind error) counts
# as one more failed case. Exits non-zero if anything failed or nothing ran.
# Each program runs under `timeout` (120 s for a C program, 300 s for a node run).
# VALGRIND=1 runs the C unit tests under valgrind (definite leaks are errors).
set -uo pipefail

usage() { echo "usage: $0 unit|integration|install|interop|all [BUILD_DIR]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
mode=$1
build=${2:-build}
case $mode in unit|integration|install|interop|all) ;; *) usage ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 2
if [ -d "$build" ]; then
    build_abs="$(cd "$build" && pwd)"
else
    build_abs="$root/$build"
fi

C_TIMEOUT=${C_TIMEOUT:-120}
NODE_TIMEOUT=${NODE_TIMEOUT:-300}

total_pass=0
total_fail=0
total_skip=0
failed_programs=()
failed_cases=()
todo_cases=()
out=$(mktemp "${TMPDIR:-/tmp}/run-tests.XXXXXX")
tap=$(mktemp "${TMPDIR:-/tmp}/run-tests-tap.XXXXXX")
trap 'rm -f "$out" "$tap"' EXIT
log=${TEST_LOG:-$build_abs/tests.log}
mkdir -p "$(dirname "$log")"
: >"$log"

# keep_output NAME FILE: FILE under a heading in the log.
keep_output() {
    { echo "== $1"; cat "$2"; echo; } >>"$log"
}

# since START: seconds from $EPOCHREALTIME START to now, to a tenth.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# status_line NAME PASS FAIL SECONDS [WHY]: the one line of a finished program.
status_line() {
    local word="ok  " counts="$2 passed"
    [ "$3" -gt 0 ] && { word="FAIL"; counts="$counts, $3 failed"; }
    printf '%s %-44s %s (%s s)%s\n' "$word" "$1" "$counts" "$4" "${5:+ ($5)}"
}

# Sum every match of a cmocka summary line ("[  PASSED  ] 3 test(s)."); a
# program may run several groups.
sum_cmocka() { # file label
    sed -n "s/^\[  $2 *\] \([0-9][0-9]*\) test(s).*/\1/p" "$1" | awk '{s+=$1} END {print s+0}'
}
# node --test summary: "# pass N" (tap) or "ℹ pass N" (spec); take the last.
last_node() { # file word
    sed -n "s/^\(# \|ℹ \)$2 \([0-9][0-9]*\)\$/\2/p" "$1" | tail -n 1
}

# account NAME RC PASS FAIL HAVE_SUMMARY
account() {
    local name=$1 rc=$2 pass=$3 fail=$4 summary=$5 why=""
    if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
        fail=1
        case $rc in
            124|137) why="timed out" ;;
            99) why="valgrind errors" ;;
            *) if [ "$rc" -gt 128 ]; then why="killed by signal $((rc - 128))"; else why="exit $rc"; fi ;;
        esac
        [ "$summary" -eq 1 ] && why="$why after its summary" || why="$why without a summary"
    elif [ "$rc" -eq 0 ] && [ "$summary" -eq 0 ]; then
        pass=1 # a plain program that succeeded: one case
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    [ "$fail" -gt 0 ] && failed_programs+=("$name${why:+ ($why)}")
    last_pass=$pass last_fail=$fail last_why=$why
}

run_c_dir() { # kind dir
    local kind=$1 dir=$2 prog name rc pass fail summary
    [ -d "$dir" ] || { echo "$kind: $dir missing, skipped"; return; }
    local progs=()
    while IFS= read -r prog; do progs+=("$prog"); done < <(
        find "$dir" -maxdepth 1 -type f -perm -u+x | LC_ALL=C sort)
    [ "${#progs[@]}" -gt 0 ] || { echo "$kind: no programs in $dir"; return; }
    local wrap=()
    if [ "$kind" = unit ] && [ "${VALGRIND:-0}" = 1 ]; then
        wrap=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite)
    fi
    for prog in "${progs[@]}"; do
        name="$kind/$(basename "$prog")"
        started=$EPOCHREALTIME
        CMOCKA_MESSAGE_OUTPUT=STDOUT timeout -k 5 "$C_TIMEOUT" "${wrap[@]}" "$prog" </dev/null >"$out" 2>&1
        rc=$?
        keep_output "$name" "$out"
        pass=$(sum_cmocka "$out" PASSED)
        fail=$(sum_cmocka "$out" FAILED)
        total_skip=$((total_skip + $(sum_cmocka "$out" SKIPPED)))
        while IFS= read -r line; do failed_cases+=("$name: $line"); done < <(
            sed -n 's/^\[  FAILED  \] \(test_[A-Za-z0-9_]*\)$/\1/p' "$out" | sort -u)
        summary=0
        grep -q '^\[  \(PASSED\|FAILED\)  \] [0-9]' "$out" && summary=1
        account "$name" "$rc" "$pass" "$fail" "$summary"
        status_line "$name" "$last_pass" "$last_fail" "$(since "$started")" "$last_why"
        [ "$last_fail" -gt 0 ] && sed 's/^/    /' "$out"
    done
}

# node --test over some files, accounted as one program named `name`.
run_node() { # name files...
    local name=$1 rc pass fail cancelled skipped todo summary
    shift
    echo "$name: node --test, $# files (SIO_BUILD_DIR=$build_abs)"
    started=$EPOCHREALTIME
    # Two reporters: a line per file on the terminal, the TAP into $tap.
    SIO_BUILD_DIR="$build_abs" timeout -k 5 "$NODE_TIMEOUT" \
        node --test --test-reporter=./tools/test-line-reporter.mjs --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" "$@" </dev/null 2>"$out"
    rc=$?
    # What node itself printed on stderr (a runner error) is shown in full.
    [ -s "$out" ] && sed 's/^/    /' "$out"
    { echo "== $name: node --test $*"; cat "$tap" "$out"; echo; } >>"$log"
    cp "$tap" "$out"
    pass=$(last_node "$out" pass)
    fail=$(last_node "$out" fail)
    cancelled=$(last_node "$out" cancelled)
    skipped=$(last_node "$out" skipped)
    todo=$(last_node "$out" todo)
    total_skip=$((total_skip + ${skipped:-0} + ${todo:-0}))
    # Every failed test case (subtests too) and every todo one, by name.
    while IFS= read -r line; do failed_cases+=("$name: $line"); done < <(
        sed -n 's/^ *not ok [0-9]* - \(.*\)$/\1/p' "$out" | grep -v ' # TODO' | sed 's/ # SKIP.*//')
    while IFS= read -r line; do todo_cases+=("$name: $line"); done < <(
        sed -n 's/^ *\(not \)\{0,1\}ok [0-9]* - \(.*\) # TODO.*$/\2/p' "$out")
    summary=0
    [ -n "$pass$fail" ] && summary=1
    account "$name" "$rc" "${pass:-0}" "$(( ${fail:-0} + ${cancelled:-0} ))" "$summary"
    status_line "$name (all files)" "$last_pass" "$last_fail" "$(since "$started")" "$last_why"
}

# The TAP scripts of tests/install/, each accounted as one program.
run_tap_scripts() {
    local f name rc pass fail summary
    for f in tests/install/*.test.sh; do
        [ -f "$f" ] || continue
        name="install/$(basename "$f" .test.sh)"
        started=$EPOCHREALTIME
        timeout -k 5 "$C_TIMEOUT" bash "$f" "$build" </dev/null >"$out" 2>&1
        rc=$?
        keep_output "$name" "$out"
        pass=$(last_node "$out" pass)
        fail=$(last_node "$out" fail)
        while IFS= read -r line; do failed_cases+=("$name: $line"); done < <(
            sed -n 's/^not ok [0-9]* - \(.*\)$/\1/p' "$out")
        summary=0
        [ -n "$pass$fail" ] && summary=1
        account "$name" "$rc" "${pass:-0}" "${fail:-0}" "$summary"
        status_line "$name" "$last_pass" "$last_fail" "$(since "$started")" "$last_why"
        [ "$last_fail" -gt 0 ] && sed 's/^/    /' "$out"
    done
}

# The interop and browser tests run in parallel (node's default), the
# CPU-heavy stress tests (*stress*) after them on their own: run beside
# them, they starved the timing of the others.
run_interop() {
    local files=() stress=() f
    for f in tests/interop/*.test.mjs tests/browser/*.test.mjs docs/examples/frontend/*.test.mjs; do
        [ -f "$f" ] || continue
        case $f in *stress*) stress+=("$f") ;; *) files+=("$f") ;; esac
    done
    [ "${#files[@]}" -gt 0 ] || { echo "interop: no tests/{interop,browser}/*.test.mjs, skipped"; return; }
    if ! command -v node >/dev/null 2>&1; then
        echo "node not found on PATH (run tools/install-deps.sh)"
        account interop 127 0 0 0
        return
    fi
    run_node interop "${files[@]}"
    [ "${#stress[@]}" -eq 0 ] || run_node stress "${stress[@]}"
}

case $mode in
    unit)        run_c_dir unit "$build/tests/unit" ;;
    integration) run_c_dir integration "$build/tests/integration" ;;
    install)     run_tap_scripts ;;
    interop)     run_interop ;;
    all)         run_c_dir unit "$build/tests/unit"
                 run_c_dir integration "$build/tests/integration"
                 run_tap_scripts
                 run_interop ;;
esac

if [ "${#failed_programs[@]}" -gt 0 ]; then
    echo "failed:"
    printf '  %s\n' "${failed_programs[@]}"
fi
if [ "${#failed_cases[@]}" -gt 0 ]; then
    echo "failed test cases:"
    printf '  %s\n' "${failed_cases[@]}"
fi
if [ "${#todo_cases[@]}" -gt 0 ]; then
    echo "todo (run, not counted as passed or failed):"
    printf '  %s\n' "${todo_cases[@]}"
fi
if [ $((total_pass + total_fail)) -eq 0 ]; then
    echo "no test ran"
fi
echo "full output: $log"
echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ] && [ $((total_pass + total_fail)) -gt 0 ]
