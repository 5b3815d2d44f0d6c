#!/usr/bin/env bash
# load-test.sh - what the Switchyard gateway adds on top of a direct call, measured in one run.
#
# Builds the load-test tool (bench/Switchyard.LoadTest) and the gateway, starts the tool's fake OpenAI
# upstream on 127.0.0.1:18080 (CPU 0) and the gateway on 127.0.0.1:5080 (alone on CPU 1), waits until
# both answer, then drives "direct" (client -> upstream) and the gateway (client -> gateway -> upstream)
# at the same open-loop rates, alternating, plus a closed-loop max-throughput run, for non-streaming
# JSON and for streaming (SSE), and prints one markdown table with the added latency.
# Everything listens on loopback only; every process the script starts is stopped on exit.
#
#   bench/load-test.sh                # full run, ~2 min 10 s incl. an incremental build
#   bench/load-test.sh --quick        # smoke test, ~55 s
#   bench/load-test.sh --standin      # measure the .NET floor (shared kestrel-passthrough) instead
#   bench/load-test.sh --gw-cmd 'dotnet /abs/Other.dll --urls http://127.0.0.1:5080'
#
# Run bench/load-test.sh --help for every option.
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
BUILD="$HERE/.build"
SHARED_BENCH="${SHARED_BENCH:-$(cd "$ROOT/.." && pwd)/shared/bench}"

# ---------------- defaults ----------------
RATES="500,1000,2000"      # open-loop rates of the json scenario (req/s)
DURATION=10                # measured seconds per open-loop run
WARMUP=2                   # unrecorded lead-in of every run
MAX_DURATION=5             # measured seconds of the closed-loop max-throughput run
MAX_CONNS=32               # connections of that run
CONNS=64                   # keep-alive pool of the open-loop runs
PREWARM=5                  # closed-loop warm-up per target before the json runs (JIT tiering, pools)
STREAM_RATE=500            # open-loop rate of the sse scenario
GW_CPUS=1                  # the gateway under test, alone
AUX_CPUS=0                 # upstream, load generator and this script
UP_PORT=18080
GW_PORT=5080
GW_URL=""                  # default http://127.0.0.1:$GW_PORT/v1/chat/completions
GW_CMD=""
GW_NAME=""
STANDIN=0
NO_BUILD=0
SPIN_LIMIT=""
GOVERNED=0
AOT=0
OUT=""

usage() {
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  cat <<EOF
Options:
  --quick               rates 500,1000, 3 s runs, 1 s warm-up, 3 s max run, 2 s prewarm
  --rates LIST          open-loop rates, comma-separated (default $RATES)
  --duration S          measured seconds per run (default $DURATION); --warmup S (default $WARMUP)
  --max-duration S      closed-loop max run (default $MAX_DURATION); --max-conns N (default $MAX_CONNS; 0 = skip)
  --connections N       open-loop pool (default $CONNS);  --prewarm S (default $PREWARM)
  --stream-rate N       rate of the streaming scenario (default $STREAM_RATE; 0 = skip streaming)
  --gw-cmd CMD          start this instead of the built gateway (run as 'bash -c "exec CMD"', pinned to
                        --gw-cpus, cwd bench/.build, env MOCK_BASE_URL, MOCK_KEY, SWITCHYARD_BENCH_CONFIG)
  --gw-url URL          the gateway's chat-completions URL (default http://127.0.0.1:$GW_PORT/v1/chat/completions)
  --gw-name NAME        label of the gateway rows (default switchyard / kestrel-passthrough / custom)
  --aot                 publish and measure the Native AOT binary (the production artifact) instead of the JIT build
                        (bench/.build/gateway-aot; the publish takes minutes and needs clang)
  --governed            the key has RPM, TPM and concurrency limits and a budget, the deployment a price: every
                        request takes its limits, reserves and settles its budget (none of them ever refuses)
  --standin             use shared/bench's kestrel-passthrough sample as the gateway (the .NET floor);
                        built into bench/.build/kestrel-passthrough
  --spin-limit N        set DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=N for the gateway (see README)
  --gw-cpus LIST        taskset CPUs of the gateway (default $GW_CPUS); --aux-cpus LIST (default $AUX_CPUS)
  --out DIR             results directory (default bench/out/<timestamp>)
  --no-build            use what is already in bench/.build
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) RATES="500,1000"; DURATION=3; WARMUP=1; MAX_DURATION=3; PREWARM=2; shift;;
    --rates) RATES="$2"; shift 2;;
    --duration) DURATION="$2"; shift 2;;
    --warmup) WARMUP="$2"; shift 2;;
    --max-duration) MAX_DURATION="$2"; shift 2;;
    --max-conns) MAX_CONNS="$2"; shift 2;;
    --connections) CONNS="$2"; shift 2;;
    --prewarm) PREWARM="$2"; shift 2;;
    --stream-rate) STREAM_RATE="$2"; shift 2;;
    --gw-cmd) GW_CMD="$2"; shift 2;;
    --gw-url) GW_URL="$2"; shift 2;;
    --gw-name) GW_NAME="$2"; shift 2;;
    --standin) STANDIN=1; shift;;
    --spin-limit) SPIN_LIMIT="$2"; shift 2;;
    --governed) GOVERNED=1; shift;;
    --aot) AOT=1; shift;;
    --gw-cpus) GW_CPUS="$2"; shift 2;;
    --aux-cpus) AUX_CPUS="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    --no-build) NO_BUILD=1; shift;;
    -h|--help) usage; exit 0;;
    *) echo "unknown option: $1" >&2; usage >&2; exit 2;;
  esac
