"""One error shape for every error the web app returns, in JSON under /api and as a page elsewhere."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    """One thing wrong with a request: where (``query.month``) and what."""

    field: str | None = Field(None, description="Where the problem is, e.g. 'query.month' (None: the whole request).")
    message: str


class ErrorInfo(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(description="A stable machine-readable code: invalid_parameter, not_found, no_data, ...")
    message: str = Field(description="What went wrong and what to do, for a person.")
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """The body of every 4xx and 5xx response from /api/v1."""

    error: ErrorInfo


#: For ``responses=`` on API routes, so the OpenAPI schema documents the error shape.
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The request cannot be answered as asked."},
    404: {"model": ErrorResponse, "description": "No such area, borough or resource."},
    422: {"model": ErrorResponse, "description": "A parameter is missing or malformed."},
}


class WebError(Exception):
    """Raised by routes for a clean 4xx: ``status``, a ``code`` and a message that says what to do."""

    def __init__(self, status: int, code: str, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []

    def body(self) -> dict[str, Any]:
        return ErrorResponse(
            error=ErrorInfo(status=self.status, code=self.code, message=self.message, details=self.details)
        ).model_dump()
