"""Typed application state shared by the HTTP layer (aiohttp ``web.AppKey``)."""
from __future__ import annotations

from aiohttp import web

from registry.config import Config
from registry.auth.access import AccessController
from registry.auth.state import AuthState
from registry.core.services import Services

CONFIG = web.AppKey("config", Config)
SERVICES = web.AppKey("services", Services)
ACCESS = web.AppKey("access", AccessController)
AUTH = web.AppKey("auth", AuthState)
