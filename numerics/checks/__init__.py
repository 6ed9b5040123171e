"""The registry's checks, one folder per theorem family; each check is ``fn(budget) -> CheckResult``."""
