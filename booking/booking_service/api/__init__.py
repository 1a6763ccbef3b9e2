"""The booking service's HTTP API: module-level routers (routes/) over the domain
modules, with their dependencies in deps.py."""
from fastapi import APIRouter

from .routes import bookings, closures, rooms

api_router = APIRouter()
# The calendar feed's route first: "/bookings/feed/{token}.ics" must not be read as a booking id.
for router in (rooms.router, closures.router, bookings.public_router, bookings.router):
    api_router.include_router(router)
