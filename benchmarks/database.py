"""The throwaway PostgreSQL database a bench run builds its data in.

Created before Django starts (settings read DATABASE_URL once) and dropped at the end, also
when the run fails. Uses psycopg directly on the server's `postgres` database.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote

import dj_database_url
import psycopg
from psycopg import sql

DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_env(cls) -> Server:
        """The PostgreSQL server of DATABASE_URL (Makefile: TEST_DATABASE_URL), or the local one."""
        url = os.environ.get("DATABASE_URL", "")
        config = dj_database_url.parse(url) if url else {}
        if "postgresql" not in str(config.get("ENGINE", "")):
            config = dj_database_url.parse(DEFAULT_SERVER_URL)
        return cls(
            host=str(config.get("HOST") or "127.0.0.1"),
            port=int(config.get("PORT") or 5432),
            user=str(config.get("USER") or "postgres"),
            password=str(config.get("PASSWORD") or ""),
        )

    def url(self, dbname: str) -> str:
        auth = quote(self.user) + (":" + quote(self.password) if self.password else "")
        return f"postgres://{auth}@{self.host}:{self.port}/{dbname}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname="postgres",
            autocommit=True,
        )

    def create(self, dbname: str) -> None:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))

    def drop(self, dbname: str) -> None:
        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )

    def version(self) -> str:
        with self._admin() as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else "?"
