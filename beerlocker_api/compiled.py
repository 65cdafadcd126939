"""Lookups made on every request, compiled to SQL once instead of on every call.

Django compiles a queryset into SQL each time it is evaluated. For the few lookups the hot paths
make on every request (a bearer token by its checksum, a client by its ``client_id``, each with
the rows joined to it) compiling costs more than PostgreSQL's answer: about 0.6 ms of a 1.7 ms
token lookup, measured in-process on this project (``scripts/bench``). A ``CompiledLookup`` keeps
the SQL and Django's column converters per database and only executes it, then builds the model
instances the ORM would have built, related ones attached, fields it did not select deferred
(read on first access, as with ``QuerySet.only()``).

Written against Django 5.2-6.1's compiler (``Query.get_compiler``, ``SQLCompiler.as_sql`` and
``results_iter(results=...)``, the calls ``QuerySet.values_list`` makes); pyproject pins Django
below 6.2 and ``tests/api/test_compiled.py`` compares every answer with the ORM's own.
"""

import threading
from dataclasses import dataclass

from django.db import connections, models, router

from beerlocker_api import conf


@dataclass(frozen=True)
class Part:
    """One model in a lookup's row: ``path`` from the looked-up model ("" for itself, else a
    forward relation such as ``"application__user"``) and the ``fields`` (attnames) to select;
    ``None`` selects every concrete field. A related part's fields include its primary key."""

    path: str
    model: type[models.Model]
    fields: tuple[str, ...] | None = None

    def attnames(self) -> tuple[str, ...]:
        """The selected attnames in the model's field order (``Model.from_db`` reads them so)."""
        concrete = [field.attname for field in self.model._meta.concrete_fields]
        if self.fields is None:
            return tuple(concrete)
        if unknown := set(self.fields) - set(concrete):
            raise ValueError(f"{self.model.__name__} has no concrete fields {sorted(unknown)}")
        return tuple(name for name in concrete if name in self.fields)


# A value no caller ever looks up: marks where the looked-up value goes in the compiled parameters.
_PLACEHOLDER = "\x00compiled-lookup-placeholder\x00"


class CompiledLookup:
    """At most one row of ``parts[0].model`` whose ``field`` equals a value, with the related rows
    ``parts[1:]`` name (each ``path`` a forward relation or a reverse one-to-one, a parent's before
    its child's).

    ``field`` must be unique: the SQL reads one row (``LIMIT 1``) without ordering.
    """

    def __init__(self, field: str, *parts: Part):
        self.field = field
        self.parts = parts
        # database alias -> (sql, params, position of the value, compiler)
        self._compiled: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _columns(self):
        return [
            f"{part.path}__{name}" if part.path else name for part in self.parts for name in part.attnames()
        ]

    def _compile(self, alias):
        queryset = (
            self.parts[0]
            .model._default_manager.using(alias)
            .filter(**{self.field: _PLACEHOLDER})
            .values_list(*self._columns())[:1]
        )
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        position = [index for index, param in enumerate(params) if param == _PLACEHOLDER]
        if len(position) != 1:  # pragma: no cover - only if Django changes how a filter compiles
            raise RuntimeError(f"cannot compile a lookup by {self.field}")
        return sql, list(params), position[0], compiler

    def get(self, value):
        """The instance whose ``field`` is ``value`` (related instances attached), or None."""
        if not conf.get("COMPILED_LOOKUPS"):
            return self._orm_get(value)
        model = self.parts[0].model
        alias = router.db_for_read(model)
        compiled = self._compiled.get(alias)
        if compiled is None:
            with self._lock:  # one thread compiles; the others find its answer
                compiled = self._compiled.get(alias) or self._compiled.setdefault(alias, self._compile(alias))
        sql, params, position, compiler = compiled
        params = list(params)
        params[position] = value
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        # Django's converters (e.g. SQLite's text timestamps, JSON fields), exactly as the ORM does.
        (row,) = compiler.results_iter(results=[rows], tuple_expected=True)
        return self._instances(alias, row)

    def _orm_get(self, value):
        # The same instances through the ORM's public path (every field read, not only the parts'),
        # the parts checked as the compiled path checks them.
        self._columns()
        related = [part.path for part in self.parts[1:]]
        model = self.parts[0].model
        found = model._default_manager.select_related(*related).filter(**{self.field: value})[:1]
        return next(iter(found), None)

    def _instances(self, alias, row):
        built = {}
        start = 0
        for part in self.parts:
            names = part.attnames()
            values = row[start : start + len(names)]
            start += len(names)
            pk_name = part.model._meta.pk.attname
            if part.path and values[names.index(pk_name)] is None:
                instance = None  # no related row (a LEFT JOIN that found none)
            else:
                instance = part.model.from_db(alias, names, values)
            built[part.path] = instance
            if part.path:
                parent_path, _, name = part.path.rpartition("__")
                parent = built[parent_path]
                if parent is None:
                    continue
                relation = parent._meta.get_field(name)
                if instance is None and not relation.concrete:
                    # A reverse one-to-one without a row: cached as absent, as select_related
                    # leaves it (reading it raises DoesNotExist, with no query).
                    relation.set_cached_value(parent, None)
                else:
                    setattr(parent, name, instance)
        return built[""]
