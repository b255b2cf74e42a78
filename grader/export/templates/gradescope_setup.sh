#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image (Ubuntu base image;
# choose one whose python3 is @python_min@ or newer, e.g. Ubuntu 24.04). Written by
# `grader gradescope package`.
set -euo pipefail
SOURCE=/autograder/source
VENV=/autograder/venv
TORCH_INDEX="${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"   # Gradescope's machines have no GPU

apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv python3-pip
python3 -m venv "$VENV"
"$VENV/bin/pip" install --upgrade pip
# The versions the course was validated with:
"$VENV/bin/pip" install --index-url "$TORCH_INDEX" "torch==@torch@" "torchvision==@torchvision@"
"$VENV/bin/pip" install "$SOURCE/course"
# Warm up: import torch once so the first submission does not pay for compiling bytecode.
"$VENV/bin/python" -c "import torch, grader.grading.scheduler"
