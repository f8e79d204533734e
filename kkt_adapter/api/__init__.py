"""HTTP surface of the adapter: routes only; the work happens in the service."""

from fastapi import Request

from ..components import Components


def components(request: Request) -> Components:
    return request.app.state.components
