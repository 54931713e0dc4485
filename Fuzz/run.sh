#!/usr/bin/env bash
# Builds the libFuzzer targets (Fuzz/Targets/*) into .build-fuzz and runs each for FUZZ_SECONDS.
# `make fuzz` runs them long (300 s each); `make test-fuzz` short (15 s each, unoptimized).
#
#   Fuzz/run.sh [TARGET…]            every target, or the ones named (FuzzEmail, FuzzMeta …)
#   FUZZ_SECONDS=60 Fuzz/run.sh      time per target (default 20)
#   FUZZ_JOBS=1 Fuzz/run.sh          targets run side by side (default: the number of cores)
#   FUZZ_BUILD=0 Fuzz/run.sh         run what is built
#   FUZZ_CONFIG=debug Fuzz/run.sh    unoptimized (`make test-fuzz`: builds in a third of the time, runs slower)
#   FUZZ_TRACE=1                     print each input's outcome (are the seeds reaching the decoder?)
#   Fuzz/run.sh --build [TARGET…]    only build
#   Fuzz/run.sh --reproduce TARGET FILE…   run inputs once (a crash file) and show where it failed
#
# Seeds: Fuzz/Seeds/TARGET (ours), the inputs that once crashed a decoder (Tests/*/Fixtures/fuzz/TARGET,
# each a unit test too) and the folders Fuzz/seed-folders names (the shared corpus read in place:
# SWITCHBOARD_CORPUS, default ../shared/corpus). `swift test` replays them all (FuzzHarnessTests). What the fuzzer finds goes to .build-fuzz/corpus/TARGET and is kept across runs;
# crashes, timeouts, leaks and out-of-memory inputs to .build-fuzz/artifacts/TARGET/. Exits non-zero
# when a target fails to build or finds anything.
set -euo pipefail
cd "$(dirname "$0")/.."

SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
# release: the decoders at full speed, for long runs. debug: a fresh build of the ten targets takes a
# third of the time (367 s against 1,049 s here) and runs about half as many inputs (FuzzWebhook
# 10,855 against 21,590 in 15 s; FuzzEmail 432 against 561, its GMime being C): it still replays every
# seed, which is what the short run (`make test-fuzz`) is for.
CONFIG=${FUZZ_CONFIG:-release}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-20}
JOBS=${FUZZ_JOBS:-$(nproc)}
# One input taking this long is a finding (a decoder that can be made to spin stalls a channel).
TIMEOUT=${FUZZ_TIMEOUT:-20}
CORPUS=${SWITCHBOARD_CORPUS:-../shared/corpus}
ALL_TARGETS=(FuzzEmail FuzzWebhook FuzzMeta FuzzTelegram FuzzX FuzzTwilio FuzzPhoneLog FuzzExternal FuzzConfig FuzzPlatformAnswers)

# The folders besides Fuzz/Seeds/TARGET that seed a target (Fuzz/seed-folders; those missing are skipped).
seed_dirs() {
    local dir
    for dir in $(awk -v target="$1" '$1 == target { for (i = 2; i <= NF; i++) print $i }' Fuzz/seed-folders); do
        case "$dir" in
            corpus/*) echo "$CORPUS/${dir#corpus/}" ;;
            *) echo "$dir" ;;
        esac
    done
}

# libFuzzer options of one target, with why.
target_options() {
    case "$1" in
        # The line reader's thread ends after the input does, so nearly every input looks like it
        # leaked and triggers a full leak scan (4x slower); the decoders it feeds allocate nothing
        # that outlives a line.
        FuzzExternal) echo "-detect_leaks=0" ;;
    esac
}

build() {
    local target
    mkdir -p "$SCRATCH"
    for target in "$@"; do
        echo "fuzz: building $target"
        # Optimized unless FUZZ_CONFIG says debug (see CONFIG). -sanitize only through -Xswiftc:
        # the Swift code gets coverage and AddressSanitizer, the C dependencies (BoringSSL, libyaml)
        # are built as usual. gold's notes about ASan's local symbols are noise.
        local status=0
        SWITCHBOARD_FUZZ=1 swift build -c "$CONFIG" --scratch-path "$SCRATCH" --product "$target" \
            -Xswiftc -sanitize=fuzzer,address >"$SCRATCH/build.log" 2>&1 || status=$?
        grep -v "Cannot export local symbol '__asan" "$SCRATCH/build.log" || true
        [[ $status -eq 0 ]] || { echo "fuzz: $target does not build" >&2; return 1; }
    done
}

# libFuzzer handles the crash itself (and writes the input); Swift's backtracer would get there first.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0}

run_one() {
    local target=$1 dirs=() dir
    local work="$SCRATCH/corpus/$target" artifacts="$SCRATCH/artifacts/$target" log="$SCRATCH/logs/$target.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    [[ -d Fuzz/Seeds/$target ]] && dirs+=("Fuzz/Seeds/$target")
    for dir in Tests/*/Fixtures/fuzz/"$target"; do [[ -d $dir ]] && dirs+=("$dir"); done
    for dir in $(seed_dirs "$target"); do [[ -d $dir ]] && dirs+=("$dir"); done
    local options=(-max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb=2560
        -artifact_prefix="$artifacts/" -print_final_stats=1)
    [[ -f Fuzz/Dictionaries/$target.dict ]] && options+=(-dict="Fuzz/Dictionaries/$target.dict")
    options+=($(target_options "$target"))
    # The first folder collects what the fuzzer finds; the seed folders are only read.
    local status=0
    "$SCRATCH/$CONFIG/$target" "${options[@]}" "$work" "${dirs[@]}" >"$log" 2>&1 || status=$?
    echo "$status" >"$log.status"
}

