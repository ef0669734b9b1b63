"""Expression languages embedded in pipeline files (GitHub Actions ``${{ }}``, GitLab
``rules: if:``, Azure Pipelines conditions and template expressions)."""


class ExpressionError(Exception):
    """The platform would reject the expression; ``offset`` is relative to the parsed text.

    One class for every language, so callers catch the same error whichever parser ran.
    """

    def __init__(self, message: str, offset: int):
        super().__init__(message)
        self.message = message
        self.offset = offset
