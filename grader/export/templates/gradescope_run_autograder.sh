#!/usr/bin/env bash
# Gradescope runs this for every submission, from /autograder. It grades
# $ROOT/submission with the course's grader and writes $ROOT/results/results.json.
# Written by `grader gradescope package`.
set -u
ROOT="${@root_env@:-/autograder}"
SOURCE="${TORCHGRADE_SOURCE:-$ROOT/source}"
PYTHON="${TORCHGRADE_PYTHON:-$ROOT/venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON="$(command -v python3)"
# The grader that ships in this zip, not whatever else is installed.
export PYTHONPATH="$SOURCE/course${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m grader.export.gradescope run --root "$ROOT" --course "$SOURCE/course"