done

GW_URL="${GW_URL:-http://127.0.0.1:$GW_PORT/v1/chat/completions}"
[[ "$GW_URL" =~ ^http://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?(/.*)?$ ]] || { echo "refusing non-loopback --gw-url: $GW_URL" >&2; exit 2; }
[[ $STANDIN -eq 1 && -n "$GW_CMD" ]] && { echo "give either --standin or --gw-cmd" >&2; exit 2; }
[[ -z "$SPIN_LIMIT" || "$SPIN_LIMIT" =~ ^[0-9]+$ ]] || { echo "--spin-limit must be a non-negative integer" >&2; exit 2; }
awk -v d="$DURATION" -v w="$WARMUP" -v m="$MAX_DURATION" -v p="$PREWARM" \
  'BEGIN{exit !(d>0 && d<=120 && w>=0 && w<=30 && m>0 && m<=120 && p>=0 && p<=60)}' \
  || { echo "duration and max-duration must be in (0,120], warmup in [0,30], prewarm in [0,60]" >&2; exit 2; }
for n in "$MAX_CONNS" "$CONNS" "$STREAM_RATE"; do [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a number: $n" >&2; exit 2; }; done
if [[ -z "$GW_NAME" ]]; then
  if [[ $STANDIN -eq 1 ]]; then GW_NAME=kestrel-passthrough; elif [[ -n "$GW_CMD" ]]; then GW_NAME=custom; elif [[ $AOT -eq 1 ]]; then GW_NAME=switchyard-aot; else GW_NAME=switchyard; fi
fi

OUT="${OUT:-$HERE/out/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT" "$BUILD"
RESULTS="$OUT/results.jsonl"; : > "$RESULTS"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# ---------------- process bookkeeping + cleanup ----------------
STARTED_PGIDS=()
DRIVER_PID=""
stop_group() {  # $1 = pgid of a process this script started with setsid (the group holds only its tree)
  local g="$1" i
  kill -TERM -- "-$g" 2>/dev/null || true
  for i in $(seq 1 50); do kill -0 "$g" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$g" 2>/dev/null || true
  wait "$g" 2>/dev/null || true
}
cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  if [[ -n "$DRIVER_PID" ]]; then kill -TERM "$DRIVER_PID" 2>/dev/null || true; wait "$DRIVER_PID" 2>/dev/null || true; fi
  for (( i=${#STARTED_PGIDS[@]}-1; i>=0; i-- )); do stop_group "${STARTED_PGIDS[$i]}"; done
  [[ $rc -ne 0 ]] && log "exited with status $rc (all started processes stopped; logs in $OUT)"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_bg NAME CPUS CMD... : own process group (setsid), pinned (taskset), output to $OUT/NAME.log.
# Sets LAST_PID (= its process-group id) and registers it for cleanup.
start_bg() {
  local name="$1" cpus="$2"; shift 2
  setsid taskset -c "$cpus" "$@" >"$OUT/$name.log" 2>&1 &
  LAST_PID=$!
  STARTED_PGIDS+=("$LAST_PID")
}

# tool ARGS... : runs the load-test tool pinned to the aux CPUs, in the background so a signal to this
# script is handled at once (and the trap stops it).
LOADTEST="$BUILD/loadtest/Switchyard.LoadTest.dll"
tool() {
  taskset -c "$AUX_CPUS" dotnet "$LOADTEST" "$@" &
  DRIVER_PID=$!
  local rc=0; wait "$DRIVER_PID" || rc=$?
  DRIVER_PID=""
  return $rc
}

# ---------------- build ----------------
GATEWAY_DLL="$BUILD/gateway/switchyard.dll"
GATEWAY_AOT="$BUILD/gateway-aot/switchyard"
STANDIN_DLL="$BUILD/kestrel-passthrough/KestrelPassthrough.dll"
publish() {  # publish NAME PROJECT OUTDIR [extra args]
  local name="$1" proj="$2" out="$3"; shift 3
  log "building $name"
  if ! dotnet publish "$proj" -c Release -o "$out" --nologo -v quiet "$@" >"$OUT/build-$name.log" 2>&1; then
    tail -n 30 "$OUT/build-$name.log" >&2
    log "build of $name failed (full log: $OUT/build-$name.log)"
    return 1
  fi
}
if [[ $NO_BUILD -eq 0 ]]; then
  publish loadtest "$HERE/Switchyard.LoadTest/Switchyard.LoadTest.csproj" "$BUILD/loadtest"
  if [[ $STANDIN -eq 1 ]]; then
    [[ -f "$SHARED_BENCH/samples/kestrel-passthrough/KestrelPassthrough.csproj" ]] \
      || { log "stand-in sample not found under $SHARED_BENCH (set SHARED_BENCH)"; exit 1; }
    # --artifacts-path keeps obj/ and bin/ out of the (read-only) shared folder.
    publish kestrel-passthrough "$SHARED_BENCH/samples/kestrel-passthrough/KestrelPassthrough.csproj" \
      "$BUILD/kestrel-passthrough" --artifacts-path "$BUILD/artifacts"
  elif [[ -z "$GW_CMD" ]]; then
    # Publish into a fresh folder and swap it in: a failed or interrupted publish must not leave a mix of
    # old and new assemblies behind (that fails at start-up with FileNotFoundException).
    local_dir="gateway"; aot_args=()
    [[ $AOT -eq 1 ]] && { local_dir="gateway-aot"; aot_args=(-r linux-x64 -p:PublishAot=true); }
    rm -rf "$BUILD/$local_dir.new"
    publish gateway "$ROOT/src/Switchyard/Switchyard.csproj" "$BUILD/$local_dir.new" "${aot_args[@]}" \
      || { log "the gateway does not build right now; --no-build reuses the last good build, --standin or --gw-cmd measure another process"; exit 1; }
    rm -rf "${BUILD:?}/$local_dir" && mv "$BUILD/$local_dir.new" "$BUILD/$local_dir"
  fi
fi
[[ -f "$LOADTEST" ]] || { log "missing $LOADTEST (run without --no-build)"; exit 1; }

# ---------------- gateway config + command ----------------
CONFIG="$BUILD/switchyard-bench.yaml"
KEY_HASH=$(printf '%s' sk-bench | sha256sum | cut -d' ' -f1)
write_config() {  # write_config FILE BASE_URL COMMENT
  local key_policy="" price=""
  if [[ $GOVERNED -eq 1 ]]; then
    key_policy=$'\n      limits: { rpm: 100000000, tpm: 100000000000, concurrency: 100000 }\n      budget: { limit_usd: 100000000, period: monthly }'
    price=$'\n    price: { input: 0.15, output: 0.6 }'
  fi
  cat > "$1" <<EOF
# $3
auth:
  keys:
    - id: bench
      hash: sha256:$KEY_HASH$key_policy
providers:
  mock:
    kind: openai-compatible
    base_url: $2
    api_key: \${MOCK_KEY}
deployments:
  mock-gpt:
    provider: mock
    model: gpt-4o-mini$price
models:
  gpt-4o-mini:
    deployments: [mock-gpt]
EOF
}
write_config "$CONFIG" "http://127.0.0.1:$UP_PORT/v1" \
  "Written by bench/load-test.sh: one openai-compatible provider pointing at the fake upstream."
# The same for shared/bench/peer-bench.sh, which exports its mock's URL as MOCK_BASE_URL (see README).
write_config "$BUILD/peer-bench.yaml" '${MOCK_BASE_URL}' \
  "Written by bench/load-test.sh for shared/bench/peer-bench.sh: the provider points at \${MOCK_BASE_URL}."

if [[ $STANDIN -eq 1 ]]; then
  [[ -f "$STANDIN_DLL" ]] || { log "missing $STANDIN_DLL (run without --no-build)"; exit 1; }
  GW_CMD="dotnet $STANDIN_DLL --urls http://127.0.0.1:$GW_PORT"
elif [[ -z "$GW_CMD" && $AOT -eq 1 ]]; then
  [[ -x "$GATEWAY_AOT" ]] || { log "missing $GATEWAY_AOT (run without --no-build)"; exit 1; }
  GW_CMD="$GATEWAY_AOT serve --config $CONFIG --urls http://127.0.0.1:$GW_PORT --data $OUT/gateway-data"
elif [[ -z "$GW_CMD" ]]; then
  [[ -f "$GATEWAY_DLL" ]] || { log "missing $GATEWAY_DLL (run without --no-build, or use --gw-cmd)"; exit 1; }
  # A fresh data directory per run: the usage database must not grow from one run to the next.
  GW_CMD="dotnet $GATEWAY_DLL serve --config $CONFIG --urls http://127.0.0.1:$GW_PORT --data $OUT/gateway-data"
fi

# ---------------- environment ----------------
export MOCK_KEY=sk-mock                                 # the gateway's upstream key (${MOCK_KEY} in the config)
export MOCK_BASE_URL="http://127.0.0.1:$UP_PORT/v1"     # for --gw-cmd/--standin gateways (peer-bench convention)
export SWITCHYARD_BENCH_CONFIG="$CONFIG"
GW_ENV=(DOTNET_TieredPGO="${DOTNET_TieredPGO:-1}")      # the .NET 8+ default, pinned so a stray value cannot skew a run
[[ -n "$SPIN_LIMIT" ]] && GW_ENV+=(DOTNET_ThreadPool_UnfairSemaphoreSpinLimit="$SPIN_LIMIT")

{
  echo "date: $(date -u +%FT%TZ)"
  echo "host: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), kernel $(uname -r), dotnet $(dotnet --version)"
  echo "pinning: gateway on CPU(s) $GW_CPUS alone; upstream + load generator on CPU(s) $AUX_CPUS"
  echo "gateway ($GW_NAME): $GW_CMD"
  echo "gateway env: ${GW_ENV[*]}"
  [[ -n "$SPIN_LIMIT" ]] && echo "note: DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=$SPIN_LIMIT lowers thread-pool spin-waiting (less CPU/req at moderate load; see README)"
  [[ $GOVERNED -eq 1 ]] && echo "governed: key with rpm, tpm, concurrency limits and a monthly budget; deployment priced"
  echo "runs: json rates=[$RATES] duration=${DURATION}s warmup=${WARMUP}s pool=$CONNS, max ${MAX_CONNS} conns ${MAX_DURATION}s, prewarm ${PREWARM}s; sse rate=$STREAM_RATE"
} > "$OUT/env.txt"
cat "$OUT/env.txt" >&2

for p in $UP_PORT $GW_PORT; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then log "port $p on 127.0.0.1 is already in use; stop that process first"; exit 1; fi
done

# ---------------- start upstream + gateway ----------------
start_bg upstream "$AUX_CPUS" dotnet "$LOADTEST" upstream --port "$UP_PORT"; UP_G=$LAST_PID
tool probe --method GET --url "http://127.0.0.1:$UP_PORT/health" --timeout 30 --watch-pid "$UP_G" \
  || { log "upstream did not start; see $OUT/upstream.log"; exit 1; }

start_bg "$GW_NAME" "$GW_CPUS" env -C "$BUILD" "${GW_ENV[@]}" bash -c "exec $GW_CMD"; GW_G=$LAST_PID
tool probe --url "$GW_URL" --header 'Authorization: Bearer sk-bench' --timeout 60 --watch-pid "$GW_G" \
  || { log "gateway not ready; last lines of $OUT/$GW_NAME.log:"; tail -n 20 "$OUT/$GW_NAME.log" >&2; exit 1; }

# ---------------- measure ----------------
COMMON=(--direct-url "http://127.0.0.1:$UP_PORT/v1/chat/completions" --gateway-url "$GW_URL" --gw-name "$GW_NAME"
        --direct-header 'Authorization: Bearer sk-mock' --gw-header 'Authorization: Bearer sk-bench'
        --duration "$DURATION" --warmup "$WARMUP" --connections "$CONNS" --gw-pid "$GW_G" --json-out "$RESULTS")
log "json: prewarm, then rates $RATES alternating direct/$GW_NAME, then max throughput"
tool compare "${COMMON[@]}" --scenario json --rates "$RATES" --max-conns "$MAX_CONNS" --max-duration "$MAX_DURATION" \
  --prewarm "$PREWARM" > "$OUT/json.md"
if [[ "$STREAM_RATE" -gt 0 ]]; then
  log "sse: $STREAM_RATE rps alternating direct/$GW_NAME"
  tool compare "${COMMON[@]}" --stream --scenario sse --rates "$STREAM_RATE" --max-conns 0 --prewarm 1 > "$OUT/sse.md"
fi

{
  echo "## $GW_NAME vs direct ($(date -u +%F), $(nproc) CPUs, gateway pinned to CPU $GW_CPUS)"
  echo
  tool report --in "$RESULTS"
  echo
  echo '```'
  cat "$OUT/env.txt"
  echo '```'
} > "$OUT/summary.md"
echo
cat "$OUT/summary.md"
log "results: $OUT (results.jsonl, summary.md, env.txt, *.log)"
