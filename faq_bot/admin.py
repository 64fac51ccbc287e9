"""The admin surface: the unanswered inbox, feedback and stats, behind a bearer token."""

from __future__ import annotations

from flask import Blueprint

admin = Blueprint("admin", __name__)
