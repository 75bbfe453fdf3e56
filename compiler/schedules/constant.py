"""constant: the base learning rate throughout."""
from __future__ import annotations

import numpy as np

from . import ScheduleDef, register

register(ScheduleDef("constant", (), lambda t, o, run: np.ones_like(t),
                     doc="the base learning rate throughout"))
