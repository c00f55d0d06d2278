#!/usr/bin/env bash
# Usage: bash tools/dist_search_index.sh CONFIG CHECKPOINT IMAGES NPROC \
#     --index INDEX_DIR [search.py index options]
# Each process embeds every NPROC-th image and writes it itself (faiss:
# shard files rank 0 joins; Milvus: inserts); run again to resume.
CONFIG=$1
CHECKPOINT=$2
IMAGES=$3
NPROC=$4
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
torchrun \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$NPROC \
    --master_port=$PORT \
    $(dirname "$0")/search.py index \
    $CONFIG \
    $CHECKPOINT \
    $IMAGES \
    --launcher pytorch ${@:5}
