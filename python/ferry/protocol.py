"""Py4J's text protocol as seen from Python: its constants, the errors, the value helpers and
the converter registries (py4j.protocol's names and behaviour).

ferry encodes call arguments and decodes replies natively on the hot path; the helpers here
(``get_command_part``, ``get_return_value``) give the same results for code that builds
commands itself, and they are what ferry uses for the less frequent commands.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from ferry import _native

if TYPE_CHECKING:
    from ferry.java_gateway import GatewayClient, JavaObject

JAVA_MAX_INT = 2147483647
JAVA_MIN_INT = -2147483648

JAVA_INFINITY = "Infinity"
JAVA_NEGATIVE_INFINITY = "-Infinity"
JAVA_NAN = "NaN"

ESCAPE_CHAR = "\\"

# Ids bound on the Java side for the gateway's whole life.
ENTRY_POINT_OBJECT_ID = "t"
CONNECTION_PROPERTY_OBJECT_ID = "c"
GATEWAY_SERVER_OBJECT_ID = "GATEWAY_SERVER"
STATIC_PREFIX = "z:"

DEFAULT_JVM_ID = "rj"
DEFAULT_JVM_NAME = "default"

# Value tags.
BYTES_TYPE = "j"
INTEGER_TYPE = "i"
LONG_TYPE = "L"
BOOLEAN_TYPE = "b"
DOUBLE_TYPE = "d"
DECIMAL_TYPE = "D"
STRING_TYPE = "s"
REFERENCE_TYPE = "r"
ARRAY_TYPE = "t"
SET_TYPE = "h"
LIST_TYPE = "l"
MAP_TYPE = "a"
NULL_TYPE = "n"
PACKAGE_TYPE = "p"
CLASS_TYPE = "c"
METHOD_TYPE = "m"
NO_MEMBER = "o"
VOID_TYPE = "v"
ITERATOR_TYPE = "g"
PYTHON_PROXY_TYPE = "f"

# Reply markers.
END = "e"
ERROR = "x"
FATAL_ERROR = "z"
SUCCESS = "y"
RETURN_MESSAGE = "!"

SUCCESS_PACKAGE = SUCCESS + PACKAGE_TYPE
SUCCESS_CLASS = SUCCESS + CLASS_TYPE
CLASS_FQN_START = 2
END_COMMAND_PART = END + "\n"
NO_MEMBER_COMMAND = SUCCESS + NO_MEMBER

# Command names (with their line end, as commands are assembled).
CALL_COMMAND_NAME = "c\n"
FIELD_COMMAND_NAME = "f\n"
CONSTRUCTOR_COMMAND_NAME = "i\n"
SHUTDOWN_GATEWAY_COMMAND_NAME = "s\n"
LIST_COMMAND_NAME = "l\n"
REFLECTION_COMMAND_NAME = "r\n"
MEMORY_COMMAND_NAME = "m\n"
HELP_COMMAND_NAME = "h\n"
ARRAY_COMMAND_NAME = "a\n"
JVMVIEW_COMMAND_NAME = "j\n"
EXCEPTION_COMMAND_NAME = "p\n"
DIR_COMMAND_NAME = "d\n"
STREAM_COMMAND_NAME = "S\n"

ARRAY_GET_SUB_COMMAND_NAME = "g\n"
ARRAY_SET_SUB_COMMAND_NAME = "s\n"
ARRAY_SLICE_SUB_COMMAND_NAME = "l\n"
ARRAY_LEN_SUB_COMMAND_NAME = "e\n"
ARRAY_CREATE_SUB_COMMAND_NAME = "c\n"

REFL_GET_UNKNOWN_SUB_COMMAND_NAME = "u\n"
REFL_GET_MEMBER_SUB_COMMAND_NAME = "m\n"
REFL_GET_JAVA_LANG_CLASS_SUB_COMMAND_NAME = "c\n"

LIST_SORT_SUBCOMMAND_NAME = "s\n"
LIST_REVERSE_SUBCOMMAND_NAME = "r\n"
LIST_SLICE_SUBCOMMAND_NAME = "l\n"
LIST_CONCAT_SUBCOMMAND_NAME = "a\n"
LIST_MULT_SUBCOMMAND_NAME = "m\n"
LIST_IMULT_SUBCOMMAND_NAME = "i\n"
LIST_COUNT_SUBCOMMAND_NAME = "f\n"

FIELD_GET_SUBCOMMAND_NAME = "g\n"
FIELD_SET_SUBCOMMAND_NAME = "s\n"

MEMORY_DEL_SUBCOMMAND_NAME = "d\n"
MEMORY_ATTACH_SUBCOMMAND_NAME = "a\n"

HELP_OBJECT_SUBCOMMAND_NAME = "o\n"
HELP_CLASS_SUBCOMMAND_NAME = "c\n"

JVM_CREATE_VIEW_SUB_COMMAND_NAME = "c\n"
JVM_IMPORT_SUB_COMMAND_NAME = "i\n"
JVM_SEARCH_SUB_COMMAND_NAME = "s\n"
REMOVE_IMPORT_SUB_COMMAND_NAME = "r\n"

PYTHON_PROXY_PREFIX = "p"
ERROR_RETURN_MESSAGE = RETURN_MESSAGE + ERROR + NULL_TYPE + "\n"
SUCCESS_RETURN_MESSAGE = RETURN_MESSAGE + SUCCESS + "\n"
OUTPUT_VOID_COMMAND = RETURN_MESSAGE + SUCCESS + VOID_TYPE + "\n"

AUTH_COMMAND_NAME = "A"
CALL_PROXY_COMMAND_NAME = "c"
GARBAGE_COLLECT_PROXY_COMMAND_NAME = "g"

DIR_FIELDS_SUBCOMMAND_NAME = "f\n"
DIR_METHODS_SUBCOMMAND_NAME = "m\n"
DIR_STATIC_SUBCOMMAND_NAME = "s\n"
DIR_JVMVIEW_SUBCOMMAND_NAME = "v\n"

# When a network error happened (Py4JNetworkError.when).
ERROR_ON_SEND = "on_send"
ERROR_ON_RECEIVE = "on_receive"
EMPTY_RESPONSE = "empty_response"


class InputConverter(Protocol):
    """What ``register_input_converter`` accepts."""

    def can_convert(self, object: Any) -> bool: ...

    def convert(self, object: Any, gateway_client: GatewayClient) -> Any: ...


OutputConverter = Callable[[str, "GatewayClient"], Any]


def escape_new_line(original: Any) -> Any:
    """Escapes backslashes, CR and LF the way the protocol wants strings.

    Empty and None values are returned unchanged."""
    if not original:
        return original
    text = smart_decode(original)
    return text.replace("\\", "\\\\").replace("\r", "\\r").replace("\n", "\\n")


def unescape_new_line(escaped: Any) -> Any:
    """Reverses ``escape_new_line``: ``\\\\`` to a backslash, ``\\n`` and ``\\r`` to LF
    and CR; any other backslash pair is kept as it is. Empty and None values are returned
    unchanged."""
    if not escaped or "\\" not in escaped:
        return escaped
    return _ESCAPED.sub(_unescape_one, escaped)


_ESCAPED = re.compile(r"\\([\\nr])")
_UNESCAPED = {"\\": "\\", "n": "\n", "r": "\r"}


def _unescape_one(match: re.Match[str]) -> str:
    return _UNESCAPED[match.group(1)]


def smart_decode(s: Any) -> str:
    """``s`` as text: str unchanged, bytes decoded as UTF-8, anything else through ``str``."""
    if isinstance(s, str):
        return s
    if isinstance(s, bytes):
        return s.decode("utf-8")
    return str(s)


def encode_float(float_value: float) -> str:
    """``repr`` of a float, with infinities and NaN spelled as Java parses them."""
    text = repr(float(float_value))
    if text == "inf":
        return JAVA_INFINITY
    if text == "-inf":
        return JAVA_NEGATIVE_INFINITY
    if text == "nan":
        return JAVA_NAN
    return text


def encode_bytearray(barray: bytes | bytearray) -> str:
    """Standard Base64 (with padding, no line breaks) of bytes."""
    return base64.standard_b64encode(bytes(barray)).decode("ascii")


def decode_bytearray(encoded: str) -> bytes:
    """Bytes from their Base64 text."""
    return base64.standard_b64decode(encoded.encode("ascii"))


def is_python_proxy(parameter: Any) -> bool:
    """Whether ``parameter`` implements Java interfaces: it has a nested ``Java`` class whose
    ``implements`` lists at least one interface name."""
    try:
        return len(parameter.Java.implements) > 0
    except Exception:  # noqa: BLE001 - any failure means "not a proxy", as in py4j
        return False


def get_command_part(parameter: Any, python_proxy_pool: Any = None) -> str:
    """The argument line (with its line end) for a Python value, e.g. ``"i1\\n"`` for 1. A
    Python proxy (an object implementing Java interfaces) is put into ``python_proxy_pool``."""
    if parameter is None:
        part = NULL_TYPE
    elif isinstance(parameter, bool):
        part = BOOLEAN_TYPE + ("True" if parameter else "False")
    elif isinstance(parameter, Decimal):
        part = DECIMAL_TYPE + str(parameter)
    elif isinstance(parameter, int):
        value = int(parameter)
        if JAVA_MIN_INT <= value <= JAVA_MAX_INT:
            part = INTEGER_TYPE + str(value)
        elif -(2**63) <= value < 2**63:
            part = LONG_TYPE + str(value)
        else:
            raise Py4JError(
                f"the integer {value} does not fit in a Java long (64 bits); pass a "
                "java.math.BigInteger built from its string instead"
            )
    elif isinstance(parameter, float):
        part = DOUBLE_TYPE + encode_float(parameter)
    elif isinstance(parameter, (bytes, bytearray)):
        part = BYTES_TYPE + encode_bytearray(parameter)
    elif isinstance(parameter, str):
        part = STRING_TYPE + escape_new_line(parameter)
    elif hasattr(parameter, "_get_object_id"):
        part = REFERENCE_TYPE + parameter._get_object_id()
    elif is_python_proxy(parameter):
        if python_proxy_pool is None:
            raise Py4JError(
                f"cannot pass a {type(parameter).__name__} (a Python proxy) without a proxy "
                "pool: get_command_part(value, gateway.gateway_property.pool)"
            )
        part = PYTHON_PROXY_TYPE + python_proxy_pool.put(parameter)
        for interface in parameter.Java.implements:
            part += ";" + interface
    else:
        raise AttributeError(
            f"'{type(parameter).__name__}' object has no attribute '_get_object_id' "
            "(ferry sends None, bool, int, float, str, bytes, bytearray, decimal.Decimal and "
            "Java objects; convert collections with ListConverter/SetConverter/MapConverter "
            "or enable auto_convert)"
        )
    return part + "\n"


def is_error(answer: str) -> tuple[bool, None]:
    """``(True, None)`` when an answer is not a success."""
    return (len(answer) == 0 or answer[0] != SUCCESS, None)


def is_fatal_error(answer: str) -> bool:
    """Whether an answer is a fatal error (the gateway closed the connection after it)."""
    return bool(answer) and answer[0] == FATAL_ERROR


def get_error_message(
    answer: str, gateway_client: Any = None
) -> tuple[bool, str | None]:
    """``(is_error, message)``: the message of an ``xs`` answer, else None."""
    error = is_error(answer)[0]
    message = None
    if error and len(answer) > 1 and answer[1] == STRING_TYPE:
        message = unescape_new_line(answer[2:])
    return (error, message)


def compute_exception_message(
    default_message: str, extra_message: str | None = None
) -> str:
    """``default -- extra`` when there is an extra message."""
    if extra_message:
        return f"{default_message} -- {extra_message}"
    return default_message


def _convert(tag: str, value: str, gateway_client: Any) -> Any:
    try:
        converter = OUTPUT_CONVERTER[tag]
    except KeyError:
        raise Py4JError(
            f"no output converter is registered for the type '{tag}' "
            "(was ferry.java_collections skipped?)"
        ) from None
    return converter(value, gateway_client)


def get_return_value(
    answer: str,
    gateway_client: Any,
    target_id: str | None = None,
    name: str | None = None,
) -> Any:
    """The Python value of an answer, or the exception it stands for.

    An ``xr`` answer (the Java code threw) raises ``Py4JJavaError`` with the Throwable; any
    other error raises ``Py4JError``."""
    if is_error(answer)[0]:
        where = f"{target_id}.{name}"
        if len(answer) > 1:
            value = _convert(answer[1], answer[2:], gateway_client)
            if answer[1] == REFERENCE_TYPE:
                raise Py4JJavaError(
                    f"An error occurred while calling {where}.\n", value
                )
            raise Py4JError(
                f"An error occurred while calling {where}. Trace:\n{value}\n"
            )
        raise Py4JError(f"An error occurred while calling {where}")
    if len(answer) < 2 or answer[1] == VOID_TYPE:
        return None
    return _convert(answer[1], answer[2:], gateway_client)


def _parse_bool(value: str, _client: Any) -> bool:
    return value.lower() == "true"


OUTPUT_CONVERTER: dict[str, OutputConverter] = {
    NULL_TYPE: lambda value, client: None,
    BOOLEAN_TYPE: _parse_bool,
    LONG_TYPE: lambda value, client: int(value),
    DECIMAL_TYPE: lambda value, client: Decimal(value),
    INTEGER_TYPE: lambda value, client: int(value),
    BYTES_TYPE: lambda value, client: decode_bytearray(value),
    DOUBLE_TYPE: lambda value, client: float(value),
    STRING_TYPE: lambda value, client: unescape_new_line(value),
}
"""Output converters by value tag: ``converter(text_or_id, gateway_client)``."""

INPUT_CONVERTER: list[InputConverter] = []
"""Input converters, tried in order on arguments when ``auto_convert`` is on."""

_PRIMITIVE_TAGS = frozenset(OUTPUT_CONVERTER)


def register_output_converter(output_type: str, converter: OutputConverter) -> None:
    """Registers the converter of a reply type (``MAP_TYPE``, ``BOOLEAN_TYPE``, ...): it gets
    the value's text (or the object id) and the gateway client, and returns the Python value."""
    OUTPUT_CONVERTER[output_type] = converter
    if output_type in _PRIMITIVE_TAGS:
        _native.set_converter_override(output_type, True)


