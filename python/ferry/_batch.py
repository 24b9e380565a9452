"""Calls sent together: ``ferry.batch()`` queues calls of Java methods and sends them in one
write, reading their replies together (pipelining), so that N calls cost one round trip instead
of N.

    with ferry.batch() as b:
        b.call(sb.append, "x")
        n = b.call(sb.length)
    n.result()  # the calls were made when the block ended

Each ``call`` returns a ``BatchCall`` that holds the call's result (or its error) once the batch
is flushed: when the ``with`` block ends, or at ``flush()``. It answers as a finished
``concurrent.futures.Future`` does (``result()``, ``exception()``, ``done()``, ``cancel()``) at
a fraction of the cost (a Future takes about 2 us of locking per call, four times what the call
itself costs in a batch).

The calls run in the order they were queued, one after the other, on the Java thread of one
connection, as the calls of one Python thread do; a call sees what the calls before it did. A
failed call (its arguments refused too) does not stop the ones after it; ``flush()`` (and so the
end of the block) raises the first error once every call of the batch was made, and each call
keeps its own outcome. If the connection fails, the calls of the write in progress share its
error and those not sent yet are cancelled. A call cancelled before the flush is taken out of
the batch; when the block ends with an exception, the calls not sent yet are cancelled.

A batch keeps the objects of its calls alive until they are made. A batch of more than 512
calls, or of large arguments, goes in several writes (one round trip each), still in order.
Over ferry's protocol v2 the calls go as frames in one write; over Py4J's protocol (a Py4J
gateway) as commands in one write, which Py4J's server answers in order; in the embedded mode
(``ferry.embedded``) they are made one by one, in process. A batch is for one thread and one
gateway: its calls must be methods of Java objects or classes of the same gateway
(``obj.method``, ``gateway.jvm.java.lang.Math.abs``); constructors and fields are not batched.
With ``auto_convert``, arguments are converted when the call is queued.
"""

from __future__ import annotations

from concurrent.futures import CancelledError
from types import TracebackType
from typing import Any, final

from ferry._proxies import JavaMember, _convert_args, _release_temps

__all__ = ["Batch", "BatchCall", "batch"]

# Calls per write, and about the most bytes of requests a write of several calls carries: a
# larger batch goes in several writes (still in order).
_CHUNK = 512
_CHUNK_BYTES = 64 * 1024


_QUEUED, _RETURNED, _FAILED, _CANCELLED = range(4)


@final
class BatchCall:
    """One call of a batch: its outcome once the batch was flushed."""

    __slots__ = ("_state", "_value")

    def __init__(self) -> None:
        self._state = _QUEUED
        self._value: Any = None

    def done(self) -> bool:
        """Whether the call was made (or cancelled)."""
        return self._state != _QUEUED

    def cancelled(self) -> bool:
        return self._state == _CANCELLED

    def cancel(self) -> bool:
        """Takes the call out of its batch, if it was not made yet."""
        if self._state == _QUEUED:
            self._state = _CANCELLED
        return self._state == _CANCELLED

    def result(self) -> Any:
        """What the call returned; raises its error, or ``CancelledError``."""
        if self._state == _RETURNED:
            return self._value
        raise self._failure()

    def exception(self) -> BaseException | None:
        """The call's error (None when it returned); raises ``CancelledError``."""
        if self._state == _RETURNED:
            return None
        if self._state == _FAILED:
            return self._value
        raise self._failure()

    def _failure(self) -> BaseException:
        if self._state == _FAILED:
            return self._value
        if self._state == _CANCELLED:
            return CancelledError()
        return RuntimeError(
            "the call was not made yet: a batch makes its calls when its block ends or at flush()"
        )

    def _set(self, ok: bool, value: Any) -> None:
        self._state = _RETURNED if ok else _FAILED
        self._value = value

    def __repr__(self) -> str:
        state = ("queued", "returned", "failed", "cancelled")[self._state]
        return f"<BatchCall {state}>"


