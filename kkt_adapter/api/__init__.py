"""HTTP surface of the adapter: routes only; the work happens in the service."""

from fastapi import Request

from ..components import Components


async def components(request: Request) -> Components:
    """Async so FastAPI does not hand it to a thread pool on every request."""
    return request.app.state.components
