"""`helm lint` on a chart, with Helm's own Go code (the shared library of the PyPI wheel
helm-sdkpy, pinned in requirements.txt), without a cluster and without the helm binary.

    python3 tests/deploy/helm_lint.py LIBHELM_SO CHART

Prints Helm's findings as JSON and exits 1 if any is an error.
"""
import ctypes
import json
import sys


def main() -> int:
    lib = ctypes.CDLL(sys.argv[1])
    chart = sys.argv[2].encode()
    lib.helm_sdkpy_config_create.argtypes = [
        ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_ulonglong),
    ]
    lib.helm_sdkpy_lint.argtypes = [
        ctypes.c_ulonglong, ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p),
    ]
    lib.helm_sdkpy_last_error.restype = ctypes.c_void_p
    handle = ctypes.c_ulonglong()
    if lib.helm_sdkpy_config_create(b"default", b"", b"", b"{}", ctypes.byref(handle)) != 0:
        print("helm: configuration:", last_error(lib), file=sys.stderr)
        return 2
    out = ctypes.c_void_p()
    rc = lib.helm_sdkpy_lint(handle.value, chart, ctypes.byref(out))
    if rc != 0:
        print("helm lint failed:", last_error(lib), file=sys.stderr)
        return 1
    result = json.loads(ctypes.string_at(out.value).decode())
    print(json.dumps(result, indent=2))
    # Severity 1 info, 2 warning, 3 error (Helm's support.Severity)
    return 1 if result.get("Errors") or any(m["Severity"] >= 3 for m in result["Messages"]) else 0


def last_error(lib) -> str:
    p = lib.helm_sdkpy_last_error()
    return ctypes.string_at(p).decode() if p else "(no message)"


if __name__ == "__main__":
    sys.exit(main())
