#!/usr/bin/env bash
# Deploys a colour behind Turnout: starts it, switches traffic to it and watches it for WATCH
# (default 5m), then stops the other colour. When the switch is refused, or traffic leaves the
# new colour during the watch (an automatic rollback), the old colour keeps running and the
# script exits non-zero (the turnout CLI's exit code: 3 refused, 4 rolled back).
#
#   GREEN_TAG=2.4.0 ./deploy.sh green
#
# The commands that touch the environment can be replaced through the environment (the tests
# run this script against local processes that way): START and STOP get the colour as their
# last argument, TURNOUT the CLI's arguments. The CLI reads the admin token from
# TURNOUT_ADMIN_TOKEN; inside the turnout container compose sets it from .env.
set -euo pipefail

usage="usage: deploy.sh blue|green"
[[ $# -eq 1 ]] || { echo "$usage" >&2; exit 2; }
new=$1
case $new in
  blue) old=green ;;
  green) old=blue ;;
  *) echo "$usage" >&2; exit 2 ;;
esac

read -r -a start <<<"${START:-docker compose up -d --wait}"
read -r -a stop <<<"${STOP:-docker compose stop}"
read -r -a turnout <<<"${TURNOUT:-docker compose exec -T turnout /opt/turnout/bin/turnout}"
watch=${WATCH:-5m}
tries=${SWITCH_TRIES:-15}

cd "$(dirname "$0")"    # compose.yaml and .env

"${start[@]}" "$new"    # with the default, waits for the app's healthcheck

# Turnout counts the new colour healthy after health.rise passing checks in a row, a few seconds
# after it came up: until then the gate refuses it as unhealthy (or its probe at switch time
# fails), and the switch is tried again. Any other refusal, a failed smoke request among them,
# is final.
refusal=$(mktemp)
trap 'rm -f "$refusal"' EXIT
for ((try = 1; ; try++)); do
  code=0
  "${turnout[@]}" switch --to "$new" --watch "$watch" 2>"$refusal" || code=$?
  cat "$refusal" >&2
  if ((code == 3 && try < tries)) && grep -qE "refused $new \((unhealthy|probe)\)" "$refusal"; then
    sleep 2
    continue
  fi
  break
done

case $code in
  0) "${stop[@]}" "$old"
     echo "deploy.sh: traffic is on $new; $old is stopped" ;;
  3) echo "deploy.sh: the switch to $new was refused; traffic stays on $old, which keeps running" >&2 ;;
  4) echo "deploy.sh: traffic left $new during the watch; $old keeps running" >&2 ;;
  *) echo "deploy.sh: turnout switch failed (exit $code); $old keeps running" >&2 ;;
esac
exit "$code"
