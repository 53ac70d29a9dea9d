"""The route matrix's entries of larger areas, a module each, beside the main table.

An area module defines EXPECTATIONS (route name -> Expect, built with the helpers of
tests/security/route_expectations.py), and may define DEFAULT_PARAMS and
add_to_world(world), which runs once the main world is built and adds the area's objects to
world.objects. The main table and the world take them in on import.
"""

import importlib
import pkgutil
from types import ModuleType


def area_modules() -> list[ModuleType]:
    # The table first: imported from an area module instead, it would take in that area
    # while the area is only half loaded (the world is built before the table is read).
    importlib.import_module("tests.security.route_expectations")
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name)
    ]
