"""The JSON API under /api/v1: one router per module, each documented in the OpenAPI schema."""

from __future__ import annotations

from fastapi import APIRouter

ROUTERS: tuple[APIRouter, ...] = ()
