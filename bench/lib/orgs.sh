# shellcheck shell=bash
# The organizations benchmark (issue 4), sourced by bench/run, which provides log, kv, rss, hwm, wait_idle,
# busy_pct, json_field, wrk_measure, start_tessera, stop_tessera and the knobs. For one engine, on a fresh
# database: seed_orgs seeds ORG_USERS users, ORG_ORGS organizations with ORG_MEMBERS members and ORG_TEAMS teams
# each (one team seat per member) and ORG_AUDIT chained audit entries; tessera starts on it; the service user
# and the exporter sign in over HTTP and the service creates an API key over HTTP; then wrk loads
# POST /authz/check, GET /orgs/{id} with X-API-Key and the audit-log listings, and curl times the exports.
# Everything lands in $OUT/<engine>/orgs/.

# org_curl NAME URL TOKEN_HEADER: GETs URL once into NAME.sample.json; prints "code seconds bytes".
org_curl() {
  curl -s -o "$EDIR/$1.sample.json" -w '%{http_code} %{time_total} %{size_download}' -H "$3" "$2" || echo "000 0 0"
}

# time_export NAME URL HEADER RUNS: downloads URL RUNS times; appends one JSON line per run to exports.jsonl.
# The body of the last run is kept as NAME.out (JSONL lines counted; a JSON document's auditEntries counted).
time_export() {
  local name=$1 url=$2 header=$3 runs=$4 i res code t size lines
  for ((i = 1; i <= runs; i++)); do
    res=$(curl -s -o "$EDIR/$name.out" -w '%{http_code} %{time_total} %{size_download}' -H "$header" "$url" || echo "000 0 0")
    read -r code t size <<<"$res"
    if [[ $name == me-* ]]; then
      lines=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["data"].get("auditEntries") or []))' "$EDIR/$name.out" 2>/dev/null || echo -1)
    else
      lines=$(grep -c . "$EDIR/$name.out" || true)
    fi
    printf '{"name":"%s","run":%d,"status":%s,"seconds":%s,"bytes":%s,"entries":%s}\n' \
      "$name" "$i" "$code" "$t" "$size" "$lines" >>"$EDIR/exports.jsonl"
    log "orgs: export $name run $i: HTTP $code in ${t}s, $size bytes, $lines entries"
  done
}

# full_export: the whole hot organization's log as JSONL once, sampling the server's RSS meanwhile.
full_export() {
  local url=$1 header=$2 cpid start
  start=$(date +%s%N)
  echo "0 $(rss "$SERVER_PID")" >"$EDIR/export-full.rss"
  curl -s -o "$EDIR/export-full.out" -w '%{http_code} %{time_total} %{size_download}' -H "$header" "$url" \
    >"$EDIR/export-full.curl" 2>/dev/null &
  cpid=$!
  while kill -0 "$cpid" 2>/dev/null; do
    echo "$(( ($(date +%s%N) - start) / 1000000 )) $(rss "$SERVER_PID")" >>"$EDIR/export-full.rss"; sleep 0.2
  done
  wait "$cpid" || true
  local code t size lines
  read -r code t size <"$EDIR/export-full.curl" || true
  lines=$(grep -c . "$EDIR/export-full.out" || true)
  printf '{"name":"org-full-jsonl","run":1,"status":%s,"seconds":%s,"bytes":%s,"entries":%s}\n' \
    "${code:-0}" "${t:-0}" "${size:-0}" "$lines" >>"$EDIR/exports.jsonl"
  log "orgs: full export of the hot organization: HTTP $code in ${t}s, $size bytes, $lines entries"
  rm -f "$EDIR/export-full.out"   # hundreds of MB at the default sizes
}

