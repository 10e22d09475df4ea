# shellcheck shell=bash
# The events and webhooks benchmark (issue 5), sourced by bench/run (which provides log, kv, rss, hwm, wait_idle,
# busy_pct and the knobs). bench_events ENGINE NODES starts NODES `tessera serve` processes on one fresh database
# (they share the data dir, hence the data key, and one public URL), then webhook_load signs up, creates an
# organization and an endpoint at its own receiver, and measures events accepted/s, the delivery rate of a
# recovered backlog, and event-to-delivery latency at a steady rate. Results land in $OUT/<engine>/events-<N>n/.

EXTRA_PIDS=()

bench_events() {
  local engine=$1 nodes=$2 url datadir i port pid t0 code bases="" pids=()
  EDIR="$OUT/$engine/events-${nodes}n"; mkdir -p "$EDIR"
  datadir=$(mktemp -d /tmp/tessera-bench-events.XXXXXX); DATA_DIRS+=("$datadir")
  new_database "$engine" events "$datadir"; url=$DB_URL
  : >"$EDIR/meta.env"; kv engine "$engine"; kv nodes "$nodes"; kv database_url "$url"
  export TESSERA_RATE_LIMIT__GLOBAL_PER_IP=1000000000 TESSERA_SSRF_ALLOW=127.0.0.0/8 \
         TESSERA_WEBHOOKS__RETRY_SCHEDULE_SECS='[0]' TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS=3600
  wait_idle "starting tessera ($engine, $nodes node(s))"; kv busy_before_pct "$(busy_pct)"
  for ((i = 1; i <= nodes; i++)); do
    port=$((PORT + i - 1))
    "$BIN" serve --bind "127.0.0.1:$port" --public-url "$BASE" --database-url "$url" --data-dir "$datadir" \
      >"$EDIR/server-$i.log" 2>&1 &
    pid=$!; pids+=("$pid"); EXTRA_PIDS+=("$pid")
    t0=$(date +%s%N)
    while :; do
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/ready" || true)
      [ "$code" = 200 ] && break
      kill -0 "$pid" 2>/dev/null || { log "tessera node $i exited"; tail -20 "$EDIR/server-$i.log" >&2; exit 1; }
      (( $(date +%s%N) - t0 > 60000000000 )) && { log "tessera node $i not ready after 60 s"; exit 1; }
      sleep 0.01
    done
    bases="${bases:+$bases,}http://127.0.0.1:$port"
  done
  log "$engine/events: $nodes node(s) ready ($bases); burst $EV_BURST events, $EV_CONNS conns; steady $EV_RATE/s for ${EV_STEADY}s"
  if ! "$WEBHOOK_BIN" --nodes "$bases" --burst "$EV_BURST" --conns "$EV_CONNS" --rate "$EV_RATE" --steady-secs "$EV_STEADY" \
       >"$EDIR/result.json" 2>"$EDIR/load.log"; then
    log "webhook_load failed:"; tail -20 "$EDIR/load.log" >&2; exit 1
  fi
  log "$engine/events ($nodes node(s)): $(cat "$EDIR/result.json")"
  for ((i = 1; i <= nodes; i++)); do
    kv "rss_after_kb_node$i" "$(rss "${pids[$((i - 1))]}")"; kv "rss_hwm_kb_node$i" "$(hwm "${pids[$((i - 1))]}")"
    kv "server_log_errors_node$i" "$(grep -c '"level":"ERROR"' "$EDIR/server-$i.log" || true)"
  done
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  EXTRA_PIDS=()
  drop_database "$engine"
  rm -rf "$datadir"
  unset TESSERA_RATE_LIMIT__GLOBAL_PER_IP TESSERA_SSRF_ALLOW TESSERA_WEBHOOKS__RETRY_SCHEDULE_SECS TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS
}
