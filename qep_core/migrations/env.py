"""Alembic environment: runs on the connection qep_core.migrate hands over (no alembic.ini, no URL here)."""

from alembic import context
from sqlmodel import SQLModel

from qep_core import tables  # noqa: F401  (registers every table on SQLModel.metadata)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
