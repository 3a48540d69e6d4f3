#!/bin/bash
# Reproduces models/sharplens-py-small, its warm-up ablation and the experiments in MODEL_CARD.md.
# Usage: models/sharplens-py-small/train.sh ARM [extra train options]
#   The shipped model is a lineage of three phases, each from the previous one's weights (run them in this order):
#   v1         phase 1, the previous default model: 12 M tokens from scratch, procedural calls/dyck/copy spread through it;
#              then `train.sh v1 --export-only --export-dtype bfloat16` (phase 2 starts from these bf16 weights)
#   v1-cont    phase 2: + 6 M tokens with 8 % calls-copy (from RUNS/v1)
#   v1-nest    phase 3, the SHIPPED model: + 2.5 M tokens with 30 % nest-copy (from RUNS/v1-cont)
#   Experiments of the card:
#   noproc               the warm-up ablation: phase 1 without procedural data
#   v1-anneal            phase 3 with calls-copy/calls instead of nest-copy (from RUNS/v1-cont)
#   scratch-nest         12 M tokens from scratch with 6 % nest-copy (phase 1's budget and seed)
#   scratch-nest-anneal  + 1.2 M tokens with 30 % nest-copy (from RUNS/scratch-nest)
# Needs: apt-get install python3-sympy python3-numpy python3-scipy python3-django python3-sklearn python3-pandas \
#   python3-matplotlib python3-networkx python3-twisted python3-sphinx python3-pygments python3-docutils python3-jinja2 \
#   python3-requests python3-setuptools libtcmalloc-minimal4   (versions: MODEL_CARD.md)
# Resumable: rerun the same command after a stop (SIGTERM/Ctrl-C write a checkpoint; --resume continues bit-exactly).
# Everything is written under $RUNS (default $HOME/runs/py): tokenizer tok/, token cache cache/, one run folder per arm.
# The tokenizer is the shipped one (tokenizer.json here; `sharplens tokenizer train` made it for v1, see the card).
set -euo pipefail
ARM=${1:?usage: train.sh v1|v1-cont|v1-nest|noproc|v1-anneal|scratch-nest|scratch-nest-anneal [extra options]}; shift
HERE=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-$HOME/runs/py}; OUT=$RUNS/$ARM; mkdir -p "$RUNS/tok"
SHARPLENS=${SHARPLENS:-sharplens}
for f in tokenizer.json tokenizer_config.json special_tokens_map.json; do [ -f "$RUNS/tok/$f" ] || cp "$HERE/$f" "$RUNS/tok/"; done
SCRATCH=(--steps 2928 --lr 1.5e-3 --warmup 150 --seed 2026 --snapshot-every 366)
case "$ARM" in
  scratch-nest) RUN=("${SCRATCH[@]}" --procedural nest-copy:0.06,calls:0.02,dyck:0.01,copy:0.005 --procedural-schedule spread) ;;
  scratch-nest-anneal) RUN=(--init-from "$RUNS/scratch-nest" --steps 300 --lr 5e-4 --warmup 30 --seed 2030 --snapshot-every 75
                  --procedural nest-copy:0.3,calls:0.05,dyck:0.02,copy:0.005 --procedural-schedule spread) ;;
  noproc)    RUN=("${SCRATCH[@]}") ;;
  v1)        RUN=("${SCRATCH[@]}" --procedural calls:0.05,dyck:0.01,copy:0.005 --procedural-schedule spread) ;;
  v1-cont)   RUN=(--init-from "$RUNS/v1" --steps 1464 --lr 1e-3 --warmup 50 --seed 2027 --snapshot-every 183
                  --procedural calls:0.03,calls-copy:0.08,dyck:0.01,copy:0.005 --procedural-schedule spread) ;;
  v1-anneal) RUN=(--init-from "$RUNS/v1-cont" --steps 600 --lr 5e-4 --warmup 30 --seed 2028 --snapshot-every 75
                  --procedural calls:0.1,calls-copy:0.3,dyck:0.02,copy:0.005 --procedural-schedule spread) ;;
  v1-nest)   RUN=(--init-from "$RUNS/v1-cont" --steps 600 --lr 5e-4 --warmup 30 --seed 2029 --snapshot-every 75
                  --procedural nest-copy:0.3,calls-copy:0.05,calls:0.05,dyck:0.02,copy:0.005 --procedural-schedule spread) ;;
  *) echo "error: expected an arm among v1, v1-cont, v1-nest, noproc, v1-anneal, scratch-nest, scratch-nest-anneal, found '$ARM'" >&2; exit 2 ;;
esac
EXTRA=()
[ -f "$OUT/checkpoint/checkpoint.safetensors" ] && EXTRA+=(--resume)
exec "$SHARPLENS" train --arch llama --corpus "$HERE/corpus.json" --cache "$RUNS/cache" --tokenizer "$RUNS/tok" --out "$OUT" \
  --layers 6 --d-model 256 --heads 4 --d-mlp 688 --seq-len 256 --batch 16 --min-lr 1e-4 --weight-decay 0.1 \
  --precision bf16 --threads 1 --checkpoint-every 100 --eval-parens 150 "${RUN[@]}" "${EXTRA[@]}" "$@"
# The shipped folder is the bf16 export of the finished v1-nest run:
#   train.sh v1-nest --export-only --export-dtype bfloat16     (then copy config, weights, tokenizer, reference, logs)
# (v1-nest, v1-anneal and scratch-nest-anneal start from the fp32 weights their parent run's folder holds at its end.)