bench_orgs() {
  local engine=$1 url datadir seed hot other svc exp q1 mid q1t q3t stok etok key res code org api="$BASE/api/v1"
  EDIR="$OUT/$engine/orgs"; mkdir -p "$EDIR"
  datadir=$(mktemp -d /tmp/tessera-bench-orgs.XXXXXX); DATA_DIRS+=("$datadir")
  new_database "$engine" orgs "$datadir"; url=$DB_URL
  : >"$EDIR/meta.env"; kv engine "$engine"; kv database_url "$url"
  wait_idle "seeding ($engine)"
  log "$engine/orgs: seeding $ORG_USERS users, $ORG_ORGS organizations x $ORG_TEAMS teams, $ORG_AUDIT audit entries..."
  if ! "$SEED_BIN" --database-url "$url" --data-dir "$datadir" --out "$EDIR" --users "$ORG_USERS" --orgs "$ORG_ORGS" \
       --teams "$ORG_TEAMS" --members "$ORG_MEMBERS" --audit "$ORG_AUDIT" --export-entries "$ORG_EXPORT_ENTRIES" \
       --hot-share "$ORG_HOT_SHARE" --password "$PASSWORD" >"$EDIR/seed.json" 2>"$EDIR/seed.log"; then
    log "seeding failed:"; tail -20 "$EDIR/seed.log" >&2; exit 1
  fi
  seed=$(cat "$EDIR/seed.json")
  log "$engine/orgs: seeded in $(python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])' <<<"$seed") s"
  pyget() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$seed"; }
  hot=$(pyget 'd["hotOrgId"]'); other=$(pyget 'd["otherOrgId"]')
  svc=$(pyget 'd["service"]["email"]'); exp=$(pyget 'd["exporter"]["userId"]')
  q1=$(pyget 'd["audit"]["hotCursors"]["quarter"]["cursor"]'); mid=$(pyget 'd["audit"]["hotCursors"]["middle"]["cursor"]')
  q1t=$(pyget 'd["audit"]["hotCursors"]["quarter"]["time"]'); q3t=$(pyget 'd["audit"]["hotCursors"]["threeQuarters"]["time"]')

  # Rate limits stay on (the per-key limiter is part of an API-key request) but out of a one-address load's reach.
  export TESSERA_RATE_LIMIT__GLOBAL_PER_IP=1000000000 TESSERA_ACCESS__API_KEY_RATE_LIMIT_PER_MINUTE=1000000000 \
         TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS=3600
  start_tessera "$url" "$datadir" "$engine/orgs"
  kv ready_ms "$READY_MS"; kv rss_ready_kb "$(rss "$SERVER_PID")"

  stok=$(curl -s -X POST "$api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$svc\",\"password\":\"$PASSWORD\"}" | json_field accessToken)
  etok=$(curl -s -X POST "$api/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"seed-1@example.com\",\"password\":\"$PASSWORD\"}" | json_field accessToken)
  [ -n "$stok" ] && [ -n "$etok" ] || { log "orgs: signing in as a seeded user failed"; exit 1; }
  res=$(curl -s -w '\n%{http_code}' -X POST "$api/orgs/$hot/api-keys" -H "authorization: Bearer $stok" \
    -H 'content-type: application/json' -d '{"name":"bench","permissions":["members:read","teams:read"]}')
  kv check_api_key_create "$(tail -1 <<<"$res")"
  key=$(head -n -1 <<<"$res" | json_field secret)
  [ -n "$key" ] || { log "orgs: creating an API key failed: $res"; exit 1; }

  # Sanity, once each: the code is kept in meta.env, the body in *.sample.json.
  local sb="authorization: Bearer $stok"
  read -r code _ _ <<<"$(curl -s -o "$EDIR/check.sample.json" -w '%{http_code} 0 0' -X POST "$api/authz/check" -H "$sb" \
    -H 'content-type: application/json' -d "{\"subject\":\"$exp\",\"orgId\":\"$hot\",\"permission\":\"members:read\"}")"
  kv check_authz "$code"
  kv check_api_key_get "$(org_curl apikey-get "$api/orgs/$hot" "x-api-key: $key" | cut -d' ' -f1)"
  for org in "$hot" "$other"; do
    res=$(org_curl "verify-$([ "$org" = "$hot" ] && echo hot || echo other)" "$api/orgs/$org/audit-logs/verify" "$sb")
    kv "verify_$([ "$org" = "$hot" ] && echo hot || echo other)" "$res"
  done
  log "$engine/orgs: verify hot chain: $(cat "$EDIR/verify-hot.sample.json" | head -c 300)"

  # Audit-log queries: first pages with filters, and pages deep in the hot organization's log.
  local base="/api/v1/orgs/$hot/audit-logs?limit=50"
  printf '%s\n' "$base" "$base&action=member.role_changed" "$base&action=team.*" "$base&actor=$exp" \
    "$base&actorType=apikey&action=member.*" "$base&targetType=team&from=$q1t&to=$q3t" \
    "/api/v1/orgs/$other/audit-logs?limit=50&action=member.*" >"$EDIR/paths-audit-filters.txt"
  printf '%s\n' "$base&cursor=$mid" "$base&cursor=$q1" "$base&cursor=$mid&action=member.role_changed" \
    "$base&cursor=$q1&actor=$exp" >"$EDIR/paths-audit-deep.txt"
  local i=0 p
  : >"$EDIR/audit-paths.checks"
  while read -r p; do
    i=$((i + 1)); res=$(org_curl "audit-path-$i" "$BASE$p" "$sb")
    echo "$res $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["data"]))' "$EDIR/audit-path-$i.sample.json" 2>/dev/null || echo -1) $p" >>"$EDIR/audit-paths.checks"
  done < <(cat "$EDIR/paths-audit-filters.txt" "$EDIR/paths-audit-deep.txt")
  kv check_audit_paths "$(awk '{ print $1 }' "$EDIR/audit-paths.checks" | sort | uniq -c | awk '{ printf "%s%s:%s", (NR > 1 ? "," : ""), $2, $1 }')"
  sleep 7; kv rss_idle_kb "$(rss "$SERVER_PID")"

  export ACCESS_TOKEN=$stok API_KEY=$key PATH_ONE="/api/v1/orgs/$hot" CHECKS_FILE="$EDIR/checks.txt"
  WRK_LUA="$BENCH_DIR/lua/orgs.lua"
  log "$engine/orgs: 7) POST /authz/check, $ORG_CONNS conns";  COUNT_WARMUP=1 wrk_measure check check "$ORG_CONNS" "$DUR" warm
  log "$engine/orgs: 8) GET /orgs/{id} with X-API-Key, $ORG_CONNS conns"; wrk_measure apikey apikey "$ORG_CONNS" "$DUR" warm
  export PATHS_FILE="$EDIR/paths-audit-filters.txt"
  log "$engine/orgs: 9a) audit-log first pages with filters, $AUDIT_CONNS conns"; wrk_measure audit_filters paths "$AUDIT_CONNS" "$DUR" warm
  export PATHS_FILE="$EDIR/paths-audit-deep.txt"
  log "$engine/orgs: 9b) audit-log pages deep in the log, $AUDIT_CONNS conns"; wrk_measure audit_deep paths "$AUDIT_CONNS" "$DUR" warm
  WRK_LUA=""

  log "$engine/orgs: 10) exports ($EXPORT_RUNS runs each)"
  : >"$EDIR/exports.jsonl"
  time_export me-export "$api/users/me/export" "authorization: Bearer $etok" "$EXPORT_RUNS"
  time_export org-actor-jsonl "$api/orgs/$hot/audit-logs/export?format=jsonl&actor=$exp" "$sb" "$EXPORT_RUNS"
  (( ORG_FULL_EXPORT > 0 )) && full_export "$api/orgs/$hot/audit-logs/export?format=jsonl" "$sb"
  sleep 1
  kv rss_after_load_kb "$(rss "$SERVER_PID")"; kv rss_hwm_kb "$(hwm "$SERVER_PID")"
  kv server_log_errors "$(grep -c '"level":"ERROR"' "$EDIR/server.log" || true)"
  stop_tessera "$engine" "$datadir"
  unset TESSERA_RATE_LIMIT__GLOBAL_PER_IP TESSERA_ACCESS__API_KEY_RATE_LIMIT_PER_MINUTE TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS
  unset ACCESS_TOKEN API_KEY PATH_ONE CHECKS_FILE PATHS_FILE
}
