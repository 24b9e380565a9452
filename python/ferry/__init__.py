"""ferry: use the JVM from Python, with py4j's API on a Rust core.

    from ferry import JavaGateway
    gateway = JavaGateway()                  # a gateway at 127.0.0.1:25333
    rnd = gateway.jvm.java.util.Random(42)

The modules carry py4j's names (``ferry.java_gateway``, ``ferry.protocol``,
``ferry.java_collections``, ...); ``ferry.compat.install_as_py4j()`` makes ``import py4j`` use
them. With a ferry gateway, whole values move in one message: ``ferry.to_java(value)``,
``ferry.to_python(java_object)``, ``ferry.to_numpy(java_array)``, ``ferry.arrow.to_table``;
``ferry.batch()`` sends many calls in one write.
"""

from ferry._batch import Batch, BatchCall, batch
from ferry._values import to_java, to_numpy, to_python
from ferry.java_gateway import (
    CallbackServerParameters,
    GatewayClient,
    GatewayParameters,
    JavaClass,
    JavaGateway,
    JavaMember,
    JavaObject,
    JavaPackage,
    JVMView,
    get_field,
    get_java_class,
    get_method,
    is_instance_of,
    java_import,
    launch_gateway,
    set_field,
)
from ferry.protocol import (
    Py4JAuthenticationError,
    Py4JError,
    Py4JJavaError,
    Py4JNetworkError,
)
from ferry.version import __version__

__all__ = [
    "Batch",
    "BatchCall",
    "CallbackServerParameters",
    "GatewayClient",
    "GatewayParameters",
    "JVMView",
    "JavaClass",
    "JavaGateway",
    "JavaMember",
    "JavaObject",
    "JavaPackage",
    "Py4JAuthenticationError",
    "Py4JError",
    "Py4JJavaError",
    "Py4JNetworkError",
    "__version__",
    "batch",
    "get_field",
    "get_java_class",
    "get_method",
    "is_instance_of",
    "java_import",
    "launch_gateway",
    "set_field",
    "to_java",
    "to_numpy",
    "to_python",
]
