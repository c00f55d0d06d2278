"""Grad-CAM maps of attributes on a pedestrian image (rectangular inputs),
with the maintained ``grad-cam`` package (pip install -r
requirements/vis.txt).

    python tools/visualization/vis_cam.py configs/clear/par_synthetic.py \
        work_dirs/demo/best_par_mA_epoch_18.pth \
        data/synthetic/images/003500.png --out cam.png  # predicted ones
    python tools/visualization/vis_cam.py CONFIG CKPT person.jpg \
        --attributes Female Backpack --target-layer backbone.layer4

MMPretrain's own vis_cam.py reshapes a transformer's tokens into a square
grid, which fails for 256x128 pedestrians; here the grid follows the input's
aspect ratio (16x8 tokens for 256x128 with patch 16, 18x9 with patch 14).
Default target layer: the last stage of a CNN backbone, the last block of a
ViT, or, for CLEAR's cross-transformers, the last block of its ViT branch.
"""
import argparse
import math
import os
import os.path as osp

import numpy as np
import torch.nn as nn


def parse_args():
    parser = argparse.ArgumentParser(description='Grad-CAM of attributes')
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('image')
    parser.add_argument('--out', required=True, help='output picture')
    parser.add_argument(
        '--attributes',
        nargs='+',
        help='attributes to explain (default: the predicted ones, at most '
        '6)')
    parser.add_argument(
        '--target-layer',
        help='module name of the layer (default: see the docstring)')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def default_layer(model) -> str:
    backbone = model.backbone
    if hasattr(backbone, 'global_branch'):  # CLEAR's cross-transformers
        last = len(backbone.global_branch.layers) - 1
        return f'backbone.global_branch.layers.{last}'
    if hasattr(backbone, 'layers') and isinstance(backbone.layers,
                                                  nn.ModuleList):
        return f'backbone.layers.{len(backbone.layers) - 1}'
    for name in ('layer4', 'stages'):
        if hasattr(backbone, name):
            module = getattr(backbone, name)
            if isinstance(module, nn.ModuleList):
                return f'backbone.{name}.{len(module) - 1}'
            return f'backbone.{name}'
    raise SystemExit(f'{type(backbone).__name__}: give --target-layer.')


def token_grid(num_tokens: int, height: int, width: int):
    """(extra tokens, h, w) of a token sequence from a ``height x width``
    image: the grid keeps the image's aspect ratio."""
    for extra in (0, 1, 2):
        n = num_tokens - extra
        h = round(math.sqrt(n * height / width))
        if h > 0 and h * round(h * width / height) == n:
            return extra, h, n // h
    raise ValueError(f'{num_tokens} tokens do not form a grid with the '
                     f'aspect ratio of a {height}x{width} input.')


class Logits(nn.Module):
    """The attribute logits ``(B, A)`` of a classifier (Grad-CAM's model)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x, mode='tensor')


def main():
    args = parse_args()
    from PIL import Image, ImageDraw, ImageFont
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.image import show_cam_on_image
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    from clear_mm.apis import PARInferencer
    inferencer = PARInferencer(args.config, args.checkpoint,
                               device=args.device)
    model = inferencer.model
    if not hasattr(model, 'backbone') or not hasattr(model, 'head'):
        raise SystemExit(f'{type(model).__name__}: Grad-CAM needs a '
                         'classifier (backbone + attribute head).')
    result = inferencer(args.image)[0]
    names = args.attributes or result['pred_attributes'][:6]
    unknown = [n for n in names if n not in inferencer.attributes]
    if unknown or not names:
        raise SystemExit(f'Attributes {unknown or names}: choose among '
                         f'{inferencer.attributes}.')
    data = inferencer.pipeline(args.image)
    batch = model.data_preprocessor(
        dict(inputs=[data['inputs']], data_samples=None), False)
    x = batch['inputs']
    height, width = x.shape[-2:]

    def reshape(tensor):
        if tensor.dim() == 4:
            return tensor
        extra, h, w = token_grid(tensor.shape[1], height, width)
        tensor = tensor[:, extra:]
        return tensor.reshape(tensor.shape[0], h, w,
                              tensor.shape[2]).permute(0, 3, 1, 2)

    layer_name = args.target_layer or default_layer(model)
    layer = dict(model.named_modules()).get(layer_name)
    if layer is None:
        raise SystemExit(f'No module {layer_name!r} in the model.')
    rgb = data['inputs'].permute(1, 2, 0).numpy()[..., ::-1] / 255.0
    panels = [(np.uint8(rgb * 255), 'image')]
    with GradCAM(model=Logits(model), target_layers=[layer],
                 reshape_transform=reshape) as cam:
        for name in names:
            target = ClassifierOutputTarget(inferencer.attributes.index(name))
            gray = cam(input_tensor=x, targets=[target])[0]
            panels.append((show_cam_on_image(
                np.ascontiguousarray(rgb, dtype=np.float32), gray,
                use_rgb=True), f'{name} {result["scores"][name]:.2f}'))
    scale = 2
    w, h = width * scale, height * scale
    canvas = Image.new('RGB', (w * len(panels), h + 16), 'white')
    draw = ImageDraw.Draw(canvas)
    font = ImageFont.load_default(size=11)
    for i, (panel, title) in enumerate(panels):
        canvas.paste(Image.fromarray(panel).resize((w, h)), (i * w, 16))
        draw.text((i * w + 2, 2), title, fill='black', font=font)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    canvas.save(args.out)
    print(f'{layer_name}: {", ".join(names)} -> {args.out}')


if __name__ == '__main__':
    main()
