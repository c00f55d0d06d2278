"""A person crop next to its attributes, legible at the datasets' 256x128.

Used by :class:`clear_mm.apis.PARInferencer` (``show_dir``), ``tools/infer.py
--show-dir`` and ``tools/test.py --show-dir``.
"""
from typing import Optional, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# (R, G, B)
CORRECT = (0, 128, 0)
WRONG = (200, 0, 0)
MISSED = (120, 120, 120)
PLAIN = (0, 0, 0)


def draw_attributes(image: np.ndarray,
                    attributes: Sequence[str],
                    scores: Sequence[float],
                    pred: Sequence[bool],
                    gt: Optional[Sequence[bool]] = None,
                    height: int = 256,
                    title: Optional[str] = None) -> np.ndarray:
    """The image, resized to ``height`` rows, with a text panel on its
    right: each predicted attribute with its score; with ``gt`` correct
    ones in green, false positives in red and missed true attributes in
    grey.

    Args:
        image (np.ndarray): ``(H, W, 3)`` RGB uint8 image.
        attributes (Sequence[str]): The attribute names.
        scores (Sequence[float]): A score per attribute.
        pred (Sequence[bool]): Whether each attribute is predicted.
        gt (Sequence[bool], optional): The true attributes. Defaults to None.
        height (int): Rows of the output. Defaults to 256 (a 256x128 crop
            at its own size).
        title (str, optional): A first line (e.g. the file name).

    Returns:
        np.ndarray: ``(height, W', 3)`` RGB uint8 picture.
    """
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f'Expected an (H, W, 3) RGB image, got shape '
                         f'{image.shape}.')
    crop = Image.fromarray(image.astype(np.uint8))
    width = max(1, round(crop.width * height / crop.height))
    crop = crop.resize((width, height), Image.BILINEAR)
    lines = [] if title is None else [(title, PLAIN)]
    for name, score, p, t in zip(attributes, scores, pred,
                                 gt if gt is not None else [None] * len(pred)):
        if p:
            colour = PLAIN if t is None else (CORRECT if t else WRONG)
            lines.append((f'{name} {float(score):.2f}', colour))
        elif t:
            lines.append((f'({name} {float(score):.2f})', MISSED))
    font_size = 11
    font = ImageFont.load_default(size=font_size)
    step = font_size + 2
    # a second column when the list is longer than the image
    per_column = max(1, (height - 4) // step)
    columns = max(1, -(-len(lines) // per_column))
    column_width = 8 + max(
        [int(font.getlength(text)) for text, _ in lines] or [0])
    canvas = Image.new('RGB', (width + 4 + columns * column_width, height),
                       (255, 255, 255))
    canvas.paste(crop, (0, 0))
    draw = ImageDraw.Draw(canvas)
    for i, (text, colour) in enumerate(lines):
        col, row = divmod(i, per_column)
        draw.text((width + 6 + col * column_width, 2 + row * step), text,
                  fill=colour, font=font)
    return np.asarray(canvas)