summary() {
    local target=$1 status=$2 log="$SCRATCH/logs/$1.log"
    local done execs cov ft corpus
    done=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|pulse|NEW|REDUCE)' "$log" | tail -1 || true)
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+$' || true)
    [[ -n $execs ]] || execs=$(sed -E 's/^#([0-9]+).*/\1/' <<<"$done")
    cov=$(grep -oE 'cov: [0-9]+' <<<"$done" | grep -oE '[0-9]+' || true)
    ft=$(grep -oE 'ft: [0-9]+' <<<"$done" | grep -oE '[0-9]+' || true)
    corpus=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$done" | cut -d' ' -f2 || true)
    local result=ok
    if [[ $status -ne 0 ]]; then
        result="FAILED: $(grep -m1 -oE 'ERROR: libFuzzer: [a-z-]+|ERROR: AddressSanitizer: [a-z-]+|Fatal error: .*' "$log" || echo "exit $status")"
    fi
    printf '%-20s %10s execs  cov %-6s ft %-6s corpus %-12s %s\n' "$target" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$result"
}

# The whole run is one function, so bash has read all of it before it starts (editing this file
# while it runs changes nothing).
main() {
    local target status failed started built build_only targets
    if [[ ${1:-} == --reproduce ]]; then
        shift
        target=$1
        shift
        [[ ${FUZZ_BUILD:-1} == 0 ]] || build "$target"
        # libFuzzer prints the symbolized stack (Swift's own backtracer would hang under ASan).
        "$SCRATCH/$CONFIG/$target" -runs=1 "$@"
        exit
    fi

    build_only=0
    if [[ ${1:-} == --build ]]; then build_only=1; shift; fi
    targets=("$@")
    [[ ${#targets[@]} -gt 0 ]] || targets=("${ALL_TARGETS[@]}")
    if [[ $build_only == 1 ]]; then build "${targets[@]}"; exit; fi
    started=$(date +%s)
    [[ ${FUZZ_BUILD:-1} == 0 ]] || build "${targets[@]}"
    built=$(date +%s)
    echo "fuzz: ${#targets[@]} targets × ${SECONDS_PER_TARGET}s, $JOBS at a time (logs in $SCRATCH/logs)"

    for target in "${targets[@]}"; do
        while [[ $(jobs -rp | wc -l) -ge $JOBS ]]; do wait -n || true; done
        rm -f "$SCRATCH/logs/$target.log.status"
        run_one "$target" &
    done
    wait

    failed=0
    for target in "${targets[@]}"; do
        status=$(cat "$SCRATCH/logs/$target.log.status" 2>/dev/null || echo 1)
        summary "$target" "$status"
        if [[ $status -ne 0 ]]; then
            failed=1
            grep -E 'Test unit written to|^SUMMARY' "$SCRATCH/logs/$target.log" | sed 's/^/    /' || true
        fi
    done
    echo "fuzz: build $((built - started))s, fuzzing $(($(date +%s) - built))s"
    if [[ $failed -ne 0 ]]; then
        echo "fuzz: a target found a problem; reproduce with: Fuzz/run.sh --reproduce TARGET FILE" >&2
        exit 1
    fi
}

main "$@"
