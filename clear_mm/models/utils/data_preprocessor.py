from typing import Optional, Union

from torch import nn


def with_defaults(data_preprocessor: Optional[Union[dict, nn.Module]],
                  **defaults) -> Union[dict, nn.Module]:
    """A model's ``data_preprocessor`` argument with ``defaults`` (e.g.
    its ``type``) filled in where the config (or the Runner, which passes
    the config's top-level ``data_preprocessor``) left them out; a built
    module passes unchanged."""
    if data_preprocessor is None:
        data_preprocessor = {}
    if isinstance(data_preprocessor, dict):
        data_preprocessor = dict(defaults, **data_preprocessor)
    return data_preprocessor
