from .checkpoint import (MMENGINE_SAFE_GLOBALS, TRUST_ENV, load_from_local,
                         trust_checkpoint)

__all__ = [
    'MMENGINE_SAFE_GLOBALS', 'TRUST_ENV', 'load_from_local',
    'trust_checkpoint'
]
