# Shared by scripts/glance.sh and scripts/keystone.sh: a Python service in its own venv, served
# by gunicorn on loopback. The sourcing script sets TOOL (its name, for messages), VENV, PY and
# REQS before calling these.

say() { echo "$TOOL: $*" >&2; }
die() { say "$*"; exit 1; }

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# venv_install PACKAGE IMPORTS: (re)builds $VENV from REQS unless the stamp file says it was built
# from the same requirements and IMPORTS still import; PACKAGE is the one whose version is told.
venv_install() {
  local package=$1 imports=$2 stamp="$VENV/.imgconf-reqs" want
  want=$(printf '%s\n' "${REQS[@]}" "python=$("$PY" -c 'import sys; print(sys.version.split()[0])')")
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]] &&
     "$VENV/bin/python" -c "import $imports" 2>/dev/null; then
    say "venv $VENV is up to date"
    return
  fi
  say "creating venv $VENV"
  "$PY" -m venv --clear "$VENV"
  "$VENV/bin/pip" install --disable-pip-version-check -q "${REQS[@]}"
  PYTHONWARNINGS=ignore "$VENV/bin/python" -c "import $imports"
  echo "$want" >"$stamp"
  say "installed $("$VENV/bin/pip" show "$package" 2>/dev/null | grep '^Version')"
}

# wait_http DIR URL TIMEOUT LOG…: waits until URL answers, or gunicorn (DIR/gunicorn.pid) died,
# or TIMEOUT seconds passed; then shows the tails of the LOGs and fails.
wait_http() {
  local dir=$1 url=$2 deadline=$((SECONDS + $3))
  shift 3
  while ((SECONDS < deadline)); do
    if "$VENV/bin/python" -c 'import sys, urllib.request as u; u.urlopen(sys.argv[1], timeout=2)' \
         "$url" 2>/dev/null; then
      return 0
    fi
    kill -0 "$(cat "$dir/gunicorn.pid")" 2>/dev/null || break   # master died: stop waiting
    sleep 0.5
  done
  say "no answer from $url; log tails follow"
  tail -n 40 "$@" >&2 2>/dev/null || true
  return 1
}

# stop_gunicorn DIR: stops the gunicorn whose pid is in DIR/gunicorn.pid, master and workers.
stop_gunicorn() {
  local dir=$1 pid
  [[ -f $dir/gunicorn.pid ]] || return 0
  # Signal gunicorn's own process group (started under setsid); a bare pid if it has none.
  pid=-$(cat "$dir/gunicorn.pid")
  kill -0 -- "$pid" 2>/dev/null || pid=${pid#-}
  # TERM is gunicorn's graceful stop; give it time to finish, then force.
  if kill -TERM -- "$pid" 2>/dev/null; then
    for _ in $(seq 60); do kill -0 -- "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/gunicorn.pid"
}
