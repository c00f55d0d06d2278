from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from clear_mm.registry import MODELS


@MODELS.register_module()
class TorchvisionPersonCrop(nn.Module):
    """The person crop before CLIP (paper 002, Sec. 6.3): an instance
    segmentation (or detection) model finds the people in the image, the
    largest one is kept, and the image is cut to its box, with the
    background outside its mask set to ``fill`` when the model gives masks.
    No person found: the image is kept whole.

    Any torchvision detection model (``arch``: ``maskrcnn_resnet50_fpn``,
    the paper's Mask R-CNN, or ``fasterrcnn_resnet50_fpn`` for boxes only)
    with local weights; COCO label 1 is a person.

    Args:
        arch (str): A ``torchvision.models.detection`` builder.
        checkpoint (str, optional): Local state dict of that model (e.g.
            torchvision's COCO weights file). None leaves it random (tests).
        score_thr (float): Minimum detection score. Defaults to 0.5.
        person_label (int): Defaults to 1 (COCO).
        mask_thr (float): Mask probability threshold. Defaults to 0.5.
        fill (float): Value of masked-out pixels, in the 0-1 range the
            detector sees. Defaults to 0.5 (gray).
    """

    def __init__(self,
                 arch: str = 'maskrcnn_resnet50_fpn',
                 checkpoint: Optional[str] = None,
                 score_thr: float = 0.5,
                 person_label: int = 1,
                 mask_thr: float = 0.5,
                 fill: float = 0.5):
        super().__init__()
        import torchvision.models.detection as detection
        if not hasattr(detection, arch):
            raise ValueError(f'torchvision.models.detection has no {arch!r}.')
        self.detector = getattr(detection, arch)(
            weights=None, weights_backbone=None)
        if checkpoint is not None:
            from clear_mm.utils.checkpoints_root import locate
            checkpoint = locate(checkpoint)
            state = torch.load(checkpoint, map_location='cpu',
                               weights_only=True)
            self.detector.load_state_dict(state.get('state_dict', state))
        self.detector.eval().requires_grad_(False)
        self.score_thr = score_thr
        self.person_label = person_label
        self.mask_thr = mask_thr
        self.fill = fill

    def select(self, output: dict) -> Optional[dict]:
        """The largest person (box area) scoring >= ``score_thr`` of one
        detector output, as ``dict(box=(x1, y1, x2, y2), mask=...)``, or
        None."""
        boxes = output['boxes']
        keep = (output['labels'] == self.person_label) & (
            output['scores'] >= self.score_thr)
        if not keep.any():
            return None
        idx = keep.nonzero()[:, 0]
        areas = (boxes[idx, 2] - boxes[idx, 0]) * (
            boxes[idx, 3] - boxes[idx, 1])
        best = idx[areas.argmax()]
        mask = output['masks'][best, 0] if 'masks' in output else None
        return dict(box=boxes[best], mask=mask)

    def crop(self, image: torch.Tensor, person: Optional[dict]
             ) -> torch.Tensor:
        """Cut ``image`` (3, H, W, values 0-1) to the person's box, the
        background outside the mask set to ``fill``."""
        if person is None:
            return image
        if person['mask'] is not None:
            inside = person['mask'] >= self.mask_thr
            image = torch.where(inside[None], image,
                                torch.full_like(image, self.fill))
        h, w = image.shape[1:]
        x1, y1, x2, y2 = person['box'].tolist()
        x1, y1 = max(int(x1), 0), max(int(y1), 0)
        x2, y2 = min(int(round(x2)), w), min(int(round(y2)), h)
        if x2 <= x1 or y2 <= y1:
            return image
        return image[:, y1:y2, x1:x2]

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> list:
        """Crops of a batch ``(B, 3, H, W)`` in 0-1, a list of tensors."""
        outputs = self.detector(list(images))
        return [self.crop(img, self.select(out))
                for img, out in zip(images, outputs)]


def letterbox(image: torch.Tensor, size: int, fill: float) -> torch.Tensor:
    """Resize ``image`` (3, h, w) to fit a ``size`` x ``size`` square,
    keeping its aspect ratio, and pad the rest with ``fill``."""
    h, w = image.shape[1:]
    scale = size / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    image = F.interpolate(
        image[None], size=(nh, nw), mode='bicubic', align_corners=False)[0]
    out = torch.full((3, size, size), fill, dtype=image.dtype,
                     device=image.device)
    top, left = (size - nh) // 2, (size - nw) // 2
    out[:, top:top + nh, left:left + nw] = image
    return out
