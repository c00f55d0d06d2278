"""Convert public checkpoints whose key names differ from mmpretrain's,
once, to a file in mmpretrain's key names.

    # timm ViT / EVA -> mmpretrain VisionTransformer (global branch)
    python tools/model_converters/convert_checkpoint.py timm-vit SRC DST
    # timm Swin -> mmpretrain Swin (local branch)
    python tools/model_converters/convert_checkpoint.py timm-swin SRC DST
    # official Swin (microsoft/Swin-Transformer) -> mmpretrain Swin
    python tools/model_converters/convert_checkpoint.py swin SRC DST

The configs do not need this: their ``init_cfg=dict(type='StrictPretrained',
weights=...)`` converts at load time, takes the first blocks of deeper
checkpoints, resamples position embeddings and reports the load
(docs/pretrained_weights.md). A converted file loads with
``init_cfg=dict(type='StrictPretrained', checkpoint=DST)``.
"""
import argparse

import torch
from safetensors.torch import load_file

from clear_mm.utils.model_converters import (swin_to_mmpretrain,
                                             timm_swin_to_mmpretrain,
                                             timm_vit_to_mmpretrain)

CONVERTERS = {
    'timm-vit': timm_vit_to_mmpretrain,
    'timm-swin': timm_swin_to_mmpretrain,
    'swin': swin_to_mmpretrain
}


def load(path):
    if path.endswith('.safetensors'):
        return load_file(path)
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model'):
        ckpt = ckpt.get(key, ckpt)
    return ckpt


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument('kind', choices=sorted(CONVERTERS))
    parser.add_argument('src', help='checkpoint (.pth/.bin/.safetensors)')
    parser.add_argument('dst', help='output path')
    args = parser.parse_args()
    torch.save(CONVERTERS[args.kind](load(args.src)), args.dst)
    print(f'Saved {args.dst}')


if __name__ == '__main__':
    main()
