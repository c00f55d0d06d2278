"""clear_mm's registries: children of MMPretrain's, in the scope
``clear_mm``.

Every component of clear_mm registers here, never in MMPretrain's or
MMEngine's registries, so importing clear_mm changes nothing that a user's
own MMPretrain configs and tools build. Our configs set
``default_scope = 'clear_mm'``: a type is looked up here first, then in
MMPretrain's registries and MMEngine's (each child registry asks its
parent), so they mix our modules with any MMPretrain or MMEngine one. A
config in MMPretrain's scope builds one of ours, and everything it builds
inside, in our scope with MMEngine's ``_scope_`` key, e.g.
``dict(_scope_='clear_mm', type='CrossTransformer', arch='tiny')``.

The ``locations`` import the registering modules on first use, ours and
MMPretrain's, as MMPretrain's registries do.
"""
from mmengine.registry import Registry
from mmpretrain.registry import BATCH_AUGMENTS as MMPRETRAIN_BATCH_AUGMENTS
from mmpretrain.registry import DATA_SAMPLERS as MMPRETRAIN_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRETRAIN_DATASETS
from mmpretrain.registry import EVALUATORS as MMPRETRAIN_EVALUATORS
from mmpretrain.registry import HOOKS as MMPRETRAIN_HOOKS
from mmpretrain.registry import LOG_PROCESSORS as MMPRETRAIN_LOG_PROCESSORS
from mmpretrain.registry import LOOPS as MMPRETRAIN_LOOPS
from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
from mmpretrain.registry import MODEL_WRAPPERS as MMPRETRAIN_MODEL_WRAPPERS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRETRAIN_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRETRAIN_OPTIMIZERS
from mmpretrain.registry import \
    PARAM_SCHEDULERS as MMPRETRAIN_PARAM_SCHEDULERS
from mmpretrain.registry import \
    RUNNER_CONSTRUCTORS as MMPRETRAIN_RUNNER_CONSTRUCTORS
from mmpretrain.registry import RUNNERS as MMPRETRAIN_RUNNERS
from mmpretrain.registry import TASK_UTILS as MMPRETRAIN_TASK_UTILS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRETRAIN_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRETRAIN_VISUALIZERS
from mmpretrain.registry import \
    WEIGHT_INITIALIZERS as MMPRETRAIN_WEIGHT_INITIALIZERS

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'PARAM_SCHEDULERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS',
    'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS', 'BATCH_AUGMENTS', 'TASK_UTILS',
    'METRICS', 'EVALUATORS', 'VISUALIZERS', 'VISBACKENDS'
]

SCOPE = 'clear_mm'


def _child(name: str, parent: Registry, location: str) -> Registry:
    # A child finds its parent's entries without importing the parent's
    # modules: import them too when ours are (MMPretrain's visualizers for
    # a runner built in our scope, say).
    locations = [f'clear_mm.{location}'] + list(parent._locations or [])
    return Registry(name, parent=parent, scope=SCOPE, locations=locations)


RUNNERS = _child('runner', MMPRETRAIN_RUNNERS, 'engine')
RUNNER_CONSTRUCTORS = _child('runner constructor',
                             MMPRETRAIN_RUNNER_CONSTRUCTORS, 'engine')
LOOPS = _child('loop', MMPRETRAIN_LOOPS, 'engine')
HOOKS = _child('hook', MMPRETRAIN_HOOKS, 'engine')
LOG_PROCESSORS = _child('log processor', MMPRETRAIN_LOG_PROCESSORS, 'engine')
OPTIMIZERS = _child('optimizer', MMPRETRAIN_OPTIMIZERS, 'engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMPRETRAIN_OPTIM_WRAPPERS, 'engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMPRETRAIN_PARAM_SCHEDULERS,
                          'engine')

DATASETS = _child('dataset', MMPRETRAIN_DATASETS, 'datasets')
DATA_SAMPLERS = _child('data sampler', MMPRETRAIN_DATA_SAMPLERS, 'datasets')
TRANSFORMS = _child('transform', MMPRETRAIN_TRANSFORMS, 'datasets')

MODELS = _child('model', MMPRETRAIN_MODELS, 'models')
MODEL_WRAPPERS = _child('model_wrapper', MMPRETRAIN_MODEL_WRAPPERS, 'engine')
WEIGHT_INITIALIZERS = _child('weight initializer',
                             MMPRETRAIN_WEIGHT_INITIALIZERS, 'models')
BATCH_AUGMENTS = _child('batch augment', MMPRETRAIN_BATCH_AUGMENTS, 'models')
TASK_UTILS = _child('task util', MMPRETRAIN_TASK_UTILS, 'models')

METRICS = _child('metric', MMPRETRAIN_METRICS, 'evaluation')
EVALUATORS = _child('evaluator', MMPRETRAIN_EVALUATORS, 'evaluation')

VISUALIZERS = _child('visualizer', MMPRETRAIN_VISUALIZERS, 'visualization')
VISBACKENDS = _child('vis_backend', MMPRETRAIN_VISBACKENDS, 'visualization')
