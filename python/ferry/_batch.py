"""Calls sent together: ``ferry.batch()`` queues calls of Java methods and sends them in one
write, reading their replies together (pipelining), so that N calls cost one round trip instead
of N.

    with ferry.batch() as b:
        b.call(sb.append, "x")
        n = b.call(sb.length)
    n.result()  # the calls were made when the block ended

Each ``call`` returns a ``concurrent.futures.Future`` that holds the call's result (or its
error) once the batch is flushed: when the ``with`` block ends, or at ``flush()``. The calls run
in the order they were queued, one after the other, on the Java thread of one connection, as
the calls of one Python thread do; a call sees what the calls before it did. A failed call
does not stop the ones after it; ``flush()`` (and so the end of the block) raises the first
error once every call of the batch was made, and each future keeps its own outcome. A future
cancelled before the flush takes its call out of the batch. When the block ends with an
exception, the calls not sent yet are cancelled.

Over ferry's protocol v2 the calls go as frames in one write; over Py4J's protocol (a Py4J
gateway) as commands in one write, which Py4J's server answers in order; in the embedded mode
(``ferry.embedded``) they are made one by one, in process. A batch is for one thread and one
gateway: its calls must be methods of Java objects or classes of the same gateway
(``obj.method``, ``gateway.jvm.java.lang.Math.abs``); constructors and fields are not batched.
With ``auto_convert``, arguments are converted when the call is queued.
"""

from __future__ import annotations

from concurrent.futures import Future
from types import TracebackType
from typing import Any, final

from ferry._proxies import JavaMember, _convert_args, _release_temps

__all__ = ["Batch", "batch"]

# Calls per write: a larger batch goes in several (still in order).
_CHUNK = 512


@final
class Batch:
    """Calls of Java methods queued to be sent together (see the module's notes)."""

    def __init__(self) -> None:
        self._client: Any = None
        self._queued: list[tuple[str, str, tuple[Any, ...], Future[Any]]] = []
        self._temps: list[Any] = []

    def call(self, member: Any, *args: Any) -> Future[Any]:
        """Queues ``member(*args)`` and returns the future of its result."""
        if not isinstance(member, JavaMember):
            raise TypeError(
                "ferry.batch() queues calls of Java methods (obj.method, "
                f"gateway.jvm.pkg.Class.method), not {type(member).__name__}"
            )
        client = member.gateway_client
        if self._client is None:
            self._client = client
        elif client is not self._client:
            raise ValueError("the calls of one batch must go to one gateway")
        if client.converters:
            args, made = _convert_args(args, client)
            self._temps.extend(made)
        future: Future[Any] = Future()
        self._queued.append((member.target_id, member.name, args, future))
        return future

    def __len__(self) -> int:
        """How many calls are queued."""
        return len(self._queued)

    def flush(self) -> None:
        """Makes the queued calls (in order) and sets their futures; raises the first error
        once every call was made."""
        queued, self._queued = self._queued, []
        temps, self._temps = self._temps, []
        # A future cancelled meanwhile takes its call out.
        queued = [q for q in queued if q[3].set_running_or_notify_cancel()]
        client = self._client
        try:
            for at in range(0, len(queued), _CHUNK):
                chunk = queued[at : at + _CHUNK]
                outcomes = client._native.call_mixed(
                    [(target, name, args) for target, name, args, _ in chunk], client
                )
                for (ok, value), (*_, future) in zip(outcomes, chunk, strict=True):
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        except BaseException as e:
            # The connection failed (or the caller was interrupted): the calls without an
            # outcome share the error.
            for *_, future in queued:
                if not future.done():
                    future.set_exception(e)
            raise
        finally:
            _release_temps(temps)
        for *_, future in queued:
            error = future.exception()
            if error is not None:
                raise error

    def cancel(self) -> None:
        """Drops the queued calls (their futures are cancelled)."""
        queued, self._queued = self._queued, []
        temps, self._temps = self._temps, []
        for *_, future in queued:
            future.cancel()
        _release_temps(temps)

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.flush()
        else:
            self.cancel()


def batch() -> Batch:
    """A new batch of calls: ``with ferry.batch() as b: f = b.call(obj.method, arg)``."""
    return Batch()
