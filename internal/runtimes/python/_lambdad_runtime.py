"""lambdad's runtime interface client for Python.

lambdad runs it as `python3 -S /var/runtime/python/bootstrap.py PATH...`
(which imports this module) in every environment of a python3.x function,
PATH being the interpreter's module search path as the site module builds
it (lambdad asked the interpreter once); or, when it could not tell, as
`python3 -s /var/runtime/python/bootstrap.py`. It speaks
the Lambda Runtime API 2018-06-01 at $AWS_LAMBDA_RUNTIME_API over one
keep-alive connection: it imports the handler named by $_HANDLER once
(Init), then loops on GET /invocation/next, calls the handler with the event
and a context object, and posts the JSON result or the error, as AWS's own
Python client does:

- handler "module.function", module a dotted name or a path
  ("pkg/sub/mod.fn"); sys.path as AWS's bootstrap leaves it (see
  _set_path): the code root, then the layers' /opt/python/lib/python3.X/
  site-packages and /opt/python, all three site directories (.pth files
  read);
- init failures go to /runtime/init/error as Runtime.MalformedHandlerName,
  Runtime.ImportModuleError, Runtime.UserCodeSyntaxError or
  Runtime.HandlerNotFound; the process then exits;
- a handler exception becomes {errorMessage, errorType, requestId,
  stackTrace}; a result json cannot encode becomes Runtime.MarshalError;
- the root logger writes "[LEVEL]\t<time>\t<request id>\t<message>".

It uses only the standard library, and imports as little of it as it can
before the first invocation: every module is paid for by every cold start.
logging (about a third of the client's own start-up) is configured the
moment anything imports it rather than imported here, and traceback only
when there is an error to report.
"""

import importlib
import json
import _socket
import os
import sys
import time

RUNTIME_PATH = "/2018-06-01/runtime"


class _Closed(Exception):
    """The server closed the connection."""


class _Client:
    """One persistent HTTP/1.1 connection to the Runtime API.

    A hand-written client rather than http.client, whose import (email,
    ssl) costs about 30 ms of every cold start; the Runtime API is a small,
    known server."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        self.family = _socket.AF_INET6 if ":" in host else _socket.AF_INET
        self.addr = (host, int(port))
        self.host = address
        self.sock = None
        self.buf = bytearray()

    def _close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buf.clear()

    def request(self, method, path, body=b"", headers=()):
        """Sends one request and returns (status, headers, body), header
        names in lower case. A reused connection that turns out closed is
        re-opened once."""
        for attempt in (0, 1):
            reused = self.sock is not None
            if not reused:
                sock = _socket.socket(self.family, _socket.SOCK_STREAM)
                try:
                    sock.connect(self.addr)
                except OSError:
                    sock.close()
                    raise
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
                self.sock = sock
            try:
                head = "{} {}{} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n".format(
                    method, RUNTIME_PATH, path, self.host, len(body))
                for k, v in headers:
                    head += "{}: {}\r\n".format(k, v)
                self.sock.sendall(head.encode("latin-1") + b"\r\n" + body)
                return self._response()
            except (OSError, _Closed):
                self._close()
                if attempt or not reused:
                    raise
        raise _Closed()

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise _Closed()
        self.buf += data

    def _line(self):
        while True:
            i = self.buf.find(b"\n")
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if len(self.buf) > 65536:
                raise _Closed()  # no HTTP line is that long
            self._fill()

    def _read(self, n):
        while len(self.buf) < n:
            self._fill()
        data = bytes(self.buf[:n])
        del self.buf[:n]
        return data

    def _response(self):
        parts = self._line().split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise _Closed()
        status = int(parts[1])
        headers = {}
        while True:
            line = self._line()
            if line in (b"\r\n", b"\n"):
                break
            k, _, v = line.decode("utf-8", "replace").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self._line().split(b";", 1)[0].strip(), 16)
                if size == 0:
                    while self._line() not in (b"\r\n", b"\n"):
                        pass  # trailers
                    break
                chunks.append(self._read(size))
                self._line()
            body = b"".join(chunks)
        else:
            body = self._read(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self._close()
        return status, headers, body

    def next(self):
        while True:
            status, headers, body = self.request("GET", "/invocation/next")
            if status == 200:
                return headers, body
            # The API answers 5xx only when something is badly wrong.
            time.sleep(0.01)

    def post(self, path, body, error_type=None):
        headers = [("Content-Type", "application/json")]
        if error_type:
            headers.append(("Lambda-Runtime-Function-Error-Type", error_type))
        self.request("POST", path, body=body, headers=headers)


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __init__(self, value=None):
        value = value or {}
        self.cognito_identity_id = value.get("cognitoIdentityId")
        self.cognito_identity_pool_id = value.get("cognitoIdentityPoolId")


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]

    def __init__(self, value):
        self.installation_id = value.get("installation_id")
        self.app_title = value.get("app_title")
        self.app_version_name = value.get("app_version_name")
        self.app_version_code = value.get("app_version_code")
        self.app_package_name = value.get("app_package_name")


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __init__(self, value):
        self.custom = value.get("custom")
        self.env = value.get("env")
        client = value.get("client")
        self.client = Client(client) if isinstance(client, dict) else None


class LambdaContext:
    """The context object handlers get, with AWS's attribute names."""

    def __init__(self, request_id, deadline_ms, invoked_function_arn, identity, client_context):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_function_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.identity = CognitoIdentity(identity)
        self.client_context = ClientContext(client_context) if client_context else None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def __repr__(self):
        return "LambdaContext([aws_request_id={},log_group_name={},log_stream_name={},function_name={},memory_limit_in_mb={},function_version={},invoked_function_arn={},client_context={},identity={}])".format(
            self.aws_request_id, self.log_group_name, self.log_stream_name, self.function_name,
            self.memory_limit_in_mb, self.function_version, self.invoked_function_arn,
            self.client_context, self.identity)


