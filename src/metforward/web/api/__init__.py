"""The JSON API under /api/v1: one router per module, each documented in the OpenAPI schema."""

from __future__ import annotations

from fastapi import APIRouter

from metforward.web.api import (
    allocation,
    areas,
    compare,
    confidence,
    exceptions,
    geo,
    hotstreets,
    outcomes,
    searches,
    status,
    strands,
    targets,
    visible_policing,
    youth_violence,
)

ROUTERS: tuple[APIRouter, ...] = (
    geo.router,
    areas.router,
    compare.router,
    targets.router,
    exceptions.router,
    hotstreets.router,
    outcomes.router,
    searches.router,
    confidence.router,
    status.router,
    strands.router,
    youth_violence.router,
    visible_policing.router,
    allocation.router,
)