def register_input_converter(converter: InputConverter, prepend: bool = False) -> None:
    """Registers an input converter (an object with ``can_convert(obj)`` and
    ``convert(obj, gateway_client)``), used on arguments when ``auto_convert`` is on."""
    if prepend:
        INPUT_CONVERTER.insert(0, converter)
    else:
        INPUT_CONVERTER.append(converter)


class Py4JError(Exception):
    """Base of ferry's (and py4j's) errors."""

    def __init__(self, args: Any = None, cause: BaseException | None = None) -> None:
        super().__init__(args)
        self.cause = cause


class Py4JAuthenticationError(Py4JError):
    """The gateway refused the authentication token."""

    def __init__(self, args: Any = None, cause: BaseException | None = None) -> None:
        super().__init__(args)
        self.cause = cause


class Py4JNetworkError(Py4JError):
    """The gateway could not be reached, or went away, or did not answer in time.

    ``when`` is ``"on_send"``, ``"on_receive"``, ``"empty_response"`` or None."""

    def __init__(
        self,
        args: Any = None,
        cause: BaseException | None = None,
        when: str | None = None,
    ) -> None:
        super().__init__(args)
        self.cause = cause
        self.when = when


class Py4JJavaError(Py4JError):
    """The Java code threw. ``java_exception`` is the Throwable; ``str()`` gives the message
    followed by the Java stack trace (fetched once from the gateway, then kept)."""

    def __init__(self, msg: str, java_exception: JavaObject) -> None:
        self.args = (msg, java_exception)
        self.errmsg = msg
        self.java_exception = java_exception
        self.exception_cmd = (
            EXCEPTION_COMMAND_NAME
            + REFERENCE_TYPE
            + java_exception._target_id
            + "\n"
            + END_COMMAND_PART
        )
        self._java_trace: str | None = None

    def __str__(self) -> str:
        if self._java_trace is None:
            client = self.java_exception._gateway_client
            try:
                answer = client.send_command(self.exception_cmd)
                self._java_trace = get_return_value(answer, client, None, None)
            except Py4JError as e:
                return f"{self.errmsg}: <the Java stack trace is unavailable: {e}>"
        return f"{self.errmsg}: {self._java_trace}"
