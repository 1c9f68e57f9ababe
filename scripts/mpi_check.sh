#!/usr/bin/env bash
# The multi-process checks of ferrax::dist (feature `mpi`), run by .ci/run:
#  1. tests/dist (the dist test binary) under mpirun with 2 and 4 processes;
#  2. examples/data_parallel trains the digits MLP for STEPS steps with 1, 2 and 4 processes
#     on the same global batches: every rank must hold bit-identical parameters (digest and
#     pmax == pmin == own), and the 2- and 4-process parameters must equal the 1-process ones
#     within TOL (absolute, 1e-6): the gradient sums run in another order, so they differ by
#     f32 rounding, which Adam's steps carry forward (measured: 4.5e-8 after 60 steps, about
#     one ulp of the largest parameters, |p| < 1); 1e-6 is ~16 ulps there and 1000 times
#     below one Adam step (lr 1e-3), so a wrong reduction (a shard missing or counted twice,
#     a wrong weight) cannot pass;
#  3. a rank that panics makes the whole job fail fast with its message (MPI_Abort), not hang;
#     a rank that stalls makes the others abort after FERRAX_DIST_TIMEOUT seconds.
# Needs Open MPI (mpirun). Builds what it runs with the dev profile and --all-features, the
# build `cargo test --all-targets --all-features` of .ci/run has already made.
set -euo pipefail
cd "$(dirname "$0")/.."

STEPS="${STEPS:-60}"
TOL="${TOL:-1e-6}"
target="${CARGO_TARGET_DIR:-$PWD/target}"
# Loopback only, shared memory between ranks; as root; no warnings about unused transports.
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --mca btl self,vader
        --mca btl_vader_single_copy_mechanism none --bind-to none)
export OMPI_MCA_rmaps_base_oversubscribe=1
# One compute thread per rank (2 cores; -np 4 oversubscribes them already).
export RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-1}"

echo "== building the dist tests and the data_parallel example"
cargo build --all-features --example data_parallel
test_bin="$(cargo test --all-features --test dist --no-run --message-format=json 2>/dev/null \
  | sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)"
[ -x "$test_bin" ] || { echo "FAILED: cannot find the dist test binary"; exit 1; }
example="$target/debug/examples/data_parallel"

for np in 2 4; do
  echo "== tests/dist with $np processes"
  timeout 300 "${MPIRUN[@]}" -np "$np" "$test_bin"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== data_parallel: $STEPS steps with 1 process (the reference)"
timeout 300 "${MPIRUN[@]}" -np 1 "$example" --steps "$STEPS" --quiet --digest \
  --save "$work/np1.safetensors" | tee "$work/np1.log"
for np in 2 4; do
  echo "== data_parallel: $STEPS steps with $np processes"
  timeout 600 "${MPIRUN[@]}" -np "$np" "$example" --steps "$STEPS" --quiet --digest \
    --compare "$work/np1.safetensors" --tol "$TOL" | tee "$work/np$np.log"
  digests="$(sed -n 's/^rank [0-9]* params digest \([0-9a-f]*\).*/\1/p' "$work/np$np.log" | sort -u)"
  ranks="$(grep -c '^rank [0-9]* params digest' "$work/np$np.log")"
  if [ "$ranks" != "$np" ] || [ "$(echo "$digests" | wc -l)" != 1 ]; then
    echo "FAILED: expected $np ranks with one digest, got $ranks ranks and digests: $digests"
    exit 1
  fi
  grep -q '^all ranks hold identical parameters: true$' "$work/np$np.log"
  grep -q '^max |params - .*| = .* (tolerance' "$work/np$np.log"
done

echo "== failure: rank 1 of 2 panics at step 3; the job must stop within 60 s with its message"
set +e
timeout 60 "${MPIRUN[@]}" -np 2 "$example" --steps 20 --quiet --panic-at 3 >"$work/panic.log" 2>&1
rc=$?
set -e
head -20 "$work/panic.log"
if [ "$rc" != 101 ]; then
  echo "FAILED: the job with a panicking rank exited with $rc, not MPI_Abort's 101 (124: hung)"
  exit 1
fi
grep -q 'rank 1 panics at step 3' "$work/panic.log"
grep -q 'calling MPI_Abort' "$work/panic.log"

echo "== failure: rank 1 of 2 stalls at step 3; FERRAX_DIST_TIMEOUT=5 must abort the job"
set +e
FERRAX_DIST_TIMEOUT=5 timeout 60 "${MPIRUN[@]}" -x FERRAX_DIST_TIMEOUT -np 2 "$example" --steps 20 \
  --quiet --stall-at 3 >"$work/stall.log" 2>&1
rc=$?
set -e
head -20 "$work/stall.log"
if [ "$rc" != 110 ]; then
  echo "FAILED: the job with a stalled rank exited with $rc, not the watchdog's 110 (124: hung)"
  exit 1
fi
grep -q 'waited more than FERRAX_DIST_TIMEOUT=5.0 s in one collective (psum)' "$work/stall.log"
echo "mpi checks passed (parameters within $TOL of one process after $STEPS steps; ranks identical)"
