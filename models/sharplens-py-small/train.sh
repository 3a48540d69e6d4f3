#!/bin/bash
# Reproduces models/sharplens-py-small and its warm-up ablation (see MODEL_CARD.md).
# Usage: models/sharplens-py-small/train.sh main|noproc [extra train options]
# Needs: apt-get install python3-sympy python3-numpy python3-scipy python3-django python3-sklearn python3-pandas \
#   python3-matplotlib python3-networkx python3-twisted python3-sphinx python3-pygments python3-docutils python3-jinja2 \
#   python3-requests python3-setuptools libtcmalloc-minimal4   (versions: MODEL_CARD.md)
# Resumable: rerun the same command after a stop (SIGTERM/Ctrl-C write a checkpoint; --resume continues bit-exactly).
# Everything is written under $RUNS (default $HOME/runs/py): tokenizer tok/, token cache cache/, run folders main/, noproc/.
set -euo pipefail
ARM=${1:?usage: train.sh main|noproc [extra options]}; shift
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-$HOME/runs/py}; OUT=$RUNS/$ARM; mkdir -p "$RUNS"
SHARPLENS=${SHARPLENS:-sharplens}
EXTRA=()
[ "$ARM" = main ] && EXTRA=(--procedural calls:0.05,dyck:0.01,copy:0.005 --procedural-schedule spread)
[ -f "$OUT/checkpoint/checkpoint.safetensors" ] && EXTRA+=(--resume)
[ -f "$RUNS/tok/tokenizer.json" ] || EXTRA+=(--train-tokenizer 4096)
exec "$SHARPLENS" train --arch llama --corpus "$HERE/corpus.json" --cache "$RUNS/cache" --tokenizer "$RUNS/tok" --out "$OUT" \
  --layers 6 --d-model 256 --heads 4 --d-mlp 688 --seq-len 256 --batch 16 --steps 2928 \
  --lr 1.5e-3 --warmup 150 --min-lr 1e-4 --weight-decay 0.1 --seed 2026 --precision bf16 --threads 1 \
  --checkpoint-every 100 --snapshot-every 366 --eval-parens 150 "${EXTRA[@]}" "$@"
# The shipped folder is the bf16 export of the finished run:
#   train.sh main --export-only --export-dtype bfloat16     (then copy config, weights, tokenizer, reference, logs)
