"""The cases fixtures (units, categories, a point in a grid), for tests of lookups that
reach into cases through their pages and API."""

from jiceng.cases.tests.conftest import _calendar, cats, in_grid, units  # noqa: F401
