"""The booking service's HTTP API: module-level routers (routes/) over the domain
modules, with their dependencies in deps.py."""
from fastapi import APIRouter

from .routes import bookings, rooms

api_router = APIRouter()
for module in (rooms, bookings):
    api_router.include_router(module.router)
