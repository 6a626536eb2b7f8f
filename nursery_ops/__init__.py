"""nursery_ops — operations app for one nursery (托育机构), children aged 6–36 months."""

from sqlmodel import SQLModel

# Named constraints, so Alembic can alter them on SQLite (batch mode) and PostgreSQL.
# Set here, before any model module defines a table.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
