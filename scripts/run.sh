#!/usr/bin/env bash
# Serve the web app and a real Celery worker together; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
PY=.venv/bin/python

.venv/bin/celery -A config worker --loglevel=warning --concurrency=2 --pool=prefork &
worker=$!
trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM

cat <<MSG

  Recouple is running at http://127.0.0.1:${PORT}/
  Demo logins (password: recouple-demo):
    admin@demo.example    org admin
    leader@demo.example   leader
    lead@demo.example     team lead
    member@demo.example   member
  Press Ctrl-C to stop the web server and the worker.

MSG
$PY manage.py runserver "0.0.0.0:${PORT}"