class _State:
    request_id = ""


def _configure_logging(logging):
    """Gives the root logger AWS's handler (and AWS_LAMBDA_LOG_LEVEL), as
    AWS's client does before the function's code runs."""

    class LambdaLoggerHandler(logging.Handler):
        """Writes log records in AWS's text format to stdout."""

        def emit(self, record):
            try:
                msg = self.format(record)
                ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                ms = int(record.msecs)
                sys.stdout.write("[{}]\t{}.{:03d}Z\t{}\t{}\n".format(
                    record.levelname, ts, ms, _State.request_id, msg))
            except Exception:
                self.handleError(record)

    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(LambdaLoggerHandler())
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())


class _LoggingHook:
    """A meta path finder that configures logging right after the first
    import of it has run the module, before the importer sees it: code that
    imports logging finds the root logger as AWS leaves it (so that
    logging.basicConfig() does nothing, as on AWS), and code that never
    imports it does not pay for it."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "logging":
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is cls or find is None:
                continue
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or isinstance(loader, type) or not hasattr(loader, "exec_module"):
            return None  # not a loader instance of its own: catch_up sees to it

        def exec_and_configure(module):
            # The loader is as it was before anything runs: a loader shared
            # by several modules (zipimport) is wrapped for this one only.
            try:
                del loader.exec_module
            except AttributeError:
                pass
            cls.uninstall()
            loader.exec_module(module)
            _configure_logging(module)

        try:
            loader.exec_module = exec_and_configure
        except AttributeError:
            return None
        return spec

    @classmethod
    def uninstall(cls):
        try:
            sys.meta_path.remove(cls)
        except ValueError:
            pass

    @classmethod
    def install(cls):
        logging = sys.modules.get("logging")
        if logging is not None:
            _configure_logging(logging)
        else:
            sys.meta_path.insert(0, cls)

    @classmethod
    def catch_up(cls):
        """Configures logging if it was imported without the hook seeing it
        (a loader without exec_module)."""
        if cls in sys.meta_path and "logging" in sys.modules:
            cls.uninstall()
            _configure_logging(sys.modules["logging"])


class _UserError(Exception):
    """An init failure with AWS's error type."""

    def __init__(self, error_type, message, tb=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.tb = tb or []


def _stack(tb, skip):
    import traceback
    return traceback.format_list(traceback.extract_tb(tb)[skip:])


def _error_body(message, error_type, stack, request_id):
    return json.dumps({
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack,
    }, ensure_ascii=False)


def _log_error(error_type, message, stack):
    """Logs an error as AWS's client does: one line, its parts joined by
    carriage returns."""
    parts = ["[ERROR] {}: {}".format(error_type, message)]
    if stack:
        parts.append("Traceback (most recent call last):")
        parts.extend(frame.rstrip("\n").replace("\n", "\r") for frame in stack)
    sys.stdout.write("\r".join(parts) + "\n")
    sys.stdout.flush()


def _flush():
    for f in (sys.stdout, sys.stderr):
        try:
            f.flush()
        except Exception:
            pass


def _load_handler(name):
    try:
        modname, fname = name.rsplit(".", 1)
    except ValueError as e:
        raise _UserError("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(name, e))
    if not modname or not fname:
        raise _UserError("Runtime.MalformedHandlerName", "Bad handler '{}'".format(name))
    modname = modname.replace("/", ".")
    try:
        module = importlib.import_module(modname)
    except ImportError as e:
        raise _UserError("Runtime.ImportModuleError", "Unable to import module '{}': {}".format(modname, e))
    except SyntaxError as e:
        raise _UserError("Runtime.UserCodeSyntaxError", "Syntax error in module '{}': {}".format(modname, e),
                         _stack(e.__traceback__, 1))
    except Exception as e:
        raise _UserError(type(e).__name__, str(e), _stack(e.__traceback__, 1))
    handler = getattr(module, fname, None)
    if handler is None:
        raise _UserError("Runtime.HandlerNotFound", "Handler '{}' missing on module '{}'".format(fname, modname))
    return handler


def _decimal(o):
    decimal = sys.modules.get("decimal")  # imported by the code if it uses Decimal
    if decimal is not None and isinstance(o, decimal.Decimal):
        return float(o)
    raise TypeError("Object of type {} is not JSON serializable".format(type(o).__name__))


def _versions():
    """The Python versions whose layer directories the function sees: its
    runtime's (python3.12 for AWS_Lambda_python3.12), then the
    interpreter's when that differs."""
    own = "{}.{}".format(sys.version_info[0], sys.version_info[1])
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    runtime = env[len("AWS_Lambda_python"):] if env.startswith("AWS_Lambda_python") else own
    return [runtime] if runtime == own else [runtime, own]


def _set_path(task_root, site_path):
    """Sets sys.path as AWS's bootstrap does: the code root first, then,
    unless the function sets PYTHONPATH, the layers' site-packages and
    /opt/python; each of those is a site directory (its .pth files are
    read), and PYTHONPATH becomes $LAMBDA_RUNTIME_DIR for child processes.
    Unisolated, the layers are at $LAMBDAD_OPT_DIR rather than /opt. The
    client's own directory goes last, where it shadows nothing.

    Under -S, site_path is what the site module would have added (the
    host's site-packages and what its .pth files name): it follows the
    PYTHONPATH and standard library entries, as site would put it, and the
    builtins site adds (exit, quit, help, ...) are added too."""
    opt = os.environ.get("LAMBDAD_OPT_DIR") or "/opt"
    front = [task_root]
    if "PYTHONPATH" not in os.environ:
        front += [opt + "/python/lib/python" + v + "/site-packages" for v in _versions()]
        front.append(opt + "/python")
        os.environ["PYTHONPATH"] = os.environ.get("LAMBDA_RUNTIME_DIR", "/var/runtime")
    here = os.path.dirname(os.path.abspath(__file__))
    rest = []
    for p in sys.path + site_path:
        if p not in front and p != here and p not in rest:
            rest.append(p)
    sys.path[:] = front + rest + [here]
    import site  # under -S: the module alone, which does nothing on import
    if sys.flags.no_site:
        site.setquit()
        site.setcopyright()
        site.sethelper()
    for d in front:
        if os.path.isdir(d):  # addsitedir would append a missing one again
            site.addsitedir(d)


def main():
    client = _Client(os.environ["AWS_LAMBDA_RUNTIME_API"])
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    site_path = sys.argv[1:]
    del sys.argv[1:]  # as AWS's: the script alone
    _set_path(task_root, site_path)

    _LoggingHook.install()

    try:
        handler = _load_handler(os.environ.get("_HANDLER", ""))
    except _UserError as e:
        _log_error(e.error_type, e.message, e.tb)
        client.post("/init/error", _error_body(e.message, e.error_type, e.tb, "").encode("utf-8"), e.error_type)
        sys.exit(1)

    _LoggingHook.catch_up()

    while True:
        headers, body = client.next()
        request_id = headers.get("lambda-runtime-aws-request-id", "")
        _State.request_id = request_id
        trace = headers.get("lambda-runtime-trace-id")
        if trace:
            os.environ["_X_AMZN_TRACE_ID"] = trace
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        identity = client_context = None
        raw = headers.get("lambda-runtime-cognito-identity")
        if raw:
            try:
                identity = json.loads(raw)
            except ValueError:
                identity = None
        raw = headers.get("lambda-runtime-client-context")
        if raw:
            try:
                client_context = json.loads(raw)
            except ValueError:
                client_context = None
        context = LambdaContext(
            request_id,
            int(headers.get("lambda-runtime-deadline-ms") or 0),
            headers.get("lambda-runtime-invoked-function-arn"),
            identity if isinstance(identity, dict) else None,
            client_context if isinstance(client_context, dict) else None,
        )
        path = "/invocation/" + request_id
        try:
            event = json.loads(body) if body else None
        except ValueError as e:
            msg = "Unable to parse input as json: {}".format(e)
            _log_error("Runtime.UnmarshalError", msg, [])
            _flush()
            client.post(path + "/error", _error_body(msg, "Runtime.UnmarshalError", [], request_id).encode("utf-8"), "Runtime.UnmarshalError")
            continue
        try:
            result = handler(event, context)
        except Exception as e:
            etype = type(e).__name__
            stack = _stack(e.__traceback__, 1)
            _log_error(etype, str(e), stack)
            _flush()
            client.post(path + "/error", _error_body(str(e), etype, stack, request_id).encode("utf-8"), etype)
            continue
        try:
            out = json.dumps(result, default=_decimal, ensure_ascii=False)
        except (TypeError, ValueError) as e:
            msg = "Unable to marshal response: {}".format(e)
            _log_error("Runtime.MarshalError", msg, [])
            _flush()
            client.post(path + "/error", _error_body(msg, "Runtime.MarshalError", [], request_id).encode("utf-8"), "Runtime.MarshalError")
            continue
        _flush()
        client.post(path + "/response", out.encode("utf-8"))


if __name__ == "__main__":
    main()
