"""The grid DSL: small pure functions over immutable grids, objects and patches.

PRIMITIVES maps every public function and constant name (not the type aliases) to its value;
it is the namespace candidate programs are compiled against.
"""

from . import cellrules as _cellrules
from . import colour as _colour
from . import constants as _constants
from . import drawings as _drawings
from . import functional as _functional
from . import geometry as _geometry
from . import layouts as _layouts
from . import logic as _logic
from . import objects as _objects
from . import partitions as _partitions
from . import patterns as _patterns
from . import picks as _picks
from . import sizing as _sizing
from . import transforms as _transforms
from . import types as _types
from .cellrules import *  # noqa: F403
from .colour import *  # noqa: F403
from .constants import *  # noqa: F403
from .drawings import *  # noqa: F403
from .functional import *  # noqa: F403
from .geometry import *  # noqa: F403
from .layouts import *  # noqa: F403
from .logic import *  # noqa: F403
from .objects import *  # noqa: F403
from .partitions import *  # noqa: F403
from .patterns import *  # noqa: F403
from .picks import *  # noqa: F403
from .sizing import *  # noqa: F403
from .transforms import *  # noqa: F403
from .types import *  # noqa: F403

_PRIMITIVE_MODULES = (
    _constants, _logic, _functional, _geometry, _sizing, _colour, _objects, _patterns, _transforms, _partitions,
    _cellrules, _layouts, _picks, _drawings,
)  # fmt: skip

PRIMITIVES: dict[str, object] = {
    name: getattr(module, name) for module in _PRIMITIVE_MODULES for name in module.__all__
}

__all__ = [*_types.__all__, *PRIMITIVES, "PRIMITIVES"]
