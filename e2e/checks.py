"""Checks shared by the Python flows: each passing check prints `ok: <what>`, the first failing
one raises CheckFailed with what was expected and what came back."""


class CheckFailed(Exception):
    pass


def check(condition, what, detail=""):
    if not condition:
        raise CheckFailed(f"{what}: {detail}" if detail else what)
    print(f"ok: {what}", flush=True)


def eq(actual, expected, what):
    check(actual == expected, what, f"expected {expected!r}, got {actual!r}")
