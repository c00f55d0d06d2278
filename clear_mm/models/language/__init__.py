from .lm_encoder import LanguageModelEncoder, resolve_model_path

__all__ = ['LanguageModelEncoder', 'resolve_model_path']
