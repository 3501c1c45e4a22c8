"""The server-rendered pages: one router per module."""

from __future__ import annotations

from fastapi import APIRouter

from metforward.web.api import reference
from metforward.web.pages import allocation, boroughs, compare, data, downloads, overview, strands
from metforward.web.pages import map as map_page

ROUTERS: tuple[APIRouter, ...] = (
    overview.router,
    boroughs.router,
    compare.router,
    data.router,
    downloads.router,
    map_page.router,
    strands.router,
    reference.router,
    allocation.router,
)