def _weight(value: Any) -> int:
    """About how many bytes ``value`` takes in a request (a cheap, shallow estimate)."""
    if isinstance(value, (bytes, bytearray)):
        return len(value)
    if isinstance(value, str):
        return 4 * len(value)
    nbytes = getattr(value, "nbytes", None)  # memoryview, numpy arrays
    if isinstance(nbytes, int):
        return nbytes
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return 16 * len(value)
    return 16


@final
class Batch:
    """Calls of Java methods queued to be sent together (see the module's notes)."""

    def __init__(self) -> None:
        self._client: Any = None
        self._clear()

    def _clear(self) -> None:
        # The calls as the native client takes them, their outcomes, their methods (which keep
        # their objects alive until the calls are made), their estimated request sizes (same
        # order), and the Java objects made for their arguments.
        self._calls: list[tuple[str, str, tuple[Any, ...]]] = []
        self._queued: list[BatchCall] = []
        self._members: list[Any] = []
        self._weights: list[int] = []
        self._temps: list[Any] = []

    def call(self, member: Any, *args: Any) -> BatchCall:
        """Queues ``member(*args)``; what it returns holds the outcome once it was made."""
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
        call = BatchCall()
        self._calls.append((member.target_id, member.name, args))
        self._queued.append(call)
        self._members.append(member)
        self._weights.append(sum(map(_weight, args)) if args else 0)
        return call

    def __len__(self) -> int:
        """How many calls are queued."""
        return len(self._queued)

    def _take(
        self,
    ) -> tuple[list[Any], list[BatchCall], list[Any], list[int], list[Any]]:
        """The queued calls, which the batch no longer holds."""
        taken = (self._calls, self._queued, self._members, self._weights, self._temps)
        self._clear()
        return taken

    def flush(self) -> None:
        """Makes the queued calls (in order) and sets their outcomes; raises the first error
        once every call was made."""
        calls, queued, members, weights, temps = self._take()
        if any(c._state == _CANCELLED for c in queued):
            kept = [k for k, q in enumerate(queued) if not q.cancelled()]
            calls = [calls[k] for k in kept]
            queued = [queued[k] for k in kept]
            weights = [weights[k] for k in kept]
        client = self._client
        failed = False
        start = end = 0
        # Small arguments (the usual case): writes end by count alone.
        small = sum(weights) <= _CHUNK_BYTES
        try:
            while start < len(calls):
                end = (
                    min(start + _CHUNK, len(calls))
                    if small
                    else _chunk_end(weights, start)
                )
                outcomes = client._native.call_mixed(calls[start:end], client)
                for (ok, value), call in zip(outcomes, queued[start:end], strict=True):
                    call._value = value
                    if ok:
                        call._state = _RETURNED
                    else:
                        call._state = _FAILED
                        failed = True
                start = end
        except BaseException as e:
            # The connection failed (or the caller was interrupted) during the write of
            # [start, end): those calls share the error; the later ones were never sent.
            for call in queued[start:end]:
                if not call.done():
                    call._set(False, e)
            for call in queued[end:]:
                call.cancel()
            raise
        finally:
            _release_temps(temps)
            del members  # the calls were made: their objects may go
        if failed:
            for call in queued:
                if call._state == _FAILED:
                    raise call._value

    def cancel(self) -> None:
        """Drops the queued calls (they are cancelled)."""
        _, queued, _, _, temps = self._take()
        for call in queued:
            call.cancel()
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


def _chunk_end(weights: list[int], start: int) -> int:
    """Where the write that starts at call ``start`` ends: after ``_CHUNK`` calls, or once the
    calls' estimated size passes ``_CHUNK_BYTES`` (a large call goes alone). The client writes
    a whole write before it reads a reply, and the gateway answers while it reads: requests that
    outgrew the socket buffers while replies did too would stall both ends."""
    end = start
    size = 0
    while end < len(weights) and end - start < _CHUNK:
        if end > start and size + weights[end] > _CHUNK_BYTES:
            break
        size += weights[end]
        end += 1
        if size > _CHUNK_BYTES:
            break
    return end


def batch() -> Batch:
    """A new batch of calls: ``with ferry.batch() as b: f = b.call(obj.method, arg)``."""
    return Batch()
