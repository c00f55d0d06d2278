from .checkpoint import (MMENGINE_SAFE_GLOBALS, SAFE_SCHEME, TRUST_ENV,
                         load_checkpoint_file, load_from_local, local_path,
                         register_safe_scheme, trust_checkpoint,
                         use_safe_checkpoint_loading)
from .model_converters import (swin_to_mmpretrain, timm_swin_to_mmpretrain,
                               timm_vit_to_mmpretrain)

__all__ = [
    'MMENGINE_SAFE_GLOBALS', 'SAFE_SCHEME', 'TRUST_ENV',
    'load_checkpoint_file', 'load_from_local', 'local_path',
    'register_safe_scheme', 'swin_to_mmpretrain', 'timm_swin_to_mmpretrain',
    'timm_vit_to_mmpretrain', 'trust_checkpoint',
    'use_safe_checkpoint_loading'
]
