from .clip_par import CLIPZeroShotPAR
from .person_crop import TorchvisionPersonCrop, letterbox
from .prompts import SLOT_TEMPLATES, attribute_prompts

__all__ = [
    'CLIPZeroShotPAR', 'SLOT_TEMPLATES', 'TorchvisionPersonCrop',
    'attribute_prompts', 'letterbox'
]
