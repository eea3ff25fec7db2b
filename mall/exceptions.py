from accounts.exceptions import ApplicationError


class MallError(ApplicationError):
    pass
