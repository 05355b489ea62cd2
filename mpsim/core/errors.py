"""Typed errors: user mistakes are ``MpsimError`` subclasses, anything else is a bug."""


class MpsimError(Exception):
    """Base of every error caused by user input (a scenario, a parameter, a call).

    The command line turns these into ``FILE:LINE: field: message`` and exit
    code 2; any other exception is a bug in mpsim and exits 1 with a traceback.
    """


class ParameterError(MpsimError, ValueError):
    """A model parameter is out of range or of the wrong kind."""


class UnitError(ParameterError):
    """A quantity with a unit (``"2ms"``, ``"100Mbps"``) could not be parsed."""


class TopologyError(MpsimError):
    """The topology cannot be built, or names a node or edge it does not have."""


class ScenarioError(MpsimError):
    """A scenario file is malformed; carries the file, line and field path."""

    def __init__(self, message: str, *, file: str | None = None,
                 line: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = f"{self.file or '<scenario>'}:{self.line if self.line is not None else 0}: "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class SocketError(MpsimError):
    """A multipoint socket call failed; ``code`` is the Winsock error name."""

    def __init__(self, code, message: str = ""):
        super().__init__(f"{getattr(code, 'name', code)}: {message}" if message
                         else str(getattr(code, "name", code)))
        self.code = code
