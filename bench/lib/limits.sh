# shellcheck shell=bash
# Shared limits (issue 17), sourced by bench/run (which provides log, kv, wrk_measure, start_tessera,
# new_database, drop_database and the knobs). bench_limits ENGINE runs the same two loads twice on one fresh
# database, rate limits on and out of a one-address load's reach (so every request still pays for its global
# per-address hit): first counted in tessera's memory, then in Redis (TESSERA_REDIS_URL=LIMITS_REDIS_URL, a key
# prefix of its own). The loads: GET /api/v1/users/me (lua/tessera.lua, MODE=me) and POST /api/v1/authz/check
# (lua/orgs.lua, MODE=check) about the caller's own organization and team. A 10 s figure moves by ±10% on a
# shared machine, so the pair runs LIMITS_ROUNDS times (default 3), memory and Redis taking turns, and the
# report compares the medians. Results land in $OUT/<engine>/limits/{memory,redis}/{me,check}.r<N>.json.

# data_at PATH: reads a JSON envelope on stdin and prints data<PATH> (e.g. '["user"]["id"]'), or nothing.
data_at() { python3 -c "import json,sys; print(json.load(sys.stdin)['data']$1)" 2>/dev/null || true; }

bench_limits() {
  local engine=$1 datadir variant round api="$BASE/api/v1" email="limits@example.com" res access user org team
  datadir=$(mktemp -d /tmp/tessera-bench-limits.XXXXXX); DATA_DIRS+=("$datadir")
  new_database "$engine" limits "$datadir"
  export TESSERA_RATE_LIMIT__GLOBAL_PER_IP=1000000000 TESSERA_RATE_LIMIT__AUTH_PER_IP=1000000000 \
         TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS=3600
  for round in $(seq 1 "${LIMITS_ROUNDS:-3}"); do
  for variant in memory redis; do
    EDIR="$OUT/$engine/limits/$variant"; mkdir -p "$EDIR"
    if [ "$round" = 1 ]; then : >"$EDIR/meta.env"; kv engine "$engine"; kv variant "$variant"; kv database_url "$DB_URL"; fi
    if [ "$variant" = redis ]; then
      export TESSERA_REDIS_URL=$LIMITS_REDIS_URL TESSERA_REDIS__KEY_PREFIX="tessera-bench-$TS-$engine"
      [ "$round" = 1 ] && kv redis_url "$LIMITS_REDIS_URL"
    else
      unset TESSERA_REDIS_URL TESSERA_REDIS__KEY_PREFIX
    fi
    start_tessera "$DB_URL" "$datadir" "$engine/limits ($variant, round $round)"
    [ "$round" = 1 ] && kv ready "$(curl -s "$BASE/ready")"   # with Redis: "checks":{"redis":"ok",...}
    if [ "$variant" = memory ] && [ "$round" = 1 ]; then
      curl -sf -o /dev/null -X POST "$api/auth/register" -H 'content-type: application/json' \
        -d "{\"email\":\"$email\",\"password\":\"$PASSWORD\",\"name\":\"limits\"}" || { log "limits: register failed"; exit 1; }
    fi
    res=$(curl -s -X POST "$api/auth/login" -H 'content-type: application/json' -d "{\"email\":\"$email\",\"password\":\"$PASSWORD\"}")
    access=$(json_field accessToken <<<"$res")
    [ -n "$access" ] || { log "limits: sign-in failed: $res"; exit 1; }
    if [ "$variant" = memory ] && [ "$round" = 1 ]; then
      user=$(data_at '["user"]["id"]' <<<"$res")
      org=$(curl -s -X POST "$api/orgs" -H "authorization: Bearer $access" -H 'content-type: application/json' \
        -d '{"name":"Limits bench"}' | data_at '["id"]')
      team=$(curl -s -X POST "$api/orgs/$org/teams" -H "authorization: Bearer $access" -H 'content-type: application/json' \
        -d '{"name":"limits"}' | data_at '["id"]')
      [ -n "$user" ] && [ -n "$org" ] && [ -n "$team" ] || { log "limits: user $user, org $org, team $team"; exit 1; }
      echo "$org $user $team" >"$datadir/checks.txt"
    fi
    [ "$round" = 1 ] && kv check_users_me "$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $access" "$api/users/me")"
    export ACCESS_TOKEN=$access CHECKS_FILE="$datadir/checks.txt"
    log "$engine/limits ($variant, round $round): GET /users/me, $CONNS conns"; wrk_measure "me.r$round" me "$CONNS" "$DUR" warm
    WRK_LUA="$BENCH_DIR/lua/orgs.lua"
    log "$engine/limits ($variant, round $round): POST /authz/check, $CONNS conns"
    COUNT_WARMUP=1 wrk_measure "check.r$round" check "$CONNS" "$DUR" warm
    WRK_LUA=""
    kv "server_log_errors_r$round" "$(grep -c '"level":"ERROR"' "$EDIR/server.log" || true)"
    kv "server_log_redis_warnings_r$round" "$(grep -c 'redis unreachable' "$EDIR/server.log" || true)"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  done
  done
  drop_database "$engine"
  rm -rf "$datadir"
  unset TESSERA_RATE_LIMIT__GLOBAL_PER_IP TESSERA_RATE_LIMIT__AUTH_PER_IP TESSERA_IDENTITY__ACCESS_TOKEN_TTL_SECS \
        TESSERA_REDIS_URL TESSERA_REDIS__KEY_PREFIX ACCESS_TOKEN CHECKS_FILE
}
