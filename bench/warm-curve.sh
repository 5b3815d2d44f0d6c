#!/bin/bash
# usage: bench/warm-curve.sh LABEL GATEWAY_DLL_OR_BIN WINDOWS [env K=V...]: closed-loop max rps in successive 5 s windows from a cold start
# Example: bench/warm-curve.sh aot bench/.build/gateway-aot/switchyard 10; bench/warm-curve.sh jit bench/.build/gateway/switchyard.dll 10 DOTNET_TieredPGO=0
# Needs a build from bench/load-test.sh (it publishes the tool, the gateway and writes the config). Pinned like it.
set -u
LABEL=$1; GW=$2; N=$3; shift 3
HERE="$(cd "$(dirname "$0")" && pwd)"
LT=$HERE/.build/loadtest/Switchyard.LoadTest.dll
CFG=${CFG:-$HERE/.build/switchyard-bench.yaml}   # written by load-test.sh (--governed for the governed one)
D=$(mktemp -d /tmp/warm.XXXX)
export MOCK_KEY=sk-mock
setsid taskset -c 0 dotnet $LT upstream --port 18080 > $D/up.log 2>&1 & UP=$!
if [[ $GW == *.dll ]]; then CMD="dotnet $GW"; else CMD="$GW"; fi
env "$@" setsid taskset -c 1 $CMD serve --config $CFG --urls http://127.0.0.1:5080 --data $D/data > $D/gw.log 2>&1 & GWP=$!
taskset -c 0 dotnet $LT probe --url http://127.0.0.1:5080/v1/chat/completions --header 'Authorization: Bearer sk-bench' >/dev/null 2>&1
line="$LABEL:"
for i in $(seq 1 $N); do
  r=$(taskset -c 0 dotnet $LT drive --url http://127.0.0.1:5080/v1/chat/completions --header 'Authorization: Bearer sk-bench' --rates 1 --duration 1 --warmup 0 --max-conns 32 --max-duration 5 --gw-pid $GWP 2>/dev/null | python3 -c 'import sys,json
for l in sys.stdin:
  j=json.loads(l)
  if j["mode"]=="closed": print("%d/%d" % (j["achieved_rps"], j["gw_cpu_us_per_req"]))')
  line="$line $r"
done
echo "$line"
kill -- -$GWP -$UP 2>/dev/null; wait 2>/dev/null
