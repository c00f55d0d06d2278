from .hooks import *  # noqa: F401,F403
from .distributed import (CPUDistributedDataParallel,  # noqa: F401
                          setup_cpu_distributed, teardown_distributed)
