#!/usr/bin/env bash
# The common OpenStack clients as witnesses: one scripted image lifecycle with each of
# openstacksdk, python-openstackclient and python-glanceclient against two targets, whose
# normalised transcripts must match step for step (scripts/clients/allowed.json lists the
# differences that may stay, each with its reason).
#
#   scripts/clients.sh install
#   scripts/clients.sh compare --reference URL --glance URL --out DIR
#
# Both targets must take trusted identity headers (a Glance started with `glance.sh --mode
# trusted`, the reference server): the clients run without a token, through a recording proxy
# that adds them (scripts/clients/recorder.py). Use one store on each (`imgconf serve --stores
# memory`), as store lists are compared. Transcripts land in DIR; compare's output says
# `N steps same, N allowed, N different` and its exit status is 1 on a difference.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${IMGCONF_CLIENTS_VENV:-$REPO/.venv-clients}
PY=${PYTHON:-python3}
# The versions the `clients` cases were recorded from (cases/clients.yaml); their dependencies
# are held to what was installed then (a different requests or keystoneauth1 may send otherwise).
REQS=(python-openstackclient==10.5.0 openstacksdk==4.22.0 python-glanceclient==4.13.0
      -c "$REPO/scripts/clients/constraints.txt")
CLIENTS=(sdk osc glance)

TOOL=clients.sh
# shellcheck source=scripts/lib.sh
. "$REPO/scripts/lib.sh"

cmd_install() {
  venv_install python-openstackclient 'openstack, openstackclient.shell, glanceclient.shell'
}

# lifecycle CLIENT TARGET URL RUN DIR: one client's lifecycle against one target.
lifecycle() {
  local client=$1 target=$2 url=$3 run=$4 out=$5
  "$VENV/bin/python" "$REPO/scripts/clients/lifecycle.py" --target "$url" --client "$client" \
    --run "$run" --out "$out/$client-$target.json" --record "$out/$client-$target.jsonl" ||
    { say "$client lifecycle against $target ($url) did not complete"; return 1; }
}

cmd_compare() {
  local reference="" glance="" out="" client pairs=() rc=0
  while (($#)); do
    case $1 in
      --reference) reference=$2; shift 2 ;;
      --glance) glance=$2; shift 2 ;;
      --out) out=$2; shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  [[ -n $reference && -n $glance && -n $out ]] || die "compare needs --reference URL --glance URL --out DIR"
  [[ -x $VENV/bin/python ]] || die "no clients venv at $VENV: run '$0 install' first"
  mkdir -p "$out"
  for client in "${CLIENTS[@]}"; do
    # One run id for both targets: the names in the two transcripts are then alike. The two
    # targets are driven at the same time; one client at a time per target (a Glance on sqlite
    # takes one writer at a time).
    local run pid
    run=$("$PY" -c 'import uuid; print(uuid.uuid4().hex[:8])')
    lifecycle "$client" reference "$reference" "$run" "$out" &
    pid=$!
    lifecycle "$client" glance "$glance" "$run" "$out" || rc=1
    wait "$pid" || rc=1
    pairs+=("$out/$client-reference.json" "$out/$client-glance.json")
  done
  ((rc == 0)) || return "$rc"
  "$VENV/bin/python" "$REPO/scripts/clients/compare.py" --allow "$REPO/scripts/clients/allowed.json" \
    "${pairs[@]}"
}

case ${1:-} in
  install) shift; cmd_install "$@" ;;
  compare) shift; cmd_compare "$@" ;;
  *) die "usage: $0 install | compare --reference URL --glance URL --out DIR" ;;
esac
