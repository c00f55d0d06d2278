from .checkpoint import (MMENGINE_SAFE_GLOBALS, TRUST_ENV,
                         load_checkpoint_file, load_from_local,
                         trust_checkpoint, use_safe_checkpoint_loading)
from .model_converters import (swin_to_mmpretrain, timm_swin_to_mmpretrain,
                               timm_vit_to_mmpretrain)

__all__ = [
    'MMENGINE_SAFE_GLOBALS', 'TRUST_ENV', 'load_checkpoint_file',
    'load_from_local', 'swin_to_mmpretrain', 'timm_swin_to_mmpretrain',
    'timm_vit_to_mmpretrain', 'trust_checkpoint',
    'use_safe_checkpoint_loading'
]
